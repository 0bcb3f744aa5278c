// The store's two ways in must mean the same: seeded random sequences of batches (new
// sessions, repeats in a batch, re-sends, sessions closed, reopened, moved between jobs,
// started later or ended earlier) written to one store staged and merged in SQL one batch
// at a time, and to another from memory in concurrent waves that the writer commits as
// groups (with a staged wave now and then, which the writer's memory must follow). Every batch's counts, and afterwards every session, job, running session and span
// bound, must be equal; and each job must span exactly its sessions.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDuckDbStore, type DuckDbStore } from '../src/store/duckdb/index.js';
import { WriterBusyError } from '../src/store/store.js';
import { countsOf, farm, fleet, ingest as stageAndCommit, parents, queue, record } from './store-contract/fixtures.js';
import { sessionChurn } from './support/session-churn.js';

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'farmtally-group-'));
let staged: DuckDbStore;
let grouped: DuckDbStore;

before(async () => {
  staged = await openDuckDbStore({ dataDir: join(dir, 'staged') });
  grouped = await openDuckDbStore({ dataDir: join(dir, 'grouped') });
});
after(async () => {
  await staged?.close();
  await grouped?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The tables' contents that must agree (codes may be numbered differently, so values are compared decoded). */
async function contents(store: DuckDbStore, farmId: string) {
  const rows = (sql: string) => store.db.all(sql, [farmId]);
  return {
    sessions: await rows(`SELECT session_id, queue_id, job_id, job_name, user_id, fleet_id, worker_id, instance_type, started_at, ended_at,
      license_products::VARCHAR AS products FROM sessions WHERE farm_id = $1 ORDER BY session_id`),
    jobs: await rows(`SELECT job_id, queue_id, name, user_id, started_at, ended_at, job_key, last_ended_at FROM jobs WHERE farm_id = $1 ORDER BY job_id`),
    running: await rows(`SELECT session_id, started_at, job_id FROM running_sessions WHERE farm_id = $1 ORDER BY session_id`),
    spans: await rows(`SELECT longest_closed_ms FROM farm_session_spans WHERE farm_id = $1`),
    // Codes must name the values they stand for.
    badCodes: await rows(`SELECT s.session_id FROM sessions s LEFT JOIN value_codes v ON v.kind = 'job' AND v.code = s.job_code
      WHERE s.farm_id = $1 AND v.value IS DISTINCT FROM s.job_id`),
  };
}

/** Each job's span recomputed from its sessions, where it differs from the stored one. */
async function wrongSpans(store: DuckDbStore, farmId: string) {
  return store.db.all(
    `SELECT j.job_id FROM jobs j JOIN (SELECT job_id, min(started_at) AS s, CASE WHEN count(ended_at) = count(*) THEN max(ended_at) END AS e, max(ended_at) AS l
       FROM sessions WHERE farm_id = $1 GROUP BY job_id) x USING (job_id)
     WHERE j.farm_id = $1 AND (j.started_at <> x.s OR j.ended_at IS DISTINCT FROM x.e OR j.last_ended_at IS DISTINCT FROM x.l)`,
    [farmId],
  );
}

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: grouped batches count and store what batches merged one at a time do`, async () => {
    const f = farm();
    const queues = [queue(f.farmId), queue(f.farmId)];
    const fleets = [fleet(f.farmId), fleet(f.farmId, 'serviceManagedEc2')];
    for (const store of [staged, grouped]) {
      await store.createFarm(f);
      for (const q of queues) await store.createQueue(q);
      for (const fl of fleets) await store.createFleet(fl);
    }
    const churn = sessionChurn(seed, { queueIds: queues.map((q) => q.queueId), fleetIds: fleets.map((fl) => fl.fleetId) });
    const t0 = churn.t0;

    for (let wave = 0; wave < 20; wave++) {
      const batches = churn.wave();
      const nowMs = t0 + wave * 1000;
      const expected = [];
      for (const batch of batches) expected.push(await stageAndCommit(staged, f.farmId, batch, nowMs));
      // Every fourth wave reaches the grouped store staged too: what the writer holds in memory
      // (running sessions, jobs, codes, keys) must follow a staged merge.
      const got =
        wave % 4 === 3
          ? await batches.reduce<Promise<unknown[]>>(async (done, batch) => [...(await done), await stageAndCommit(grouped, f.farmId, batch, nowMs)], Promise.resolve([]))
          : await Promise.all(batches.map(async (batch) => countsOf(await grouped.writeSessions(f.farmId, batch, nowMs))));
      assert.deepEqual(got, expected, `wave ${wave}: counts`);
    }
    const want = await contents(staged, f.farmId);
    const have = await contents(grouped, f.farmId);
    assert.ok(want.sessions.length > 10);
    assert.deepEqual(have, want);
    assert.deepEqual(have.badCodes, []);
    assert.deepEqual(await wrongSpans(grouped, f.farmId), []);
    assert.deepEqual(await wrongSpans(staged, f.farmId), []);
  });
}

test('a grouped store reopened finds its sessions again: re-sending them is unchanged', async () => {
  const p = await parents(grouped);
  const f = { farmId: p.farmId };
  const t0 = Date.UTC(2025, 4, 1);
  const jobId = record(p).jobId;
  const records = Array.from({ length: 30 }, (_, i) => record(p, { jobId, startedAt: t0 + i * HOUR, endedAt: i % 3 ? t0 + i * HOUR + 60_000 : undefined }));
  assert.deepEqual(countsOf(await grouped.writeSessions(f.farmId, records, t0)), { created: 30, updated: 0, unchanged: 0 });
  await grouped.close();
  grouped = await openDuckDbStore({ dataDir: join(dir, 'grouped') });
  assert.deepEqual(countsOf(await grouped.writeSessions(f.farmId, records, t0)), { created: 0, updated: 0, unchanged: 30 });
  const closed = records.map((x) => (x.endedAt === undefined ? { ...x, endedAt: x.startedAt + 2 * HOUR } : x));
  assert.deepEqual(countsOf(await grouped.writeSessions(f.farmId, closed, t0)), { created: 0, updated: 10, unchanged: 20 });
  assert.deepEqual(await wrongSpans(grouped, f.farmId), []);
});

test('past the records waiting for the writer, a batch is refused at once and writes nothing; the others land', async () => {
  const busy = await openDuckDbStore({ dataDir: join(dir, 'busy'), maxWaitingRecords: 100 });
  try {
    const p = await parents(busy);
    const f = { farmId: p.farmId };
    const t0 = Date.UTC(2025, 4, 1);
    const batches = [0, 1, 2, 3].map(() => Array.from({ length: 40 }, () => record(p)));
    const batch = (b: number) => batches[b]!;
    // Sent at once: the first three (120 records) wait together past the bound of 100 only with the third.
    const answers = await Promise.allSettled([0, 1, 2, 3].map((b) => busy.writeSessions(f.farmId, batch(b), t0)));
    assert.deepEqual(answers.map((a) => a.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const refused = answers[2]!;
    assert.ok(refused.status === 'rejected' && refused.reason instanceof WriterBusyError);
    assert.deepEqual(countsOf(await busy.writeSessions(f.farmId, [...batch(0), ...batch(1)], t0)), { created: 0, updated: 0, unchanged: 80 });
    assert.deepEqual(countsOf(await busy.writeSessions(f.farmId, batch(2), t0)), { created: 40, updated: 0, unchanged: 0 }, 'the refused batch wrote nothing');
  } finally {
    await busy.close();
  }
});
