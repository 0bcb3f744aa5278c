// Budget notifications from "a crossing was seen" on: the notifier over a real DuckDB store,
// sending to a real receiver on loopback (node:http); and `farmtally serve --webhook`, which
// delivers what a stopped run left in the store's outbox. Each event is recorded, logged and
// sent once however often it is published; a receiver that fails, is down or hangs gets it
// later, after waits that grow; the signature verifies with the README's lines, run as written. On a cluster,
// two servers' notifiers sharing the outbox send each event to a 2xx once between them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';
import { CreateBudgetCommand, CreateFarmCommand, CreateFleetCommand, CreateQueueCommand } from '@aws-sdk/client-deadline';
import type { BudgetThresholdEvent } from '../src/domain/budget-events.js';
import { BudgetNotifier, type DeliveryTiming, type WebhookTarget } from '../src/operations/budgets/notifications.js';
import { migrateCluster, openClusterStore } from '../src/store/cluster/index.js';
import { openDuckDbStore } from '../src/store/duckdb/index.js';
import type { Store } from '../src/store/store.js';
import { clusterForTests, scratchCluster } from './support/cluster.js';
import { thresholdEvent } from './store-contract/budget-events.js';
import { BIN, newDataDir, startFarmtally } from './support/server.js';
import { postSessions } from './support/statistics-farm.js';

const SECRET = 'a webhook secret, shared with the receiver';

/** The README's verification (Budget notifications), run as written, as a receiver would. */
function readmeVerifier(): (rawBody: Buffer, header: string | undefined, secret: string) => boolean {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```js\n(import \{ createHmac, timingSafeEqual \} from 'node:crypto';\n[\s\S]*?function verified[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "the README's verification (a ```js block importing createHmac and declaring verified) was not found");
  return new Function('createHmac', 'timingSafeEqual', `${block.replace(/^import .*\n/, '')}\nreturn verified;`)(createHmac, timingSafeEqual);
}
const verified = readmeVerifier();

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** A webhook receiver on loopback: records every request; `answer` picks each one's status (or holds it unanswered: undefined). */
class Receiver {
  readonly received: Received[] = [];
  answer: (index: number) => number | undefined = () => 204;
  private server?: Server;
  private held: ServerResponse[] = [];
  port = 0;

