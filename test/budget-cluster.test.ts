// Budgets on a cluster with two API servers: a feed sent to both, in waves of batches at
// once, and after each wave each server's GetBudget answers the statistics' SUM (the
// cluster lists no changes as they commit: when the sessions' version has moved, whoever
// moved it, a server reads what changed in between, never the budget's cost again). A
// crossing on one server's ingest stops the queue as both read it.
// Fleet and whole-farm budgets (the extensions' usageTrackingResource { fleetId } and
// { farmId }) are held so too: GetBudget and ListBudgets on either server answer the SUM over
// the fleet or over every queue of the farm after each wave, sessions moving between queues
// and fleets and sent again included; a fleet budget's crossing is an event and stops no queue.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateBudgetCommand, CreateQueueCommand, GetQueueCommand } from '@aws-sdk/client-deadline';
import type { SessionRecord } from '../src/domain/resources.js';
import {
  assertClose, budgetFarm, budgetsPath, churnPricingFile, createBudgetAsJson, HOUR, statisticsSum, statisticsSumOver, usageOf, wire,
} from './support/budget-feed.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { migrateScratch, startClusterServer } from './support/cluster-servers.js';
import { eventually } from './support/eventually.js';
import { http, type Farmtally } from './support/server.js';
import { sessionChurn } from './support/session-churn.js';
import { postSessions } from './support/statistics-farm.js';

const { urls, skip } = await clusterForTests();

/** How many times the server read a budget's cost from the sessions, and what changed in a farm's sessions (FARMTALLY_AGGREGATION_TRACE). */
const costReadings = (server: Farmtally) => (server.output().match(/aggregation cost of \S+: \d+ ms/g) ?? []).length;
const changeReadings = (server: Farmtally) => (server.output().match(/session changes of farm-\S+ from \S+ to \S+: \d+ ms, \d+ versions/g) ?? []).length;

