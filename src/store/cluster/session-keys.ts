// What ingest reads of the stored versions by key, from each shard's narrow tables
// (store/clickhouse/schema.ts), written beside every version (session-ingest.ts writeRows)
// and read through the same snapshot and superseded marks as the version itself:
// - session_keys_local, by session ID: what classifies a record against its session's
//   visible version (batch-plan.ts), the batch's IDs sent to the shard that holds them as an
//   external table, one statement per shard whatever the batch's size;
// - job_sessions_local, by job ID: the spans of the jobs a batch changed, from every shard.
import type { SessionRecord } from '../../domain/resources.js';
import { identifier } from '../clickhouse/schema.js';
import type { Shards } from '../clickhouse/shards.js';
import { integer, stringLiteral } from '../clickhouse/sql-text.js';
import type { StoredVersion } from './batch-plan.js';
import type { Respanned, Snapshot } from './cluster-state.js';
import { FINGERPRINT_SQL, recordFingerprint } from './record-fingerprint.js';

/** Keys for the sessions already stored (a database migrated from before the key tables), by table: one statement per shard each. */
export const backfillKeysSql = (database: string): Record<'session_keys_local' | 'job_sessions_local', string> => {
  const db = identifier(database);
  return {
    session_keys_local: `INSERT INTO ${db}.session_keys_local (farm_id, session_id, batch_seq, fingerprint, user_id, queue_id, fleet_id, job_id)
      SELECT farm_id, session_id, batch_seq, ${FINGERPRINT_SQL}, user_id, queue_id, fleet_id, job_id FROM ${db}.sessions_local`,
    job_sessions_local: `INSERT INTO ${db}.job_sessions_local (farm_id, job_id, session_id, batch_seq, started_at, ended_at)
      SELECT farm_id, job_id, session_id, batch_seq, started_at, ended_at FROM ${db}.sessions_local`,
  };
};

/** A record as a row of session_keys_local, written by batch `seq`. */
export const toKeyRow = (farmId: string, r: SessionRecord, seq: number): Record<string, unknown> => ({
  farm_id: farmId,
  session_id: r.sessionId,
  batch_seq: seq,
  fingerprint: recordFingerprint(r),
  user_id: r.userId,
  queue_id: r.queueId,
  fleet_id: r.fleetId,
  job_id: r.jobId,
});

/** A record as a row of job_sessions_local, written by batch `seq`. */
export const toJobSessionRow = (farmId: string, r: SessionRecord, seq: number): Record<string, unknown> => ({
  farm_id: farmId,
  job_id: r.jobId,
  session_id: r.sessionId,
  batch_seq: seq,
  started_at: r.startedAt,
  ended_at: r.endedAt ?? null,
});

/** The visible version of each session of `sessionIds` that has one in the snapshot. */
export async function storedVersions(shards: Shards, farmId: string, sessionIds: readonly string[], snapshot: Snapshot): Promise<Map<string, StoredVersion>> {
  const perShard = Array.from({ length: shards.count }, () => [] as string[][]);
  for (const id of sessionIds) perShard[shards.shardOf(farmId, id)]!.push([id]);
  const sql = `SELECT session_id, batch_seq, toString(fingerprint) AS fingerprint, user_id, queue_id, fleet_id, job_id
    FROM session_keys_local WHERE ${visibleKeysSql(farmId, snapshot, 'session_id IN ft_ids', 'session_id IN ft_ids')}`;
  const found = new Map<string, StoredVersion>();
  await Promise.all(
    perShard.map(async (ids, shard) => {
      if (ids.length === 0) return;
      const rows = await shards.rows(sql, { shard, tables: [{ name: 'ft_ids', structure: 'session_id String', rows: ids }, excludedTable(snapshot)] });
      for (const r of rows) {
        found.set(r.session_id as string, {
          batchSeq: Number(r.batch_seq),
          fingerprint: r.fingerprint as string,
          userId: r.user_id as string,
          queueId: r.queue_id as string,
          fleetId: r.fleet_id as string,
          jobId: r.job_id as string,
        });
      }
    }),
  );
  return found;
}

/** The snapshot's excluded batches as an external table (0 is never a batch: never empty). */
const excludedTable = (snapshot: Snapshot) => ({ name: 'ft_excluded', structure: 'seq UInt64', rows: [0, ...snapshot.excluded].map((seq) => [Math.trunc(seq)]) });

/**
 * The rows of a key table (its own columns session_id and batch_seq) that `keys` picks and
 * the snapshot shows: their marks found by `marked`, a condition on superseded_local's
 * session_id. Lists travel as external tables, so the statement stays short (it goes in the URL).
 */
function visibleKeysSql(farmId: string, snapshot: Snapshot, keys: string, marked: string): string {
  const farm = stringLiteral(farmId);
  const upTo = integer(Math.trunc(snapshot.upTo));
  return `farm_id = ${farm} AND ${keys} AND batch_seq <= ${upTo} AND batch_seq NOT IN ft_excluded
      AND (session_id, batch_seq) NOT IN (SELECT session_id, batch_seq FROM superseded_local
        WHERE farm_id = ${farm} AND ${marked} AND by_seq <= ${upTo} AND by_seq NOT IN ft_excluded)`;
}

/**
 * The jobs' spans over their visible sessions in `snapshot`: min start, and the latest end
 * once none runs; no span for a job left with none. A job's sessions lie on every shard: each
 * answers for its own, and the answers are put together here.
 */
export async function respans(shards: Shards, farmId: string, jobIds: readonly string[], snapshot: Snapshot): Promise<Respanned[]> {
  if (jobIds.length === 0) return [];
  const farm = stringLiteral(farmId);
  const sql = `SELECT job_id, min(started_at) AS first_start, countIf(isNull(ended_at)) AS running, max(ended_at) AS last_end
    FROM job_sessions_local
    WHERE ${visibleKeysSql(farmId, snapshot, 'job_id IN ft_jobs', `session_id IN (SELECT session_id FROM job_sessions_local WHERE farm_id = ${farm} AND job_id IN ft_jobs)`)}
    GROUP BY job_id`;
  const tables = [{ name: 'ft_jobs', structure: 'job_id String', rows: jobIds.map((id) => [id]) }, excludedTable(snapshot)];
  const spans = new Map<string, { first: number; running: number; last?: number }>();
  const answers = await Promise.all(shards.urls.map((_, shard) => shards.rows(sql, { shard, tables })));
  for (const r of answers.flat()) {
    const jobId = r.job_id as string;
    const before = spans.get(jobId);
    const last = r.last_end === null ? undefined : Number(r.last_end);
    spans.set(jobId, {
      first: Math.min(before?.first ?? Infinity, Number(r.first_start)),
      running: (before?.running ?? 0) + Number(r.running),
      last: last === undefined ? before?.last : Math.max(before?.last ?? -Infinity, last),
    });
  }
  return jobIds.map((jobId) => {
    const s = spans.get(jobId);
    return { jobId, span: s && { startedAt: s.first, endedAt: s.running === 0 ? s.last : undefined } };
  });
}
