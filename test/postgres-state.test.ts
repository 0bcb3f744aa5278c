// The PostgreSQL state of a cluster (src/store/postgres) against a real PostgreSQL: the store
// contract's resource and farm slot cases, then what only a shared database shows, with two
// instances on one database standing for two API servers: concurrent Starts, leases and
// slots seen by both, the same secret and page keys, migrations run at once, batch
// publication and snapshots, exact result rows, and PostgreSQL out of reach and back.
// Skipped, with the reason, unless FARMTALLY_TEST_POSTGRES names a PostgreSQL whose user may
// create databases; each run makes a database of its own and drops it at the end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { newId, type Job, type SessionRecord } from '../src/domain/resources.js';
import type { AggregationRow, Lease, NewAggregation } from '../src/store/aggregation-store.js';
import { openPostgresState, SCHEMA_VERSION, type PostgresState } from '../src/store/postgres/index.js';
import { MissingParentsError, StorageFault, type StagedSessions } from '../src/store/store.js';
import { farmSlotContract } from './store-contract/farm-slots.js';
import { farm, fleet, queue, tick, type Parents } from './store-contract/fixtures.js';
import { budgetContract } from './store-contract/budgets.js';
import { resourceContract, type ResourceContractStore } from './store-contract/resources.js';
import { clusterForTests, scratchName } from './support/cluster.js';

const run = promisify(execFile);
const cluster = await clusterForTests({ clickhouse: false, postgres: true });
const LONG: Lease = { owner: 'postgres-state-test', ttlMs: 600_000 };

function newAggregation(farmId: string): NewAggregation {
  const now = tick();
  return { aggregationId: newId(''), farmId, groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MAX'], createdAt: now, expiresAt: now + 3_600_000 };
}

async function newFarm(state: PostgresState): Promise<string> {
  const f = farm();
  await state.createFarm(f);
  return f.farmId;
}

async function newParents(state: PostgresState): Promise<Parents> {
  const farmId = await newFarm(state);
  const [q, f] = [queue(farmId), fleet(farmId)];
  await state.createQueue(q);
  await state.createFleet(f);
  return { farmId, queueId: q.queueId, fleetId: f.fleetId };
}

const jobOf = (farmId: string, r: SessionRecord, nowMs: number): Job => ({
  farmId, queueId: r.queueId, jobId: r.jobId, name: r.jobName, userId: r.userId, createdAt: nowMs, updatedAt: nowMs, startedAt: r.startedAt, endedAt: r.endedAt,
});

/**
 * The resource contract gives a queue and fleet a session through stageSessions. The state
 * keeps no sessions (ClickHouse does), so it gets a stand-in ingest that does to the state
 * what the cluster ingest does once the shards hold a batch's rows: number a batch, then in
 * one transaction upsert its jobs, count its sessions against their queue and fleet, and
 * publish it. The deletion case (`has-sessions`) then runs unchanged against those counts.
 * Every other resource case uses the state alone.
 */
function withStandInIngest(state: PostgresState): ResourceContractStore {
  return {
    ...state,
    async stageSessions(farmId): Promise<StagedSessions> {
      const records: SessionRecord[] = [];
      return {
        append: async (more) => void records.push(...more),
        discard: async () => undefined,
        async commit(nowMs) {
          const seq = await state.openBatch(farmId, LONG);
          const counts = { created: records.length, updated: 0, unchanged: 0 };
          await state.withTransaction(async (tx) => {
            await state.putJobs(tx, records.map((r) => jobOf(farmId, r, nowMs)));
            await state.adjustSessionCounts(tx, records.flatMap((r) => [
              { farmId, kind: 'queue' as const, resourceId: r.queueId, delta: 1 },
              { farmId, kind: 'fleet' as const, resourceId: r.fleetId, delta: 1 },
            ]));
            assert.ok(await state.publishBatch(tx, seq, counts));
          });
          return { batchId: String(seq), ...counts };
        },
      };
    },
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Asserts `promise` rejects with StorageFault('unavailable') naming PostgreSQL at `where`. */
async function unreachable(promise: Promise<unknown>, where: string): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof StorageFault, `a StorageFault, not ${String(err)}`);
    assert.equal(err.kind, 'unavailable');
    assert.match(err.message, new RegExp(`^PostgreSQL unreachable at ${where.replace(/\./g, '\\.')} \\(`));
    assert.match(err.message, /retry in a few seconds/);
    return true;
  });
}