describe('budgets on a cluster of two API servers', { skip }, () => {
  let scratch: ScratchCluster;
  let servers: Farmtally[] = [];

  before(async () => {
    scratch = await scratchCluster(urls!);
    await migrateScratch(scratch);
    const pricing = churnPricingFile();
    servers = await Promise.all([0, 1].map(() => startClusterServer(scratch, { args: ['--pricing', pricing], env: { FARMTALLY_BUDGET_CHECK_MS: '200', FARMTALLY_AGGREGATION_TRACE: '1' } })));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await scratch?.drop();
  });

  test("a feed through both servers: each answers the statistics' SUM after every wave; a crossing stops the queue for both", async () => {
    const [a, b] = servers as [Farmtally, Farmtally];
    const f = await budgetFarm(a.client, 1.5);
    const churn = sessionChurn(31, f);
    const [startsAt, endsAt] = [churn.t0 + 6 * HOUR, churn.t0 + 40 * HOUR];
    const queueId = f.queueIds[0]!;
    const { budgetId = '' } = await a.client.send(new CreateBudgetCommand({
      farmId: f.farmId, displayName: 'lighting', usageTrackingResource: { queueId }, approximateDollarLimit: 1e6, actions: [],
      schedule: { fixed: { startTime: new Date(startsAt), endTime: new Date(endsAt) } },
    }));
    let built: number[] = [];
    for (let wave = 0; wave < 6; wave++) {
      const batches = churn.wave(6);
      await Promise.all(batches.map((batch, i) => postSessions((i % 2 ? b : a).url, f.farmId, batch.map(wire))));
      const want = await statisticsSum(a.client, f.farmId, queueId, startsAt, endsAt);
      assertClose(await usageOf(a.client, f.farmId, budgetId), want, `wave ${wave} through the first server`);
      assertClose(await usageOf(b.client, f.farmId, budgetId), want, `wave ${wave} through the second server`);
      if (wave === 0) built = servers.map(costReadings);
    }
    assert.ok((await usageOf(a.client, f.farmId, budgetId)) > 0, 'the feed cost something');
    // Each server read the budget's cost once (its first read), then only what changed.
    assert.deepEqual(built, [1, 1], 'each server built the budget once');
    assert.deepEqual(servers.map(costReadings), built, 'no cost read again after the first wave');
    for (const server of servers) assert.ok(changeReadings(server) >= 5, `the waves were read as changes:\n${server.output().slice(-1500)}`);

    // A budget of twice what was spent, stopping at 50 %; then one session on the on-prem
    // fleet (0.3 USD an hour x 1.5) long enough to reach it, sent to the other server.
    const spent = await usageOf(a.client, f.farmId, budgetId);
    const now = Date.now();
    const hours = Math.ceil(spent / (0.3 * 1.5)) + 1;
    await a.client.send(new CreateBudgetCommand({
      farmId: f.farmId, displayName: 'tight', usageTrackingResource: { queueId }, approximateDollarLimit: spent * 2,
      actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 }],
      schedule: { fixed: { startTime: new Date(now - (hours + 2) * HOUR), endTime: new Date(now + 24 * HOUR) } },
    }));
    const long = { ...churn.next(), sessionId: `session-${'e'.repeat(32)}`, queueId, fleetId: f.fleetIds[0]!, instanceType: undefined, licenseProducts: undefined };
    await postSessions(b.url, f.farmId, [wire({ ...long, startedAt: now - hours * HOUR - 1000, endedAt: now - 1000 })]);
    for (const server of [a, b]) {
      await eventually('the queue stopped, as each server reads it', async () => (await server.client.send(new GetQueueCommand({ farmId: f.farmId, queueId }))).blockedReason === 'BUDGET_THRESHOLD_REACHED', 20_000);
    }
  });

  test("fleet and farm budgets through both servers: GetBudget and ListBudgets on each answer the statistics' SUM over the fleet or every queue after every wave", async () => {
    const [a, b] = servers as [Farmtally, Farmtally];
    const f = await budgetFarm(a.client, 1.5);
    // A third queue, made through the other server: the farm's budget reads every queue.
    f.queueIds.push((await b.client.send(new CreateQueueCommand({ farmId: f.farmId, displayName: 'comp' }))).queueId!);
    const churn = sessionChurn(47, f);
    const window = { startsAt: churn.t0 + 6 * HOUR, endsAt: churn.t0 + 40 * HOUR };
    const budgets: { budgetId: string; resource: Record<string, string>; resourceIds: { fleetIds: string[] } | { queueIds: string[] } }[] = [];
    for (const [i, fleetId] of f.fleetIds.entries()) {
      const res = await createBudgetAsJson((i % 2 ? b : a).url, f.farmId, { fleetId }, window);
      assert.equal(res.status, 200, res.text);
      budgets.push({ budgetId: res.body.budgetId, resource: { fleetId }, resourceIds: { fleetIds: [fleetId] } });
    }
    const whole = await createBudgetAsJson(b.url, f.farmId, { farmId: f.farmId }, window);
    assert.equal(whole.status, 200, whole.text);
    budgets.push({ budgetId: whole.body.budgetId, resource: { farmId: f.farmId }, resourceIds: { queueIds: f.queueIds } });

    const check = async (what: string) => {
      // The statistics one after another (a farm runs one aggregation at a time), then every budget on both servers at once.
      const wants: number[] = [];
      for (const budget of budgets) wants.push(await statisticsSumOver(a.client, f.farmId, budget.resourceIds, window.startsAt, window.endsAt));
      await Promise.all(budgets.flatMap((budget, i) => ([['first', a], ['second', b]] as const).map(async ([name, server]) => {
        const where = `${what}, ${JSON.stringify(budget.resource)}, through the ${name} server`;
        assertClose(await usageOf(server.client, f.farmId, budget.budgetId), wants[i]!, `${where} (GetBudget)`);
        const listed = await http(server.url, 'GET', budgetsPath(f.farmId));
        assert.equal(listed.status, 200, listed.text);
        const summary = listed.body.budgets.find((s: { budgetId: string }) => s.budgetId === budget.budgetId);
        assert.deepEqual(summary?.usageTrackingResource, budget.resource, `${where}: ListBudgets answers the resource as created`);
        assertClose(summary.usages.approximateDollarUsage, wants[i]!, `${where} (ListBudgets)`);
      })));
    };

    // What each session was last sent as: some are sent again as they were, some moved to another queue and fleet.
    const sent = new Map<string, SessionRecord>();
    const other = <T>(xs: readonly T[], x: T) => xs[(xs.indexOf(x) + 1) % xs.length]!;
    await check('empty');
    for (let wave = 0; wave < 4; wave++) {
      const batches = churn.wave(6);
      const pool = [...sent.values()];
      const earlier = [...new Set(Array.from({ length: pool.length ? 6 : 0 }, () => churn.random.pick(pool)))];
      const [resent, moved] = [earlier.slice(0, 3), earlier.slice(3)];
      if (resent.length) batches.push(resent);
      if (moved.length) batches.push(moved.map((r) => ({ ...r, queueId: other(f.queueIds, r.queueId), fleetId: other(f.fleetIds, r.fleetId) })));
      await Promise.all(batches.map((batch, i) => postSessions((i % 2 ? b : a).url, f.farmId, batch.map(wire))));
      // Only the base of later re-sends and moves: when two batches name one session, which landed last is the store's to say, and the check reads the store.
      for (const batch of batches) for (const r of batch) sent.set(r.sessionId, r);
      await check(`wave ${wave}`);
    }
    for (const budget of budgets) assert.ok((await usageOf(a.client, f.farmId, budget.budgetId)) > 0, `${JSON.stringify(budget.resource)} cost something`);
    const [onPrem, spot] = await Promise.all(budgets.slice(0, 2).map((budget) => usageOf(b.client, f.farmId, budget.budgetId)));
    assertClose(onPrem! + spot!, await usageOf(b.client, f.farmId, whole.body.budgetId), 'the two fleets make the farm');

    // A fleet budget of 1 USD stopping at 50 %, in a farm of its own (the feed's open sessions
    // would cost in a window up to now); two hours on the fleet (0.3 USD an hour x 1.5), sent to
    // the other server, cross it: an event, and no queue stopped.
    const g = await budgetFarm(b.client, 1.5);
    const now = Date.now();
    const tightWindow = { startsAt: now - 48 * HOUR, endsAt: now + 24 * HOUR };
    const fleetId = g.fleetIds[0]!;
    const tight = await createBudgetAsJson(a.url, g.farmId, { fleetId }, tightWindow, {
      displayName: 'tight fleet', approximateDollarLimit: 1, actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 }],
    });
    assert.equal(tight.status, 200, tight.text);
    const budgetId = tight.body.budgetId as string;
    const queueId = g.queueIds[1]!;
    const long = { ...churn.next(), sessionId: `session-${'f'.repeat(32)}`, queueId, fleetId, instanceType: undefined, licenseProducts: undefined };
    await postSessions(b.url, g.farmId, [wire({ ...long, startedAt: now - 3 * HOUR, endedAt: now - 1 * HOUR })]);
    const eventId = `${budgetId}:${new Date(tightWindow.startsAt).toISOString()}:50%:1`;
    const line = await eventually('a server logged the crossing', async () =>
      [a, b].flatMap((s) => s.output().split('\n')).find((l) => l.includes(eventId) && l.includes('reached 50%')), 20_000);
    assert.match(line, /"scope":"fleet"/);
    assert.ok(line.includes(`"fleetId":"${fleetId}"`), line);
    for (const [name, server] of [['first', a], ['second', b]] as const) {
      const got = await http(server.url, 'GET', `${budgetsPath(g.farmId)}/${budgetId}`);
      assertClose(got.body.usages.approximateDollarUsage, 0.9, `the tight budget through the ${name} server`);
      assert.equal(got.body.queueStoppedAt, undefined, `a fleet budget stops no queue (${name} server)`);
      for (const q of g.queueIds) {
        const queue = await server.client.send(new GetQueueCommand({ farmId: g.farmId, queueId: q }));
        assert.equal(queue.blockedReason, undefined, `queue ${q} through the ${name} server`);
        assert.notEqual(queue.status, 'SCHEDULING_BLOCKED');
      }
    }
  });
});
