// The merge of a staged batch into `sessions` and `jobs`: set-based statements in one
// transaction on the writer, one pass over the keys of `sessions` per batch, never
// a statement per record. The staging table is staging.ts's.
import { MissingParentsError } from '../store.js';
import type { Row, Sql } from './database.js';
import { DECODED_COLUMNS, STAGED } from './staging.js';
import { assignCodesSql, CODED_COLUMNS, codeLookup, sessionKey } from './value-codes.js';

/** What a record says about its session; a stored session equal in all of them is `unchanged`. */
const RECORD_COLUMNS = STAGED.map((s) => s.column).filter((c) => c !== 'session_id');

/**
 * The last record of each session in the batch (by position in the batch). Most batches name
 * each session once: then this is a view on the staging table, and the common case (new
 * sessions only) reaches `sessions` without copying the batch on the way (those copies were
 * a good part of a large merge: BENCHMARKS.md, What was tried).
 */
const latestRecords = (staging: string, repeats: boolean) => `CREATE OR REPLACE TEMP ${repeats ? 'TABLE' : 'VIEW'} ingest_latest AS
  SELECT pos, ${DECODED_COLUMNS}, ${sessionKey('session_id')} AS session_key
  FROM ${staging}
  ${repeats ? 'QUALIFY row_number() OVER (PARTITION BY session_id ORDER BY pos DESC) = 1' : ''}`;

// Finding the stored sessions takes two steps: a semi-join that reads only the key columns of
// every session, then a fetch of the whole rows found, by rowid. One join reading every
// column of every session measured slower, and the semi-join on the fixed-width session_key
// faster than on the ID strings (BENCHMARKS.md, What was tried); a digest collision only
// adds a candidate, which the classification's join on session_id drops.
const FIND_STORED = `CREATE OR REPLACE TEMP TABLE ingest_found AS
  SELECT rowid AS stored_rowid FROM sessions WHERE session_key IN (SELECT session_key FROM ingest_latest) AND farm_id = $1`;

/** The batch as it will be written: each latest record, its stored session if any, and the outcome. */
const CLASSIFY_AGAINST_FOUND = `CREATE OR REPLACE TEMP TABLE ingest_batch AS
  WITH stored AS (
    SELECT rowid AS stored_rowid, seq AS stored_seq, session_id, ${RECORD_COLUMNS.join(', ')} FROM sessions
    WHERE rowid IN (SELECT stored_rowid FROM ingest_found))
  SELECT latest.*, stored.stored_rowid, stored.stored_seq, stored.job_id AS stored_job_id,
    CASE WHEN stored.session_id IS NULL THEN 'created'
      WHEN ${RECORD_COLUMNS.map((c) => `latest.${c} IS NOT DISTINCT FROM stored.${c}`).join(' AND ')} THEN 'unchanged'
      ELSE 'updated' END AS outcome
  FROM ingest_latest latest LEFT JOIN stored ON stored.session_id = latest.session_id`;

// With nothing found the fetch by rowid would still read every session, so a batch
// of new sessions only is classified without it, as a view.
const CLASSIFY_ALL_NEW = `CREATE OR REPLACE TEMP VIEW ingest_batch AS
  SELECT *, NULL::BIGINT AS stored_rowid, NULL::BIGINT AS stored_seq, NULL::VARCHAR AS stored_job_id, 'created' AS outcome FROM ingest_latest`;

const MISSING_PARENTS = `
  SELECT 'queue' AS kind, queue_id AS id FROM (SELECT DISTINCT queue_id FROM ingest_batch WHERE outcome <> 'unchanged')
    WHERE queue_id NOT IN (SELECT queue_id FROM queues WHERE farm_id = $1)
  UNION ALL
  SELECT 'fleet', fleet_id FROM (SELECT DISTINCT fleet_id FROM ingest_batch WHERE outcome <> 'unchanged')
    WHERE fleet_id NOT IN (SELECT fleet_id FROM fleets WHERE farm_id = $1)`;

const changed = (outcome: string) => {
  const { columns, joins } = codeLookup('b');
  return `(SELECT b.*, ${columns} FROM ingest_batch b
    ${joins}
    WHERE b.outcome = '${outcome}')`;
};

const CODE_COLUMNS = CODED_COLUMNS.map((c) => c.code);

const ASSIGN_CODES = assignCodesSql(`(SELECT * FROM ingest_batch WHERE outcome <> 'unchanged')`);

// A changed session now carries this batch's ID ($2); an unchanged one keeps the batch that wrote it.
const UPDATE_SESSIONS = `UPDATE sessions SET ${[...RECORD_COLUMNS, ...CODE_COLUMNS].map((c) => `${c} = b.${c}`).join(', ')}, updated_at = $1, batch_id = $2
  FROM ${changed('updated')} b WHERE sessions.rowid = b.stored_rowid`;