async function eventually<T>(what: string, attempt: () => Promise<T>, withinMs = 15_000): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > until) throw new Error(`${what}: still failing after ${withinMs} ms`, { cause: err });
      await sleep(100);
    }
  }
}

describe('PostgreSQL state', { skip: cluster.skip }, () => {
  const adminUrl = cluster.urls?.postgres ?? '';
  const dbName = scratchName('farmtally_pgstate');
  let url = '';
  let a: PostgresState;
  let b: PostgresState;
  const logged: string[] = [];

  before(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    url = u.toString();
    a = openPostgresState({ url, log: (m) => logged.push(`a: ${m}`) });
    b = openPostgresState({ url, log: (m) => logged.push(`b: ${m}`) });
  });

  after(async () => {
    await a?.close();
    await b?.close();
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  test('two servers migrate at once: one creates the schema, the other finds it; again, both find it; the secret both create at once is one', async () => {
    // (A third instance: health answers from a read at most once a second, and a and b are checked again later.)
    const third = openPostgresState({ url });
    const unmigrated = await third.health();
    await third.close();
    assert.ok(!unmigrated.ok && /has no schema yet/.test(unmigrated.problem), JSON.stringify(unmigrated));
    assert.deepEqual((await Promise.all([a.migrate(), b.migrate()])).sort(), [0, SCHEMA_VERSION]);
    assert.deepEqual(await Promise.all([a.migrate(), b.migrate()]), [SCHEMA_VERSION, SCHEMA_VERSION]);
    assert.ok(logged.some((m) => new RegExp(`schema version ${SCHEMA_VERSION}`).test(m)), logged.join('\n'));
    const [sa, sb] = await Promise.all([a.serverSecret(), b.serverSecret()]);
    assert.equal(sa.length, 32);
    assert.deepEqual(sa, sb);
  });

  // Every resource case, the deletion one through the stand-in ingest above.
  resourceContract(() => withStandInIngest(a));
  budgetContract(() => withStandInIngest(a));
  farmSlotContract(() => a);

  describe('two servers on one database', () => {
    test('of concurrent Starts on one farm through both, exactly one wins, and both say which', async () => {
      const farmId = await newFarm(a);
      const starts = Array.from({ length: 16 }, () => newAggregation(farmId));
      const claims = await Promise.all(starts.map((s, i) => (i % 2 ? a : b).startAggregation(s, LONG)));
      const won = starts.filter((_, i) => 'claimed' in claims[i]!);
      assert.equal(won.length, 1);
      for (const claim of claims) if ('heldBy' in claim) assert.equal(claim.heldBy, won[0]!.aggregationId);
      const records = await Promise.all(starts.map((s, i) => (i % 2 ? b : a).getAggregation(s.aggregationId)));
      assert.deepEqual(records.filter(Boolean).map((r) => [r!.aggregationId, r!.status]), [[won[0]!.aggregationId, 'IN_PROGRESS']]);
    });

    test('a lease that expired on one server is seen expired by the other: its slot is taken over and its aggregation fails', async () => {
      const farmId = await newFarm(a);
      const lost = newAggregation(farmId);
      assert.deepEqual(await a.startAggregation(lost, { owner: 'server-a', ttlMs: 1_000 }), { claimed: true });
      const next = newAggregation(farmId);
      assert.deepEqual(await b.startAggregation(next, LONG), { heldBy: lost.aggregationId });
      await sleep(1_100);
      await a.renewLeases('server-a', 1_000); // too late: an expired lease is lost
      assert.deepEqual(await b.startAggregation(next, LONG), { claimed: true });
      assert.ok((await b.failExpiredAggregations('its server stopped')) >= 1);
      assert.deepEqual(await a.getAggregation(lost.aggregationId).then((r) => [r?.status, r?.statusMessage]), ['FAILED', 'its server stopped']);
      assert.equal((await a.getAggregation(next.aggregationId))?.status, 'IN_PROGRESS');
      assert.equal(await a.finishAggregation(lost.aggregationId, 'COMPLETED', undefined, []), false, 'a failed aggregation is not finished');
    });

    test('a slot one server frees is free for the other; a farm-wide write holds it in words on both', async () => {
      const farmId = await newFarm(a);
      assert.deepEqual(await a.claimFarmSlot(farmId, 'a user is being given a pseudonym', LONG), { claimed: true });
      assert.deepEqual(await b.claimFarmSlot(farmId, 'sessions are being deleted', LONG), { heldBy: 'a user is being given a pseudonym' });
      assert.deepEqual(await b.startAggregation(newAggregation(farmId), LONG), { heldBy: 'a user is being given a pseudonym' });
      await b.releaseFarmSlot(farmId, 'sessions are being deleted'); // not its holder: nothing happens
      assert.ok('heldBy' in (await b.claimFarmSlot(farmId, 'sessions are being deleted', LONG)));
      await a.releaseFarmSlot(farmId, 'a user is being given a pseudonym');
      assert.deepEqual(await b.claimFarmSlot(farmId, 'sessions are being deleted', LONG), { claimed: true });
    });

    test('page keys, client tokens and the secret mean the same on both', async () => {
      for (let i = 0; i < 3; i++) await a.createFarm(farm());
      const first = await a.listFarms({ limit: 2 });
      assert.ok(first.nextAfter);
      assert.deepEqual(await b.listFarms({ limit: 2 }), first);
      assert.deepEqual(await b.listFarms({ limit: 3, after: first.nextAfter }), await a.listFarms({ limit: 3, after: first.nextAfter }));
      await a.rememberClientToken('CreateFarm', 'shared-token', 'farm-x', 'fp');
      assert.deepEqual(await b.findClientToken('CreateFarm', 'shared-token'), { resourceId: 'farm-x', fingerprint: 'fp' });
      assert.deepEqual(await a.serverSecret(), await b.serverSecret());
      assert.deepEqual(await b.health(), { ok: true });
    });
  });

  describe('jobs and session counts (the cluster ingest writes them)', () => {
    test('putJobs creates and replaces jobs, each keeping its first created_at; they list in creation order by pages', async () => {
      const p = await newParents(a);
      const jobs: Job[] = Array.from({ length: 5 }, (_, i) => ({
        farmId: p.farmId, queueId: p.queueId, jobId: newId('job'), name: `shot_${i}`, userId: 'ana', createdAt: 1000 + i, updatedAt: 1000 + i, startedAt: 500, endedAt: i % 2 ? 2000 : undefined,
      }));
      await a.withTransaction((tx) => a.putJobs(tx, jobs));
      const renamed = { ...jobs[0]!, name: 'renamed', userId: 'bo', createdAt: 9999, updatedAt: 3000, endedAt: 4000 };
      await b.withTransaction((tx) => b.putJobs(tx, [renamed, renamed]));
      assert.deepEqual(await b.getJob(p.farmId, p.queueId, jobs[0]!.jobId), { ...renamed, createdAt: jobs[0]!.createdAt });
      assert.equal((await b.getJob(p.farmId, p.queueId, jobs[2]!.jobId))!.endedAt, undefined);
      assert.equal(await b.getJob(p.farmId, queue(p.farmId).queueId, jobs[0]!.jobId), undefined, 'a job is found only in its queue');
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await b.listJobs(p.farmId, p.queueId, { limit: 2, after });
        seen.push(...page.items.map((j) => j.jobId));
        after = page.nextAfter;
      } while (after);
      assert.deepEqual(seen, jobs.map((j) => j.jobId));
    });

    test('counts decide deletions; a count for a queue deleted meanwhile is refused with nothing written', async () => {
      const p = await newParents(a);
      const counted = [{ farmId: p.farmId, kind: 'queue' as const, resourceId: p.queueId, delta: 2 }, { farmId: p.farmId, kind: 'fleet' as const, resourceId: p.fleetId, delta: 1 }];
      await a.withTransaction((tx) => a.adjustSessionCounts(tx, counted));
      assert.equal(await b.deleteQueue(p.farmId, p.queueId), 'has-sessions');
      assert.equal(await b.deleteFarm(p.farmId), 'has-sessions');
      await a.withTransaction((tx) => a.adjustSessionCounts(tx, [{ ...counted[0]!, delta: -1 }, { ...counted[0]!, delta: -1 }, { ...counted[1]!, delta: -1 }]));
      await assert.rejects(a.withTransaction((tx) => a.adjustSessionCounts(tx, [{ ...counted[1]!, delta: -1 }])), /resource_sessions/, 'a count never falls below zero');
      assert.equal(await b.deleteQueue(p.farmId, p.queueId), 'deleted');

      const job: Job = { farmId: p.farmId, queueId: p.queueId, jobId: newId('job'), name: 'n', userId: 'u', createdAt: 1, updatedAt: 1, startedAt: 1 };
      await assert.rejects(
        a.withTransaction(async (tx) => {
          await a.putJobs(tx, [job]);
          await a.adjustSessionCounts(tx, [{ ...counted[0]!, delta: 1 }, { ...counted[1]!, delta: 1 }]);
        }),
        (err) => err instanceof MissingParentsError && err.queueIds.join() === p.queueId && err.fleetIds.length === 0,
      );
      assert.equal(await a.getJob(p.farmId, p.queueId, job.jobId), undefined, 'the transaction wrote nothing');
      assert.equal(await a.deleteFarm(p.farmId), 'deleted');
    });

    test('a deletion that meets an ingest counting sessions against the queue waits for it, and then sees its count', async () => {
      const p = await newParents(a);
      let deletion: Promise<string> | undefined;
      let settled = false;
      await a.withTransaction(async (tx) => {
        await a.adjustSessionCounts(tx, [{ farmId: p.farmId, kind: 'queue', resourceId: p.queueId, delta: 1 }]);
        deletion = b.deleteQueue(p.farmId, p.queueId).finally(() => (settled = true));
        await sleep(300);
        assert.equal(settled, false, 'the deletion waits for the ingest to commit');
      });
      assert.equal(await deletion, 'has-sessions');
      const farmDeletion = b.deleteFarm(p.farmId);
      assert.equal(await farmDeletion, 'has-sessions');
    });
  });

  describe('batches', () => {
    test('a snapshot excludes writing and abandoned batches; numbers are given once, in order, across servers', async () => {
      const farmId = await newFarm(a);
      const seqs = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).openBatch(farmId, LONG)));
      const sorted = [...seqs].sort((x, y) => x - y);
      assert.equal(new Set(seqs).size, 10);
      assert.equal(sorted[9]! - sorted[0]!, 9, 'consecutive');
      const [published, writing, abandoned] = sorted;
      assert.equal(await a.publishBatch(undefined, published!, { created: 1, updated: 2, unchanged: 3 }), true);
      assert.equal(await a.publishBatch(undefined, published!, { created: 1, updated: 2, unchanged: 3 }), false, 'published once');
      assert.equal(await b.abandonBatch(abandoned!), true);
      assert.equal(await b.publishBatch(undefined, abandoned!, { created: 0, updated: 0, unchanged: 0 }), false, 'an abandoned batch is never published');
      assert.equal(await b.abandonBatch(published!), false, 'a published batch is never abandoned');
      for (const seq of sorted.slice(3)) assert.ok(await b.publishBatch(undefined, seq, { created: 1, updated: 0, unchanged: 0 }));
      const snap = await b.snapshot();
      assert.ok(snap.upTo >= sorted[9]!);
      assert.ok(snap.excluded.includes(writing!) && snap.excluded.includes(abandoned!));
      assert.ok(!snap.excluded.includes(published!));
      assert.deepEqual(await a.snapshot(), snap);
      const later = await a.openBatch(farmId, LONG);
      assert.ok(later > snap.upTo, 'a batch opened after a snapshot is past it');
      assert.ok(!(await a.snapshot()).excluded.includes(later + 1));
      await a.abandonBatch(writing!);
      await a.abandonBatch(later);
    });

    test('a group of batches is numbered and published together; pruning deletes published and removed batches below a number, never writing or abandoned ones', async () => {
      const farmId = await newFarm(a);
      const seqs = await a.openBatches(farmId, LONG, 6);
      assert.deepEqual(seqs, Array.from({ length: 6 }, (_, i) => seqs[0]! + i), 'six consecutive numbers, ascending');
      const [p1, p2, writing, abandoned, removed, last] = seqs as [number, number, number, number, number, number];
      const counts = { created: 1, updated: 0, unchanged: 0 };
      assert.equal(await a.withTransaction((tx) => a.publishBatches(tx, [{ seq: p1, counts }, { seq: p2, counts: { created: 0, updated: 2, unchanged: 1 } }])), true);
      await a.abandonBatches([abandoned, removed, p1]);
      await a.markRemoved(removed);
      // One of them no longer writing: none is published.
      assert.equal(await a.withTransaction(async (tx) => {
        const all = await a.publishBatches(tx, [{ seq: last, counts }, { seq: abandoned, counts }]);
        if (!all) throw new Error('rolled back');
        return all;
      }).catch((err: Error) => err.message), 'rolled back');
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const states = async () => Object.fromEntries((await admin.query(`SELECT batch_seq, state, created, updated FROM batches WHERE batch_seq BETWEEN $1 AND $2`, [p1, last])).rows.map((r) => [Number(r.batch_seq) - p1, `${r.state}${r.created === null ? '' : ` ${r.created}/${r.updated}`}`]));
        assert.deepEqual(await states(), { 0: 'published 1/0', 1: 'published 0/2', 2: 'writing', 3: 'abandoned', 4: 'removed', 5: 'writing' });
        // Earlier tests' published batches go too.
        const older = Number((await admin.query(`SELECT count(*) AS n FROM batches WHERE batch_seq < $1 AND state IN ('published', 'removed')`, [p1])).rows[0].n);
        assert.equal(await a.pruneBatches(last + 1), older + 3);
        assert.deepEqual(await states(), { 2: 'writing', 3: 'abandoned', 5: 'writing' });
        assert.ok((await a.snapshot()).excluded.includes(abandoned), 'an abandoned batch stays out of snapshots');
      } finally {
        await admin.end();
      }
      await a.abandonBatches([writing, last]);
    });

    test('a batch whose lease expired cannot be published or renewed, is listed as expired until abandoned, and stays out of snapshots', async () => {
      const farmId = await newFarm(a);
      const lease: Lease = { owner: `dying-${newId('')}`, ttlMs: 150 };
      const [dead, renewed] = [await a.openBatch(farmId, lease), await a.openBatch(farmId, { owner: 'renewing', ttlMs: 500 })];
      for (let i = 0; i < 8; i++) {
        await sleep(100);
        await a.renewLeases('renewing', 500);
      }
      await a.renewLeases(lease.owner, 150); // too late
      assert.equal(await a.publishBatch(undefined, dead, { created: 1, updated: 0, unchanged: 0 }), false);
      assert.deepEqual((await b.expiredBatches()).filter((e) => e.seq === dead || e.seq === renewed), [{ seq: dead, farmId }]);
      assert.ok((await b.snapshot()).excluded.includes(dead));
      assert.equal(await b.abandonBatch(dead), true);
      assert.ok(!(await b.expiredBatches()).some((e) => e.seq === dead));
      assert.ok((await b.snapshot()).excluded.includes(dead));
      assert.equal(await a.publishBatch(undefined, renewed, { created: 1, updated: 0, unchanged: 0 }), true, 'a renewed lease holds');
    });

    test('a publish in an ingest transaction is undone with it; one committing as its lease runs out is not listed as expired', async () => {
      const p = await newParents(a);
      const seq = await a.openBatch(p.farmId, LONG);
      await assert.rejects(
        a.withTransaction(async (tx) => {
          assert.ok(await a.publishBatch(tx, seq, { created: 1, updated: 0, unchanged: 0 }));
          throw new Error('a shard failed');
        }),
        /a shard failed/,
      );
      assert.ok((await a.snapshot()).excluded.includes(seq), 'still writing');
      const short = await a.openBatch(p.farmId, { owner: 'slow', ttlMs: 1_000 });
      let listed: { seq: number }[] = [];
      await a.withTransaction(async (tx) => {
        assert.ok(await a.publishBatch(tx, short, { created: 1, updated: 0, unchanged: 0 }));
        await sleep(1_100); // the lease runs out while the publish commits
        listed = await b.expiredBatches();
      });
      assert.ok(!listed.some((e) => e.seq === short), 'a locked (publishing) batch is skipped');
      assert.ok(!(await b.snapshot()).excluded.includes(short));
      assert.equal(await b.abandonBatch(short), false);
      await a.abandonBatch(seq);
    });

    test('a snapshot stays cheap past many published batches: the unpublished ones come from their partial index', async () => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`WITH n AS (UPDATE batch_counter SET last_seq = last_seq + 200000 RETURNING last_seq)
          INSERT INTO batches (batch_seq, farm_id, state, owner, expires_at, published_at, created, updated, unchanged)
          SELECT s, 'farm-many', 'published', 'loader', now(), now(), 1, 0, 0 FROM n, generate_series(n.last_seq - 199999, n.last_seq) s`);
        await admin.query(`ANALYZE batches`);
        const writing = await a.openBatch('farm-many', LONG);
        const began = performance.now();
        const snap = await b.snapshot();
        const took = performance.now() - began;
        assert.equal(snap.upTo, writing);
        assert.ok(snap.excluded.includes(writing));
        const plan = await admin.query(`EXPLAIN SELECT batch_seq FROM batches WHERE state IN ('writing', 'abandoned') AND batch_seq <= $1 ORDER BY batch_seq`, [snap.upTo]);
        assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /batches_unpublished/);
        assert.ok(took < 1_000, `snapshot took ${took} ms`);
        await a.abandonBatch(writing);
      } finally {
        await admin.end();
      }
    });
  });

  describe('aggregation results', () => {
    /** Every group member present, undefined where absent: the shape every engine answers. */
    const complete = (r: AggregationRow): AggregationRow => ({ queueId: undefined, fleetId: undefined, jobId: undefined, jobName: undefined, userId: undefined, usageType: undefined, instanceType: undefined, licenseProduct: undefined, ...r });
    const rows: AggregationRow[] = [
      // Not in any sorted order: page order is the order given.
      { bucketStart: 1_700_000_000_000, bucketEnd: 1_700_086_400_000, queueId: 'queue-b', usageType: 'COMPUTE', count: 3, runtimeSeconds: { sum: 9_007_199_254_740.991, min: 0.001, max: 9_007_199_254_000.5 }, costUsd: { sum: 0.1 + 0.2, min: 1e-300, max: 1.7976931348623157e308 } },
      { bucketStart: 1_700_000_000_000, bucketEnd: 1_700_086_400_000, count: 1, runtimeSeconds: { sum: 1e21, min: 1e21, max: 1e21 }, costUsd: { sum: 0, min: 0, max: 0 } },
      { bucketStart: 1_600_000_000_000, bucketEnd: 1_700_000_000_000, queueId: 'queue-a', jobId: 'job-1', jobName: 'shot "010", \\ {x}', userId: 'ä', licenseProduct: 'maya', count: 2 ** 40, runtimeSeconds: { sum: 123_456_789.123, min: 3600, max: 7200.25 }, costUsd: { sum: 123456.789012345, min: 0.5, max: 0.75 } },
      { bucketStart: 0, bucketEnd: 1, fleetId: 'fleet-1', instanceType: 'NULL', count: 1, runtimeSeconds: { sum: 1 / 3, min: 1 / 3, max: 1 / 3 }, costUsd: { sum: -0.000123, min: 5e-324, max: 2 / 3 } },
      { bucketStart: 5, bucketEnd: 6, usageType: 'LICENSE', licenseProduct: '', count: 0, runtimeSeconds: { sum: 0, min: 0, max: 0 }, costUsd: { sum: 1e-7, min: 1e-7, max: 1e-7 } },
    ].map(complete);

    test('rows come back exactly as stored, in the order given, a page at a time, on either server; a result is stored once', async () => {
      const farmId = await newFarm(a);
      const agg = newAggregation(farmId);
      assert.deepEqual(await a.startAggregation(agg, LONG), { claimed: true });
      assert.equal(await a.finishAggregation(agg.aggregationId, 'COMPLETED', 'No rate for maya', rows), true);
      await a.releaseFarmSlot(farmId, agg.aggregationId);
      assert.equal(await b.finishAggregation(agg.aggregationId, 'FAILED', 'late', []), false);
      const record = await b.getAggregation(agg.aggregationId);
      assert.deepEqual(record, { ...agg, status: 'COMPLETED', statusMessage: 'No rate for maya', rowCount: rows.length });
      const read = [...(await b.readAggregationRows(agg.aggregationId, 0, 2)), ...(await a.readAggregationRows(agg.aggregationId, 2, 2)), ...(await b.readAggregationRows(agg.aggregationId, 4, 100))];
      assert.deepEqual(read, rows);
      assert.deepEqual(await b.readAggregationRows(agg.aggregationId, 5, 100), []);
      assert.deepEqual(await b.readAggregationRows('unknown', 0, 100), []);
    });

    test('a large result goes in and comes back whole', async () => {
      const farmId = await newFarm(a);
      const agg = newAggregation(farmId);
      await a.startAggregation(agg, LONG);
      const many = Array.from({ length: 25_000 }, (_, i): AggregationRow => ({
        bucketStart: i * 1000, bucketEnd: i * 1000 + 1000, userId: `user-${i % 97}`, count: i, runtimeSeconds: { sum: i * 1.001, min: i, max: i + 0.5 }, costUsd: { sum: i / 7, min: 0, max: i },
      })).map(complete);
      assert.ok(await a.finishAggregation(agg.aggregationId, 'COMPLETED', undefined, many));
      assert.deepEqual(await b.readAggregationRows(agg.aggregationId, 12_345, 3), many.slice(12_345, 12_348));
      assert.deepEqual(await b.readAggregationRows(agg.aggregationId, 24_990, 100), many.slice(24_990));
    });

    test('failAggregation ends it FAILED with its rows gone; expired ones go with their rows, never a running one', async () => {
      const [f1, f2, f3] = [await newFarm(a), await newFarm(a), await newFarm(a)];
      const [done, failed, running] = [newAggregation(f1), newAggregation(f2), newAggregation(f3)];
      for (const agg of [done, failed, running]) await a.startAggregation({ ...agg, expiresAt: 1 }, LONG);
      await a.finishAggregation(done.aggregationId, 'COMPLETED', undefined, rows);
      await b.failAggregation(failed.aggregationId, 'The aggregation failed: boom.');
      assert.deepEqual(await a.getAggregation(failed.aggregationId).then((r) => [r?.status, r?.statusMessage, r?.rowCount]), ['FAILED', 'The aggregation failed: boom.', 0]);
      assert.ok((await b.deleteExpiredAggregations(Date.now())) >= 2);
      assert.equal(await a.getAggregation(done.aggregationId), undefined);
      assert.equal(await a.getAggregation(failed.aggregationId), undefined);
      assert.deepEqual(await a.readAggregationRows(done.aggregationId, 0, 100), []);
      assert.equal((await a.getAggregation(running.aggregationId))?.status, 'IN_PROGRESS');
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const left = await admin.query(`SELECT count(*)::int AS n FROM aggregation_rows WHERE aggregation_id = $1`, [done.aggregationId]);
      await admin.end();
      assert.equal(left.rows[0].n, 0);
    });
  });

  describe('PostgreSQL out of reach', () => {
    test('a closed port: every call is StorageFault(unavailable) naming PostgreSQL and where; health says so', async () => {
      const port = await closedPort();
      const where = `127.0.0.1:${port}`;
      const nowhere = openPostgresState({ url: `postgres://postgres@${where}/farmtally` });
      try {
        await unreachable(nowhere.migrate(), where);
        await unreachable(nowhere.getFarm('farm-x'), where);
        await unreachable(nowhere.startAggregation(newAggregation('farm-x'), LONG), where);
        await unreachable(nowhere.withTransaction(async () => undefined), where);
        await unreachable(nowhere.snapshot(), where);
        const health = await nowhere.health();
        assert.ok(!health.ok && /^PostgreSQL unreachable at 127\.0\.0\.1/.test(health.problem), JSON.stringify(health));
      } finally {
        await nowhere.close();
      }
    });

    test('connections terminated mid-statement: that call is StorageFault(unavailable); the next ones are served', async () => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const farmId = await newFarm(a);
        const busy = unreachable(a.withTransaction((tx) => tx.query(`SELECT pg_sleep(5)`)), new URL(url).host);
        await sleep(300);
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'farmtally' AND pid <> pg_backend_pid()`, [dbName]);
        await busy;
        assert.equal((await eventually('a read after the termination', () => a.getFarm(farmId)))?.farmId, farmId);
        assert.equal((await eventually('a read on the other server', () => b.getFarm(farmId)))?.farmId, farmId);
      } finally {
        await admin.end();
      }
    });

    const PG_BIN = '/usr/lib/postgresql/15/bin';
    const ownServer = process.getuid?.() !== 0 ? 'a private PostgreSQL is started as the postgres user, which needs root' : !existsSync(`${PG_BIN}/pg_ctl`) ? `no ${PG_BIN}/pg_ctl` : false;

    test('PostgreSQL stopped and started again: unavailable while down, served again once back, by the same pool', { skip: ownServer }, async () => {
      const base = mkdtempSync(join(tmpdir(), 'farmtally-pg-'));
      const port = await closedPort();
      const where = `127.0.0.1:${port}`;
      const asPostgres = (...args: string[]) => run('runuser', ['-u', 'postgres', '--', ...args]);
      const pgCtl = (...args: string[]) => asPostgres(`${PG_BIN}/pg_ctl`, '-D', join(base, 'data'), ...args);
      const start = () => pgCtl('-l', join(base, 'server.log'), '-w', '-o', `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start');
      await run('chown', ['postgres:', base]);
      await asPostgres(`${PG_BIN}/initdb`, '-D', join(base, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync');
      await start();
      const own = openPostgresState({ url: `postgres://postgres@${where}/postgres` });
      try {
        await own.migrate();
        const farmId = await newFarm(own);
        assert.deepEqual(await own.health(), { ok: true });
        await pgCtl('-m', 'fast', '-w', 'stop');
        await unreachable(own.getFarm(farmId), where);
        await unreachable(own.openBatch(farmId, LONG), where);
        await sleep(1_100); // past the health check's second
        const down = await own.health();
        assert.ok(!down.ok && down.problem.startsWith(`PostgreSQL unreachable at ${where}`), JSON.stringify(down));
        await start();
        assert.equal((await eventually('a read once PostgreSQL is back', () => own.getFarm(farmId)))?.farmId, farmId);
        assert.deepEqual(await own.startAggregation(newAggregation(farmId), LONG), { claimed: true });
        await sleep(1_100);
        assert.deepEqual(await own.health(), { ok: true });
      } finally {
        await own.close();
        await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
        rmSync(base, { recursive: true, force: true });
      }
    });
  });
});
