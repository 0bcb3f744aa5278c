// A small batch must cost the same whatever the farm's history: into a store of 1 000 000
// sessions, no statement of a 10-record batch of new sessions may read more than 10 000
// rows (DuckDB's own count, through EXPLAIN ANALYZE), and one that closes sessions reads
// only the row groups those sessions lie in (DuckDB skips by row group, 122 880 rows, the
// finest it can without an index on sessions: docs/DECISIONS.md).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SessionRecord } from '../src/domain/resources.js';
import { openDuckDbStore, type DuckDbStore } from '../src/store/duckdb/index.js';
import { KEY_BLOCK } from '../src/store/duckdb/session-key-index.js';
import { countsOf, farm, fleet, queue } from './store-contract/fixtures.js';

const STORED = 1_000_000;
const SESSIONS_PER_JOB = 50;
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

const dir = mkdtempSync(join(tmpdir(), 'farmtally-reads-'));
const read: { sql: string; rows: number }[] = [];
let store: DuckDbStore;
const f = farm();
const q = queue(f.farmId);
const fl = fleet(f.farmId);

/** Fills the store with STORED finished sessions (and their jobs and codes) in SQL, as a bulk import would leave them. */
async function fill(s: DuckDbStore): Promise<void> {
  await s.createFarm(f);
  await s.createQueue(q);
  await s.createFleet(fl);
  const jobs = STORED / SESSIONS_PER_JOB;
  await s.db.transaction(async (tx) => {
    await tx.run(`INSERT INTO value_codes VALUES ('queue', $1, 1), ('fleet', $2, 1), ('user', 'ana', 1), ('instance_type', 'c5.4xlarge', 1)`, [q.queueId, fl.fleetId]);
    await tx.run(`INSERT INTO value_codes SELECT 'job', printf('job-%032x', i), i + 1 FROM range(${jobs}) t(i)`);
    await tx.run(`INSERT INTO sessions SELECT $1, printf('session-%032x', i), $2, printf('job-%032x', i // ${SESSIONS_PER_JOB}), 'shot', 'ana', $3,
        'worker-00000000000000000000000000000001', 'c5.4xlarge', ${T0} + i * 60000, ${T0} + i * 60000 + ${HOUR}, NULL, ${T0},
        md5_number_lower(printf('session-%032x', i)), 1, 1, i // ${SESSIONS_PER_JOB} + 1, 1, 1, NULL, i, NULL
      FROM range(${STORED}) t(i)`, [f.farmId, q.queueId, fl.fleetId]);
    await tx.run(`INSERT INTO jobs SELECT farm_id, queue_id, job_id, 'shot', 'ana', ${T0}, ${T0}, min(started_at), max(ended_at), farm_id || '/' || job_id, max(ended_at)
      FROM sessions GROUP BY ALL`);
    await tx.run(`INSERT INTO farm_session_spans VALUES ($1, ${HOUR})`, [f.farmId]);
  });
  await s.db.run('CHECKPOINT');
}

before(async () => {
  const filling = await openDuckDbStore({ dataDir: dir });
  await fill(filling);
  await filling.close();
  // Opened again: the writer reads its key index and codes from the table, as a server does at start.
  store = await openDuckDbStore({ dataDir: dir, probeGroupStatements: (sql, rows) => read.push({ sql, rows }) });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const session = (i: number, overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  sessionId: `session-ab${i.toString(16).padStart(30, '0')}`,
  queueId: q.queueId,
  jobId: 'job-ab000000000000000000000000000000',
  jobName: 'feed',
  userId: 'ben',
  fleetId: fl.fleetId,
  workerId: 'worker-00000000000000000000000000000002',
  startedAt: T0 + 400 * 24 * HOUR,
  ...overrides,
});

const widest = () => read.reduce((most, s) => (s.rows > most.rows ? s : most), { sql: '(none)', rows: 0 });

test('10 new sessions into 1 000 000: no statement reads more than 10 000 rows', async () => {
  read.length = 0;
  const batch = Array.from({ length: 10 }, (_, i) => session(i, { endedAt: i % 2 ? T0 + 400 * 24 * HOUR + HOUR : undefined }));
  assert.deepEqual(countsOf(await store.writeSessions(f.farmId, batch, Date.now())), { created: 10, updated: 0, unchanged: 0 });
  assert.ok(read.length >= 2, `the probe saw ${read.length} statements`);
  const most = widest();
  assert.ok(most.rows <= 10_000, `${most.rows} rows read by: ${most.sql.slice(0, 300)}`);
});

test('closing sessions, new and old, reads only the row groups they lie in', async () => {
  read.length = 0;
  // The five still running end now; the five that ended are sent again as they were.
  const closing = Array.from({ length: 10 }, (_, i) => session(i, { endedAt: T0 + 400 * 24 * HOUR + (i % 2 ? HOUR : 2 * HOUR) }));
  // And one of the oldest sessions, corrected to end later (it lies in the first row group).
  const old: SessionRecord = {
    sessionId: `session-${(7).toString(16).padStart(32, '0')}`, queueId: q.queueId, jobId: `job-${(0).toString(16).padStart(32, '0')}`, jobName: 'shot', userId: 'ana',
    fleetId: fl.fleetId, workerId: 'worker-00000000000000000000000000000001', instanceType: 'c5.4xlarge', startedAt: T0 + 7 * 60_000, endedAt: T0 + 7 * 60_000 + 2 * HOUR,
  };
  assert.deepEqual(countsOf(await store.writeSessions(f.farmId, [...closing, old], Date.now())), { created: 0, updated: 6, unchanged: 5 });
  const most = widest();
  // Two blocks hold these sessions (the first, and the newest): each statement reads at most their two row groups.
  assert.ok(most.rows <= 2 * KEY_BLOCK, `${most.rows} rows read by: ${most.sql.slice(0, 300)}`);
  const job = await store.getJob(f.farmId, q.queueId, old.jobId);
  assert.equal(job!.endedAt, old.endedAt, 'the old job widened to the corrected end');
  const fed = await store.getJob(f.farmId, q.queueId, closing[0]!.jobId);
  assert.equal(fed!.endedAt, T0 + 400 * 24 * HOUR + 2 * HOUR, 'the fed job closed with its last running session');
});