  async listen(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const index = this.received.push({ headers: req.headers, body: Buffer.concat(chunks), at: performance.now() }) - 1;
        const status = this.answer(index);
        if (status === undefined) this.held.push(res);
        else res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/farmtally`;
  }

  async close(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  async waitFor(n: number, ms = 15_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.received.length < n) {
      if (Date.now() > until) assert.fail(`the receiver got ${this.received.length} requests, not ${n}, within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** A port nothing listens on (yet): a receiver that is down. */
async function freePort(): Promise<number> {
  const r = await new Receiver().listen();
  await r.close();
  return r.port;
}

interface Logged {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

/** What each test started (notifiers, stores, receivers, a scratch cluster), stopped after it. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A notifier over a fresh DuckDB store (or the one in `dataDir`, or `opened`), sending to `webhook`, with retries a hundred times faster than the default. */
async function notifierFor(webhook: WebhookTarget | undefined, timing: Partial<DeliveryTiming> = {}, dataDir = newDataDir(), opened?: Store) {
  const store: Store = opened ?? (await openDuckDbStore({ dataDir }));
  const logged: Logged[] = [];
  const log = {
    info: (fields: Record<string, unknown>, message: string) => logged.push({ level: 'info', fields, message }),
    warn: (fields: Record<string, unknown>, message: string) => logged.push({ level: 'warn', fields, message }),
  };
  const notifier = new BudgetNotifier(store, log, webhook, { retryBaseMs: 10, ...timing });
  notifier.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await notifier.stop();
    await store.close();
  };
  cleanups.push(stop);
  return { store, notifier, logged, stop, dataDir };
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The body a receiver should get: the event, its time in ISO 8601. */
const asSent = (e: BudgetThresholdEvent) => ({ ...e, occurredAt: new Date(e.occurredAt).toISOString() });

test('a published event is POSTed as JSON, named by X-Farmtally-Event-Id, signed with the secret; logged with its ID', async () => {
  const receiver = await new Receiver().listen();
  cleanups.push(() => receiver.close());
  const { notifier, store, logged } = await notifierFor({ url: receiver.url, secret: SECRET });
  const event = thresholdEvent();
  assert.deepEqual(await notifier.publish([event]), [event]);
  await receiver.waitFor(1);
  const [got] = receiver.received;
  assert.equal(got!.headers['x-farmtally-event-id'], event.eventId);
  assert.equal(got!.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(got!.body.toString('utf8')), asSent(event));
  assert.equal(JSON.parse(got!.body.toString('utf8')).occurredAt, '2026-01-17T09:30:12.345Z');
  const signature = got!.headers['x-farmtally-signature'] as string;
  assert.match(signature, /^sha256=[0-9a-f]{64}$/);
  assert.ok(verified(got!.body, signature, SECRET), 'the signature verifies with the secret');
  assert.ok(!verified(got!.body, signature, 'another secret'), 'and with no other');
  assert.ok(!verified(Buffer.from(got!.body.toString('utf8').replace('80', '81')), signature, SECRET), 'nor over another body');
  await eventually('marked delivered', async () => (await store.pendingBudgetEvents(10)).length === 0);
  // One line as it was recorded, one as it was delivered, each with the event's ID.
  const lines = () => logged.filter((l) => l.fields.eventId === event.eventId && l.level === 'info');
  await eventually('delivery logged', () => lines().length === 2);
  assert.match(lines()[0]!.message, new RegExp(`reached 80% of its limit: event ${event.eventId.replace(/[.:]/g, '\\$&')}`));
  assert.match(lines()[1]!.message, /delivered/);
});

test('the same crossing published twice, or twice in one call, is recorded, logged and sent once', async () => {
  const receiver = await new Receiver().listen();
  cleanups.push(() => receiver.close());
  const { notifier, store, logged } = await notifierFor({ url: receiver.url, secret: SECRET });
  const event = thresholdEvent();
  const other = thresholdEvent({ thresholdPercentage: 100 });
  assert.deepEqual(await notifier.publish([event, event]), [event]);
  assert.deepEqual(await notifier.publish([event, other]), [other]);
  await receiver.waitFor(2);
  await eventually('both delivered', async () => (await store.pendingBudgetEvents(10)).length === 0);
  assert.deepEqual(await notifier.publish([other, event]), []);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(receiver.received.map((r) => r.headers['x-farmtally-event-id']).sort(), [event.eventId, other.eventId].sort());
  assert.equal(logged.filter((l) => /reached/.test(l.message) && l.fields.eventId === event.eventId).length, 1);
});

test('a receiver that answers 500 three times gets the event on the fourth attempt, after waits that double', async () => {
  const receiver = await new Receiver().listen();
  cleanups.push(() => receiver.close());
  receiver.answer = (i) => (i < 3 ? 500 : 200);
  const base = 100;
  const { notifier, store, logged } = await notifierFor({ url: receiver.url, secret: SECRET }, { retryBaseMs: base });
  const event = thresholdEvent();
  await notifier.publish([event]);
  await receiver.waitFor(4);
  await eventually('marked delivered', async () => (await store.pendingBudgetEvents(10)).length === 0);
  assert.ok(receiver.received.every((r) => r.headers['x-farmtally-event-id'] === event.eventId && verified(r.body, r.headers['x-farmtally-signature'] as string, SECRET)));
  // The n-th wait is between half of base·2^(n-1) and all of it (jitter).
  const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i]!.at);
  gaps.forEach((gap, i) => assert.ok(gap >= (base * 2 ** i) / 2 - 5, `wait ${i + 1}: ${gap} ms, at least ${(base * 2 ** i) / 2}`));
  assert.ok(gaps[2]! > gaps[0]!, `the waits grow: ${gaps.join(', ')} ms`);
  const failures = logged.filter((l) => l.level === 'warn');
  assert.deepEqual(failures.map((l) => l.fields.attempts), [1, 2, 3]);
  assert.match(failures[0]!.message, /not delivered \(the receiver answered 500\); trying again in/);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(receiver.received.length, 4, 'nothing sent after the 2xx');
});

test('a receiver that is down (connection refused) gets the event once it comes up', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/hooks/farmtally`;
  const { notifier, store, logged } = await notifierFor({ url, secret: SECRET }, { retryBaseMs: 20, retryMaxMs: 200 });
  const event = thresholdEvent();
  await notifier.publish([event]);
  await eventually('two refused attempts logged', () => logged.filter((l) => l.level === 'warn' && /ECONNREFUSED/.test(String(l.fields.error))).length >= 2);
  const receiver = await new Receiver().listen(port);
  cleanups.push(() => receiver.close());
  await receiver.waitFor(1);
  assert.equal(receiver.received[0]!.headers['x-farmtally-event-id'], event.eventId);
  await eventually('marked delivered', async () => (await store.pendingBudgetEvents(10)).length === 0);
});

test('a receiver that does not answer in time is tried again; publishing never waits for it', async () => {
  const receiver = await new Receiver().listen();
  cleanups.push(() => receiver.close());
  receiver.answer = (i) => (i === 0 ? undefined : 200);
  const { notifier, store, logged } = await notifierFor({ url: receiver.url, secret: SECRET }, { timeoutMs: 300 });
  const first = thresholdEvent();
  await notifier.publish([first]);
  await receiver.waitFor(1);
  // The first POST hangs; a second crossing is recorded at once all the same.
  const second = thresholdEvent();
  const started = performance.now();
  assert.deepEqual(await notifier.publish([second]), [second]);
  assert.ok(performance.now() - started < 200, `publish took ${performance.now() - started} ms`);
  await receiver.waitFor(3);
  await eventually('both delivered', async () => (await store.pendingBudgetEvents(10)).length === 0);
  assert.match(logged.find((l) => l.level === 'warn')!.message, /no answer within 0\.3 s/);
  assert.deepEqual(new Set(receiver.received.map((r) => r.headers['x-farmtally-event-id'])), new Set([first.eventId, second.eventId]));
});

test('without a webhook, publish records and logs the event, and it waits in the outbox', async () => {
  const { notifier, store, logged } = await notifierFor(undefined);
  const event = thresholdEvent();
  assert.deepEqual(await notifier.publish([event]), [event]);
  assert.match(logged.find((l) => l.fields.eventId === event.eventId)!.message, /no --webhook/);
  assert.deepEqual((await store.pendingBudgetEvents(10)).map((p) => p.event), [event]);
});

test('events pending at a stop are sent by farmtally serve --webhook after a restart on the same data folder', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/hooks/farmtally`;
  const before = await notifierFor({ url, secret: SECRET }, { retryBaseMs: 50, retryMaxMs: 100 });
  const events = [thresholdEvent(), thresholdEvent({ thresholdPercentage: 100 })];
  await before.notifier.publish(events);
  await eventually('refused attempts logged', () => before.logged.filter((l) => l.level === 'warn').length >= 2);
  await before.stop();

  const receiver = await new Receiver().listen(port);
  cleanups.push(() => receiver.close());
  // The secret from its variable, as a service manager would pass it.
  const ft = await startFarmtally({ dataDir: before.dataDir, args: ['--webhook', url], env: { FARMTALLY_WEBHOOK_SECRET: SECRET, FARMTALLY_WEBHOOK_RETRY_BASE_MS: '50' } });
  try {
    await receiver.waitFor(2);
    assert.deepEqual(receiver.received.map((r) => r.headers['x-farmtally-event-id']).sort(), events.map((e) => e.eventId).sort());
    for (const r of receiver.received) {
      assert.ok(verified(r.body, r.headers['x-farmtally-signature'] as string, SECRET));
      const sent = events.find((e) => e.eventId === r.headers['x-farmtally-event-id'])!;
      assert.deepEqual(JSON.parse(r.body.toString('utf8')), asSent(sent));
    }
    await eventually('delivery logged', () => events.every((e) => ft.output().includes(`budget notification ${e.eventId} delivered`)));
  } finally {
    assert.equal(await ft.stop(false), 0);
  }
  const again = await notifierFor(undefined, {}, before.dataDir);
  assert.deepEqual(await again.store.pendingBudgetEvents(10), [], 'marked delivered in the store');
  await again.stop();
  assert.equal(receiver.received.length, 2);
});