// A new session's seq is the batch's first (the writer's next, $3) plus its place in the batch:
// unique, and in the order the rows are appended (gaps where a repeat was dropped do no harm).
const INSERT_SESSIONS = `INSERT INTO sessions (farm_id, session_id, ${RECORD_COLUMNS.join(', ')}, updated_at, session_key, ${CODE_COLUMNS.join(', ')}, seq, batch_id)
  SELECT $1, session_id, ${RECORD_COLUMNS.join(', ')}, $2, session_key, ${CODE_COLUMNS.join(', ')}, $3 + pos, $4 FROM ${changed('created')} b`;

/**
 * Widens the farm's bound on finished sessions' length by the written records. Never
 * narrowed (an update that shortens a session leaves it): a bound too wide only costs speed.
 */
export const widenSpansSql = (source: string) => `INSERT INTO farm_session_spans
  SELECT farm_id, max(ended_at - started_at) FROM ${source} WHERE ended_at IS NOT NULL GROUP BY farm_id
  ON CONFLICT (farm_id) DO UPDATE SET longest_closed_ms = greatest(farm_session_spans.longest_closed_ms, excluded.longest_closed_ms)`;

const WIDEN_SPANS = widenSpansSql(`(SELECT $1 AS farm_id, started_at, ended_at FROM ingest_batch WHERE outcome <> 'unchanged')`);

/** The farm's running sessions, exactly: the written records replace what was known of theirs. */
const FORGET_RUNNING = `DELETE FROM running_sessions WHERE farm_id = $1 AND session_id IN (SELECT session_id FROM ingest_batch WHERE outcome <> 'unchanged')`;
export const addRunningSql = (source: string) =>
  `INSERT INTO running_sessions (farm_id, session_id, started_at, job_id) SELECT farm_id, session_id, started_at, job_id FROM ${source} WHERE ended_at IS NULL`;
const ADD_RUNNING = addRunningSql(`(SELECT $1 AS farm_id, session_id, started_at, ended_at, job_id FROM ingest_batch WHERE outcome <> 'unchanged')`);

/** A job's single-column key (jobs_by_key): DuckDB looks rows up by an index on one column only. */
export const jobKeySql = (farmId: string, jobId: string) => `${farmId} || '/' || ${jobId}`;

// The jobs the changed records name take queue, name and user from their last record in the
// batch. A job's span is min(started_at) and max(ended_at) over its sessions, or no end while
// one of them runs. Jobs that only gained sessions extend their stored span by the new ones:
// recomputing every touched job from all its sessions read most of `sessions` per batch
// once sessions spread over many jobs (BENCHMARKS.md, What was tried).
// Jobs an updated record names or leaves are recomputed from their sessions (an update may
// shorten a span or close the last running session); one left with none is removed.
const JOB_CHANGES = `CREATE OR REPLACE TEMP TABLE ingest_jobs AS
  WITH named AS (
    SELECT job_id, arg_max(queue_id, pos) AS queue_id, arg_max(job_name, pos) AS name, arg_max(user_id, pos) AS user_id,
      min(started_at) AS started_at, max(ended_at) AS ended_at, count(ended_at) = count(*) AS all_ended
    FROM ingest_batch WHERE outcome <> 'unchanged' GROUP BY job_id),
  updated AS (
    SELECT job_id FROM ingest_batch WHERE outcome = 'updated'
    UNION SELECT stored_job_id FROM ingest_batch WHERE outcome = 'updated'),
  recomputed AS (
    SELECT job_id, min(started_at) AS started_at, CASE WHEN count(ended_at) = count(*) THEN max(ended_at) END AS ended_at,
      max(ended_at) AS last_ended_at
    FROM sessions WHERE farm_id = $1 AND job_code IN (SELECT code FROM value_codes WHERE kind = 'job' AND value IN (SELECT job_id FROM updated))
    GROUP BY job_id),
  extended AS (
    SELECT named.job_id, least(stored.started_at, named.started_at) AS started_at,
      CASE WHEN named.all_ended AND (stored.job_id IS NULL OR stored.ended_at IS NOT NULL) THEN greatest(stored.ended_at, named.ended_at) END AS ended_at,
      greatest(stored.last_ended_at, named.ended_at) AS last_ended_at
    FROM named LEFT JOIN jobs stored ON stored.farm_id = $1 AND stored.job_id = named.job_id
    WHERE named.job_id NOT IN (SELECT job_id FROM updated))
  SELECT job_id, named.queue_id, named.name, named.user_id, span.started_at, span.ended_at, span.last_ended_at, span.started_at IS NULL AS emptied
  FROM (SELECT job_id FROM named UNION SELECT job_id FROM updated) touched
  LEFT JOIN named USING (job_id)
  LEFT JOIN (SELECT * FROM extended UNION ALL SELECT * FROM recomputed) span USING (job_id)`;

const DELETE_EMPTIED_JOBS = `DELETE FROM jobs WHERE farm_id = $1 AND job_id IN (SELECT job_id FROM ingest_jobs WHERE emptied)`;

