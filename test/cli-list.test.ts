// `farmtally farms|queues|fleets list` and the link `farmtally demo` ends with, run as a user
// runs them against a real server. Each list is longer than one page (the CLI asks for 100
// a page), so a command that stopped after the first page would miss rows; the table and
// the JSON are compared with what the SDK lists itself.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, ListFarmsCommand, ListQueuesCommand, paginateListFarms, paginateListFleets, paginateListQueues,
  type FarmSummary, type FleetSummary, type QueueSummary,
} from '@aws-sdk/client-deadline';
import { farmtally, type CliRun } from './support/cli.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { runAggregation } from './support/statistics-farm.js';

const MORE_THAN_A_PAGE = 103;
let ft: Farmtally;
let farmId: string;
let emptyFarmId: string;

const ROLE = 'arn:aws:iam::123456789012:role/FleetRole';
const CAPS = { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX' as const, cpuArchitectureType: 'x86_64' as const };
const fleetConfiguration = (i: number) =>
  i % 2
    ? { customerManaged: { mode: 'NO_SCALING' as const, workerCapabilities: CAPS } }
    : { serviceManagedEc2: { instanceCapabilities: CAPS, instanceMarketOptions: { type: 'spot' as const } } };

before(async () => {
  ft = await startFarmtally();
  const c = ft.client;
  // Names with spaces, as people give them: the table's columns must still come apart.
  for (let i = 0; i < MORE_THAN_A_PAGE; i++) await c.send(new CreateFarmCommand({ displayName: `Studio ${i}` }));
  farmId = (await c.send(new CreateFarmCommand({ displayName: 'The listed farm' }))).farmId!;
  emptyFarmId = (await c.send(new CreateFarmCommand({ displayName: 'Empty farm' }))).farmId!;
  for (let i = 0; i < MORE_THAN_A_PAGE; i++) await c.send(new CreateQueueCommand({ farmId, displayName: `Shot queue ${i}` }));
  for (let i = 0; i < MORE_THAN_A_PAGE; i++) {
    await c.send(new CreateFleetCommand({ farmId, displayName: `Fleet ${i}`, roleArn: ROLE, minWorkerCount: i % 3, maxWorkerCount: 10 + i, configuration: fleetConfiguration(i) }));
  }
});
after(() => ft?.stop());

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}
const sdkFarms = async () => all<FarmSummary>((async function* () { for await (const p of paginateListFarms({ client: ft.client }, {})) yield p.farms ?? []; })());
const sdkQueues = async (id: string) => all<QueueSummary>((async function* () { for await (const p of paginateListQueues({ client: ft.client }, { farmId: id })) yield p.queues ?? []; })());
const sdkFleets = async (id: string) => all<FleetSummary>((async function* () { for await (const p of paginateListFleets({ client: ft.client }, { farmId: id })) yield p.fleets ?? []; })());

/** A table's cells, column by column as the rule under the header marks them. */
function tableCells(stdout: string): string[][] {
  const lines = stdout.replace(/\n$/, '').split('\n');
  const spans = [...lines[1]!.matchAll(/-+/g)].map((m) => [m.index!, m.index! + m[0].length] as const);
  return [lines[0]!, ...lines.slice(2)].map((line) => spans.map(([from, to]) => line.padEnd(to).slice(from, to).trim()));
}

const seconds = (d: Date | undefined) => `${d!.toISOString().slice(0, 19)}Z`;
/** The SDK's objects as JSON text carries them (dates as ISO strings). */
const asJson = (x: unknown) => JSON.parse(JSON.stringify(x));

function assertDone(run: CliRun): void {
  assert.equal(run.code, 0, run.stderr);
}