test('farmtally serve refuses --webhook without a secret, saying what to add; and a URL that is not http(s) or carries a password', () => {
  const serve = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data', newDataDir(), ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  const noSecret = serve(['--webhook', 'http://127.0.0.1:9/hooks']);
  assert.equal(noSecret.status, 2, noSecret.stderr);
  assert.match(noSecret.stderr, /--webhook needs a secret .*: add --webhook-secret SECRET \(or FARMTALLY_WEBHOOK_SECRET=SECRET\)/);
  const fromEnvironment = serve([], { FARMTALLY_WEBHOOK: 'http://127.0.0.1:9/hooks' });
  assert.equal(fromEnvironment.status, 2, fromEnvironment.stderr);
  assert.match(fromEnvironment.stderr, /add --webhook-secret SECRET/);
  const secretAlone = serve(['--webhook-secret', 's']);
  assert.equal(secretAlone.status, 2, secretAlone.stderr);
  assert.match(secretAlone.stderr, /add --webhook URL \(or FARMTALLY_WEBHOOK\)/);
  const notHttp = serve(['--webhook', 'ftp://example.com/x', '--webhook-secret', 's']);
  assert.equal(notHttp.status, 2, notHttp.stderr);
  assert.match(notHttp.stderr, /ftp:\/\/example\.com\/x is not an http:\/\/ or https:\/\/ URL/);
  const withPassword = serve(['--webhook', 'https://user:pw@example.com/x', '--webhook-secret', 's']);
  assert.equal(withPassword.status, 2, withPassword.stderr);
  assert.match(withPassword.stderr, /a webhook URL cannot carry a user name or password/);
});

