// Budgets on a cluster with two API servers: a feed sent to both, in waves of batches at
// once, and after each wave each server's GetBudget answers the statistics' SUM (the
// cluster lists no changes as they commit: when the sessions' version has moved, whoever
// moved it, a server reads what changed in between, never the budget's cost again). A
// crossing on one server's ingest stops the queue as both read it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateBudgetCommand, GetQueueCommand } from '@aws-sdk/client-deadline';
import { assertClose, budgetFarm, churnPricingFile, HOUR, statisticsSum, usageOf, wire } from './support/budget-feed.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { migrateScratch, startClusterServer } from './support/cluster-servers.js';
import { eventually } from './support/eventually.js';
import type { Farmtally } from './support/server.js';
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
});