describe('farmtally farms|queues|fleets list', () => {
  test('farms list: a table of every farm, on every page, and the same as JSON', async () => {
    const expected = await sdkFarms();
    assert.ok(expected.length > 100, 'more than a page of farms');
    const run = await farmtally(['farms', 'list', '--endpoint', ft.url]);
    assertDone(run);
    assert.deepEqual(tableCells(run.stdout), [
      ['NAME', 'FARM ID', 'CREATED', 'CREATED BY'],
      ...expected.map((f) => [f.displayName, f.farmId, seconds(f.createdAt), f.createdBy]),
    ]);
    const json = await farmtally(['farms', 'list', '--endpoint', ft.url, '--format', 'json']);
    assertDone(json);
    assert.deepEqual(JSON.parse(json.stdout), asJson(expected));
  });

  test('queues list --farm: every queue of that farm, with its status', async () => {
    const expected = await sdkQueues(farmId);
    assert.equal(expected.length, MORE_THAN_A_PAGE);
    const run = await farmtally(['queues', 'list', '--farm', farmId, '--endpoint', ft.url]);
    assertDone(run);
    assert.deepEqual(tableCells(run.stdout), [
      ['NAME', 'QUEUE ID', 'STATUS', 'CREATED', 'CREATED BY'],
      ...expected.map((q) => [q.displayName, q.queueId, q.status, seconds(q.createdAt), q.createdBy]),
    ]);
    const json = await farmtally(['queues', 'list', '--farm', farmId, '--endpoint', ft.url, '--format', 'json']);
    assertDone(json);
    assert.deepEqual(JSON.parse(json.stdout), asJson(expected));
  });

  test('fleets list --farm: every fleet, its kind and worker bounds', async () => {
    const expected = await sdkFleets(farmId);
    assert.equal(expected.length, MORE_THAN_A_PAGE);
    const run = await farmtally(['fleets', 'list', '--farm', farmId, '--endpoint', ft.url]);
    assertDone(run);
    const kind = (f: FleetSummary) => (f.configuration?.customerManaged ? 'customer-managed' : 'service-managed');
    assert.deepEqual(tableCells(run.stdout), [
      ['NAME', 'FLEET ID', 'KIND', 'STATUS', 'MIN WORKERS', 'MAX WORKERS', 'CREATED'],
      ...expected.map((f) => [f.displayName, f.fleetId, kind(f), f.status, String(f.minWorkerCount), String(f.maxWorkerCount), seconds(f.createdAt)]),
    ]);
    // Both kinds and several bounds are there, so the columns are not all alike.
    assert.deepEqual(new Set(expected.map(kind)), new Set(['customer-managed', 'service-managed']));
    const json = await farmtally(['fleets', 'list', '--farm', farmId, '--endpoint', ft.url, '--format', 'json']);
    assertDone(json);
    assert.deepEqual(JSON.parse(json.stdout), asJson(expected));
  });

  test('a farm with nothing in it: a line that says so, or [] in JSON', async () => {
    const table = await farmtally(['queues', 'list', '--farm', emptyFarmId, '--endpoint', ft.url]);
    assertDone(table);
    assert.equal(table.stdout, `(farm ${emptyFarmId} has no queues)\n`);
    const json = await farmtally(['fleets', 'list', '--farm', emptyFarmId, '--endpoint', ft.url, '--format', 'json']);
    assertDone(json);
    assert.deepEqual(JSON.parse(json.stdout), []);
  });

  test('a malformed or unknown farm ID: exit 1, the server\'s error, and how to find the farms', async () => {
    const unknown = `farm-${'0'.repeat(32)}`;
    for (const [id, error] of [['farm-123', /ValidationException: .*farm-123/], [unknown, new RegExp(`ResourceNotFoundException: Farm ${unknown} does not exist`)]] as const) {
      const run = await farmtally(['fleets', 'list', '--farm', id, '--endpoint', ft.url]);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, error);
      assert.match(run.stderr, /farmtally farms list` shows the farms/);
    }
  });
});

describe('farmtally demo', () => {
  test('ends with the usage explorer link: the demo farm and its queues, 2025 daily cost by queue in UTC', async () => {
    const pricing = join(mkdtempSync(join(tmpdir(), 'farmtally-demo-')), 'pricing.json');
    const run = await farmtally(['demo', '--endpoint', `${ft.url}/`, '--sessions', '300', '--pricing-out', pricing]);
    assertDone(run);
    const lines = run.stdout.trimEnd().split('\n');
    const demoFarm = /^farm: (farm-[0-9a-f]{32})$/m.exec(run.stdout)?.[1];
    assert.ok(demoFarm, run.stdout);
    const link = lines.at(-1)!.trim();
    assert.match(lines.at(-2)!, /open .* in a browser/);
    const url = new URL(link);
    assert.equal(`${url.origin}${url.pathname}`, `${ft.url}/`);
    const queueIds = (await sdkQueues(demoFarm)).map((q) => q.queueId!);
    assert.equal(queueIds.length, 10);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      farm: demoFarm, queues: queueIds.join(','), start: '2025-01-01', end: '2026-01-01',
      period: 'DAILY', tz: 'UTC', groupBy: 'QUEUE_ID', stats: 'SUM', measure: 'cost',
    });
    // Lists are plain commas in the link, as the page's URL scheme has them.
    assert.match(url.search, new RegExp(`[?&]queues=${queueIds.join(',')}(&|$)`));
    // And the query the link names has the demo's year in it.
    const year = await runAggregation(ft.client, {
      farmId: demoFarm, resourceIds: { queueIds }, startTime: new Date('2025-01-01T00:00:00Z'), endTime: new Date('2026-01-01T00:00:00Z'),
      timezone: 'UTC', period: 'DAILY', groupBy: ['QUEUE_ID'], statistics: ['SUM'],
    });
    assert.equal(year.status, 'COMPLETED');
    assert.ok(year.rows.length > 30, `rows on many days of 2025: ${year.rows.length}`);
  });

  test('against a server with --rate-limit it waits out the throttling; a second run reuses and completes its farm', async () => {
    const limited = await startFarmtally({ args: ['--rate-limit', '2'] });
    try {
      const pricing = join(mkdtempSync(join(tmpdir(), 'farmtally-demo-')), 'pricing.json');
      const first = await farmtally(['demo', '--endpoint', limited.url, '--sessions', '300', '--pricing-out', pricing]);
      assertDone(first);
      const farmId = /^farm: (farm-[0-9a-f]{32})$/m.exec(first.stdout)?.[1];
      assert.ok(farmId, first.stdout);
      assert.match(first.stderr, /300 sessions sent \(created 300/);
      // The advice keeps the port the demo talked to.
      assert.match(first.stdout, new RegExp(`restart the server with \`npx farmtally serve --port ${new URL(limited.url).port} --pricing ${pricing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, with the server's other options as before\``));
      const again = await farmtally(['demo', '--endpoint', limited.url, '--sessions', '300', '--pricing-out', pricing]);
      assertDone(again);
      assert.match(again.stderr, new RegExp(`reusing farm ${farmId} "Demo studio" from an earlier run`));
      assert.match(again.stderr, /300 sessions sent \(created 0, updated 0, unchanged 300\)/);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the bucket full again, for the checks
      const farms = await limited.client.send(new ListFarmsCommand({}));
      assert.deepEqual(farms.farms?.filter((f) => f.displayName === 'Demo studio').map((f) => f.farmId), [farmId], 'one demo farm');
      assert.equal((await limited.client.send(new ListQueuesCommand({ farmId }))).queues?.length, 10);
      // A demo on another server (other fleet IDs) adds its fleets to the same rate card.
      const cardBefore = JSON.parse(readFileSync(pricing, 'utf8'));
      assert.equal(Object.keys(cardBefore.customerManagedFleets).length, 1);
      const other = await farmtally(['demo', '--endpoint', ft.url, '--sessions', '50', '--pricing-out', pricing]);
      assertDone(other);
      assert.match(other.stdout, /it also prices the fleets of the demo farms made before: 2 customer-managed fleets in all/);
      const card = JSON.parse(readFileSync(pricing, 'utf8'));
      assert.deepEqual(Object.keys(card.customerManagedFleets).sort(), [...Object.keys(cardBefore.customerManagedFleets), Object.keys(card.customerManagedFleets).find((id) => !(id in cardBefore.customerManagedFleets))!].sort());
      assert.equal(Object.keys(card.customerManagedFleets).length, 2);
      // A file there that is not a rate card is left as it is.
      writeFileSync(pricing, '{"fleets": 1}');
      const refused = await farmtally(['demo', '--endpoint', ft.url, '--sessions', '50', '--pricing-out', pricing]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /exists and is not a rate card: move it away, or give --pricing-out another file/);
      assert.equal(readFileSync(pricing, 'utf8'), '{"fleets": 1}');
    } finally {
      await limited.stop();
    }
  });

  test('--out alone writes a file and talks to no server: no farm, so no link', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'farmtally-demo-')), 'demo.ndjson');
    const run = await farmtally(['demo', '--out', out, '--sessions', '20']);
    assertDone(run);
    assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 20);
    assert.doesNotMatch(run.stdout, /farm-|in a browser|http/);
    assert.match(run.stdout, /stand-in queue and fleet IDs/);
  });
});
