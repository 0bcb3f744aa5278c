// Two cluster store instances on one cluster, as two API servers have them: one aggregation
// per farm between them, a lease that expires seen by both, a batch committed through one
// visible to the other at once, a budget's crossing both record at once recorded by one of
// them only, and a batch whose server died before publishing it never
// visible, its rows removed by the other's sweep. (The contract itself runs on the cluster
// in store-contract/cluster.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Shards } from '../src/store/clickhouse/shards.js';
import { migrateCluster, openClusterStore } from '../src/store/cluster/index.js';
import { toSessionRow } from '../src/store/cluster/session-rows.js';
import { openPostgresState } from '../src/store/postgres/index.js';
import type { Store } from '../src/store/store.js';
import { eventually } from './support/eventually.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { thresholdEvent } from './store-contract/budget-events.js';
import { ingest, newAggregation, parents, record } from './store-contract/fixtures.js';

const { urls, skip } = await clusterForTests();

describe('two cluster stores on one cluster', { skip }, () => {
  let scratch: ScratchCluster;
  let a: Store;
  let b: Store;
  before(async () => {
    scratch = await scratchCluster(urls!);
    await migrateCluster(scratch);
    // Short leases: B's sweep of dead batches runs every second.
    [a, b] = await Promise.all([openClusterStore({ ...scratch, leaseMs: 2_000 }), openClusterStore({ ...scratch, leaseMs: 2_000 })]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await scratch?.drop();
  });

  test('a server refuses a cluster whose state an older farmtally migrated, saying to run farmtally migrate', async () => {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: scratch.stateUrl });
    await admin.connect();
    try {
      await admin.query(`UPDATE schema_version SET version = version - 1`);
      await assert.rejects(openClusterStore(scratch), /older than this farmtally's.*run farmtally migrate/);
    } finally {
      await admin.query(`UPDATE schema_version SET version = version + 1`);
      await admin.end();
    }
  });

  test('of Starts through both at once on one farm exactly one takes the slot, and both see which', async () => {
    const p = await parents(a);
    const starts = Array.from({ length: 8 }, () => newAggregation(p.farmId));
    const lease = { owner: 'server-a', ttlMs: 60_000 };
    const claims = await Promise.all(starts.map((s, i) => (i % 2 ? b : a).startAggregation(s, { ...lease, owner: i % 2 ? 'server-b' : 'server-a' })));
    const won = starts.filter((_, i) => 'claimed' in claims[i]!);
    assert.equal(won.length, 1);
    assert.deepEqual(await b.startAggregation(newAggregation(p.farmId), lease), { heldBy: won[0]!.aggregationId });
    assert.equal((await b.getAggregation(won[0]!.aggregationId))?.status, 'IN_PROGRESS');
  });

  test('a lease its owner stops renewing expires for both: the other takes the farm over and fails the aggregation', async () => {
    const p = await parents(a);
    const lost = newAggregation(p.farmId);
    assert.deepEqual(await a.startAggregation(lost, { owner: 'dies', ttlMs: 300 }), { claimed: true });
    assert.ok('heldBy' in (await b.startAggregation(newAggregation(p.farmId), { owner: 'b', ttlMs: 60_000 })));
    await sleep(400);
    assert.deepEqual(await b.startAggregation(newAggregation(p.farmId), { owner: 'b', ttlMs: 60_000 }), { claimed: true });
    assert.ok((await b.failExpiredAggregations('its server stopped')) >= 1);
    assert.deepEqual([(await a.getAggregation(lost.aggregationId))?.status, (await a.getAggregation(lost.aggregationId))?.statusMessage], ['FAILED', 'its server stopped']);
  });

  test('a batch committed through one is visible through the other as soon as it is answered; its counts are exact on both', async () => {
    const p = await parents(a);
    const sessions = [record(p), record(p), record(p, { endedAt: undefined })];
    assert.deepEqual(await ingest(a, p.farmId, sessions), { created: 3, updated: 0, unchanged: 0 });
    const seen = await b.getSession(p.farmId, p.queueId, sessions[2]!.jobId, sessions[2]!.sessionId);
    assert.equal(seen?.sessionId, sessions[2]!.sessionId);
    assert.deepEqual(await ingest(b, p.farmId, [sessions[0]!, { ...sessions[2]!, endedAt: sessions[2]!.startedAt + 60_000 }]), { created: 0, updated: 1, unchanged: 1 });
    assert.equal((await a.getJob(p.farmId, p.queueId, sessions[2]!.jobId))?.endedAt, sessions[2]!.startedAt + 60_000);
  });

  test('a batch whose server died before publishing is never seen; the other server removes its rows, then drops it from the snapshots', async () => {
    const p = await parents(a);
    const state = openPostgresState({ url: scratch.stateUrl });
    const shards = new Shards(scratch.clickhouseUrls, scratch.clickhouseDatabase);
    try {
      const seq = await state.openBatch(p.farmId, { owner: 'died-mid-batch', ttlMs: 500 });
      const ghost = record(p);
      await shards.insert(shards.shardOf(p.farmId, ghost.sessionId), 'sessions_local', [toSessionRow(p.farmId, ghost, Date.now(), seq)]);
      // Written to its shard, never published: no reader sees it.
      assert.equal(await b.getSession(p.farmId, p.queueId, ghost.jobId, ghost.sessionId), undefined);
      assert.equal(await a.countSessions(p.farmId, { queueId: p.queueId }), 0);
      const rowsOf = async () => Number((await shards.rows(`SELECT count() AS n FROM sessions WHERE batch_seq = ${seq}`))[0]!.n);
      assert.equal(await rowsOf(), 1);
      // Its lease expires; a store's sweep abandons it and removes its rows (a mutation: soon after).
      await eventually('the dead batch\'s rows removed', async () => (await rowsOf()) === 0, 20_000);
      // Once no row of it is left, it leaves the snapshots' excluded list: the list stays short.
      await eventually('the removed batch out of the excluded list', async () => !(await state.snapshot()).excluded.includes(seq), 20_000);
      // The farm goes on: the same session sent again is created.
      assert.deepEqual(await ingest(b, p.farmId, [ghost]), { created: 1, updated: 0, unchanged: 0 });
    } finally {
      await state.close();
    }
  });
  test('a crossing both servers record at once is recorded by exactly one of them; delivered through one, it is pending for neither', async () => {
    const events = Array.from({ length: 10 }, () => thresholdEvent());
    const [byA, byB] = await Promise.all([a.recordBudgetEvents(events), b.recordBudgetEvents([...events].reverse())]);
    assert.deepEqual([...byA, ...byB].map((e) => e.eventId).sort(), events.map((e) => e.eventId).sort());
    const ids = new Set(events.map((e) => e.eventId));
    const pendingOn = async (s: Store) => (await s.pendingBudgetEvents(1_000)).filter((p) => ids.has(p.event.eventId)).length;
    assert.equal(await pendingOn(b), 10);
    await a.markBudgetEventsDelivered(events.map((e) => e.eventId));
    assert.equal(await pendingOn(b), 0);
    assert.deepEqual(await b.recordBudgetEvents(events), []);
  });
});