const cluster = await clusterForTests();

test('on a cluster, two servers sharing the outbox send each event once between them, retries included', { skip: cluster.skip }, async () => {
  const scratch = await scratchCluster(cluster.urls!);
  await migrateCluster(scratch);
  cleanups.push(() => scratch.drop());
  const receiver = await new Receiver().listen();
  cleanups.push(() => receiver.close());
  // Every event's first attempt fails: its retry is due on both servers alike.
  const seen = new Map<string, number>();
  receiver.answer = (i) => {
    const id = receiver.received[i]!.headers['x-farmtally-event-id'] as string;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    return seen.get(id) === 1 ? 503 : 200;
  };
  const webhook = { url: receiver.url, secret: SECRET };
  // Polling often, so each server reads what the other recorded.
  const timing = { retryBaseMs: 50, pollMs: 20 };
  const [a, b] = await Promise.all([openClusterStore(scratch), openClusterStore(scratch)]);
  const one = await notifierFor(webhook, timing, undefined, a);
  const other = await notifierFor(webhook, timing, undefined, b);
  const events = Array.from({ length: 12 }, () => thresholdEvent());
  const [byOne, byOther] = await Promise.all([one.notifier.publish(events), other.notifier.publish([...events].reverse())]);
  assert.equal(byOne.length + byOther.length, events.length, 'each recorded once between them');
  await receiver.waitFor(2 * events.length, 30_000);
  await eventually('all delivered', async () => (await a.pendingBudgetEvents(100)).length === 0, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual([...seen.values()], events.map(() => 2), 'one failed attempt and one delivery per event, no more');
  assert.ok(one.logged.some((l) => /delivered/.test(l.message)) || other.logged.some((l) => /delivered/.test(l.message)));
});

test('end to end: sessions reaching a budget threshold are POSTed to the webhook, signed, after the receiver fails twice', async () => {
  const receiver = await new Receiver().listen();
  cleanups.push(() => receiver.close());
  receiver.answer = (i) => (i < 2 ? 503 : 204);
  const ft = await startFarmtally({ args: ['--webhook', receiver.url], env: { FARMTALLY_WEBHOOK_SECRET: SECRET, FARMTALLY_WEBHOOK_RETRY_BASE_MS: '50', FARMTALLY_BUDGET_CHECK_MS: '200' } });
  cleanups.push(async () => void (await ft.stop()));
  const { farmId = '' } = await ft.client.send(new CreateFarmCommand({ displayName: 'webhook farm' }));
  const { queueId = '' } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Lighting' }));
  const { fleetId = '' } = await ft.client.send(new CreateFleetCommand({
    farmId, displayName: 'on-prem', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
    configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
  }));
  const now = Date.now();
  const windowStart = now - 86_400_000;
  const { budgetId = '' } = await ft.client.send(new CreateBudgetCommand({
    farmId, displayName: 'Lighting June', usageTrackingResource: { queueId }, approximateDollarLimit: 4,
    actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 }, { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }],
    schedule: { fixed: { startTime: new Date(windowStart), endTime: new Date(now + 86_400_000) } },
  }));
  // Three worker hours at 1 USD (the default customer-managed rate): 75 % of 4 USD, past 50 % only.
  await postSessions(ft.url, farmId, [{
    sessionId: `session-${'1'.repeat(32)}`, queueId, fleetId, jobId: `job-${'a'.repeat(32)}`, jobName: 'shot', userId: 'ana', workerId: `worker-${'b'.repeat(32)}`,
    startedAt: new Date(now - 4 * 3_600_000).toISOString(), endedAt: new Date(now - 3_600_000).toISOString(),
  }]);
  await receiver.waitFor(3);
  const ids = receiver.received.map((r) => r.headers['x-farmtally-event-id']);
  const eventId = `${budgetId}:${new Date(windowStart).toISOString()}:50%:4`;
  assert.deepEqual(ids, [eventId, eventId, eventId], 'one event, tried until the receiver took it');
  const delivered = receiver.received[2]!;
  assert.ok(verified(delivered.body, delivered.headers['x-farmtally-signature'] as string, SECRET));
  const body = JSON.parse(delivered.body.toString('utf8'));
  assert.deepEqual(
    [body.type, body.farmId, body.budgetId, body.budgetName, body.queueId, body.thresholdPercentage, body.actionType, body.approximateDollarLimit, body.approximateDollarUsage],
    ['BUDGET_THRESHOLD_REACHED', farmId, budgetId, 'Lighting June', queueId, 50, 'STOP_SCHEDULING_AND_COMPLETE_TASKS', 4, 3],
  );
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(receiver.received.length, 3, 'nothing more: the 100 % threshold is not reached, and the 50 % one is sent once');
});