const UPSERT_NAMED_JOBS = `INSERT INTO jobs (farm_id, queue_id, job_id, name, user_id, created_at, updated_at, started_at, ended_at, job_key, last_ended_at)
  SELECT $1, queue_id, job_id, name, user_id, $2, $2, started_at, ended_at, ${jobKeySql('$1', 'job_id')}, last_ended_at FROM ingest_jobs WHERE name IS NOT NULL
  ON CONFLICT (farm_id, job_id) DO UPDATE SET queue_id = excluded.queue_id, name = excluded.name, user_id = excluded.user_id,
    updated_at = excluded.updated_at, started_at = excluded.started_at, ended_at = excluded.ended_at, last_ended_at = excluded.last_ended_at`;

const RESPAN_LEFT_JOBS = `UPDATE jobs SET started_at = j.started_at, ended_at = j.ended_at, last_ended_at = j.last_ended_at, updated_at = $2 FROM ingest_jobs j
  WHERE jobs.farm_id = $1 AND jobs.job_id = j.job_id AND j.name IS NULL AND NOT j.emptied`;

/**
 * The merge, run inside one transaction on the writer (`db` is the transaction's); the sessions
 * it writes carry `batchId`. Answers the counts, and the stored rows (seq and every column) of
 * the sessions it changed that still run, for the writer's memory: the running sessions it
 * created are those from `firstSeq` on, which the writer reads by seq.
 */
export async function mergeStagedSessions(db: Sql, farmId: string, staging: string, nowMs: number, firstSeq: number, batchId: number) {
  const repeats = Boolean((await db.one(`SELECT count(*) <> count(DISTINCT session_id) AS repeats FROM ${staging}`))!.repeats);
  await db.run(latestRecords(staging, repeats));
  await db.run(FIND_STORED, [farmId]);
  const found = Number((await db.one(`SELECT count(*) AS n FROM ingest_found`))!.n);
  await db.run(found > 0 ? CLASSIFY_AGAINST_FOUND : CLASSIFY_ALL_NEW);
  await db.run(`DROP TABLE ingest_found`);
  const counts = (await db.one(`SELECT count(*) FILTER (outcome = 'created') AS created, count(*) FILTER (outcome = 'updated') AS updated,
    count(*) FILTER (outcome = 'unchanged') AS unchanged, count(*) FILTER (outcome <> 'unchanged' AND ended_at IS NULL) AS running,
    count(*) FILTER (outcome = 'updated' AND ended_at IS NULL) AS running_updated
    FROM ingest_batch`))!;
  let runningUpdated: Row[] = [];
  const result = { created: Number(counts.created), updated: Number(counts.updated), unchanged: Number(counts.unchanged) };
  if (result.created + result.updated > 0) {
    const missing = await db.all(MISSING_PARENTS, [farmId]);
    if (missing.length) {
      const ids = (kind: string) => missing.filter((m) => m.kind === kind).map((m) => m.id as string);
      throw new MissingParentsError(ids('queue'), ids('fleet'));
    }
    await db.run(ASSIGN_CODES);
    if (result.updated > 0) await db.run(UPDATE_SESSIONS, [nowMs, batchId]);
    // By seq, as a list of constants DuckDB skips row groups by (a fetch by the rowids of
    // rows this transaction updated found none in DuckDB 1.5).
    if (Number(counts.running_updated) > 0) {
      const changedRunning = `SELECT stored_seq FROM ingest_batch WHERE outcome = 'updated' AND ended_at IS NULL`;
      const seqs = (await db.all(changedRunning)).map((r) => Math.trunc(Number(r.stored_seq)));
      // Past a few thousand, a semi-join (one pass over seq) beats a statement that long.
      const list = seqs.length <= 5000 ? seqs.join(', ') : changedRunning;
      runningUpdated = await db.all(`SELECT seq, * FROM sessions WHERE seq IN (${list})`);
    }
    if (result.created > 0) await db.run(INSERT_SESSIONS, [farmId, nowMs, firstSeq, batchId]);
    // Each statement costs a few milliseconds whatever the batch, so those that cannot
    // change anything are left out: a created session was not stored, so it neither was
    // running nor leaves a job; only updates empty or shrink a job.
    const running = Number(counts.running);
    if (running < result.created + result.updated) await db.run(WIDEN_SPANS, [farmId]);
    if (result.updated > 0) await db.run(FORGET_RUNNING, [farmId]);
    if (running > 0) await db.run(ADD_RUNNING, [farmId]);
    await db.run(JOB_CHANGES, [farmId]);
    if (result.updated > 0) await db.run(DELETE_EMPTIED_JOBS, [farmId]);
    await db.run(UPSERT_NAMED_JOBS, [farmId, nowMs]);
    if (result.updated > 0) await db.run(RESPAN_LEFT_JOBS, [farmId, nowMs]);
    await db.run(`DROP TABLE ingest_jobs`);
  }
  // The batch may be a view on ingest_latest, so it goes first.
  await db.run(`DROP ${found > 0 ? 'TABLE' : 'VIEW'} ingest_batch`);
  await db.run(`DROP ${repeats ? 'TABLE' : 'VIEW'} ingest_latest`);
  return { counts: result, runningUpdated };
}
