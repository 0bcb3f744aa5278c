// The ClickHouse schema of the sharded store: sessions and their superseded versions, a
// MergeTree table on each shard (`*_local`) under a Distributed table of the same columns.
//
// Sessions are never updated in place: each ingest batch writes new versions (batch_seq, the
// batch that wrote them), and a row in `superseded` marks a version replaced or deleted by a
// later batch (by_seq). A reader picks its snapshot of batches and filters on both, so an
// aggregation never sees half a batch (aggregation-sql.ts).
//
// Ingest classifies each record against its session's visible version, found by session ID:
// `session_keys` holds, for every version, what that takes (its batch, a fingerprint of the
// record, its user, queue, fleet and job), ordered by (farm_id, session_id) so that a lookup
// reads the granules of the IDs asked for. A batch that changes sessions works out their
// jobs' spans again from the jobs' sessions: `job_sessions` holds each version's job, start
// and end, ordered by (farm_id, job_id). Sessions are ordered for the aggregation (farm,
// queue, start), where a lookup by session or job read every row of the farm (BENCHMARKS.md,
// "Cluster engine (issue 18)": the times before and after).
//
// Both Distributed tables shard by the same key, a hash of (farm_id, session_id): all the
// versions of a session and the marks that supersede them live on one shard, so each shard
// filters its own sessions against its own marks (a non-GLOBAL IN over the local table)
// and nothing crosses shards but the pre-aggregated groups. Rows are inserted into the
// shards' local tables, routed by `shardOfSql` (the Distributed insert is asynchronous).
//
// Runs on ClickHouse 18.16 (Debian's, the cluster) and current releases alike: the
// MergeTree syntax with ORDER BY, no LowCardinality, no Nullable(Array), times as Int64
// epoch milliseconds (never DateTime: no engine time zone touches them).
import { integer, stringArray } from './sql-text.js';

/** The tables' names, the same in every database. */
export const TABLES = {
  sessionsLocal: 'sessions_local',
  supersededLocal: 'superseded_local',
  sessionKeysLocal: 'session_keys_local',
  jobSessionsLocal: 'job_sessions_local',
  sessions: 'sessions',
  superseded: 'superseded',
} as const;

/** The Distributed tables' sharding key: one expression for both tables. */
export const SHARDING_KEY = 'sipHash64(farm_id, session_id)';

/**
 * A session version's columns: the session record (domain/resources.ts SessionRecord), its
 * farm, when it was written, and the batch that wrote it. No license products is [].
 */
export const SESSION_COLUMNS = [
  ['farm_id', 'String'],
  ['session_id', 'String'],
  ['queue_id', 'String'],
  ['job_id', 'String'],
  ['job_name', 'String'],
  ['user_id', 'String'],
  ['fleet_id', 'String'],
  ['worker_id', 'String'],
  ['instance_type', 'Nullable(String)'],
  ['started_at', 'Int64'],
  ['ended_at', 'Nullable(Int64)'],
  ['license_products', 'Array(String)'],
  ['updated_at', 'Int64'],
  ['batch_seq', 'UInt64'],
] as const;

export const SUPERSEDED_COLUMNS = [
  ['farm_id', 'String'],
  ['session_id', 'String'],
  /** The batch of the version superseded. */
  ['batch_seq', 'UInt64'],
  /** The batch that superseded (or deleted) it. */
  ['by_seq', 'UInt64'],
] as const;

/**
 * A session version as ingest looks it up (store/cluster/session-keys.ts): written beside
 * each row of sessions_local, on the same shard, and filtered by the same snapshot and marks.
 */
export const SESSION_KEY_COLUMNS = [
  ['farm_id', 'String'],
  ['session_id', 'String'],
  ['batch_seq', 'UInt64'],
  /** The record's fields but the session and user IDs, hashed (session-keys.ts recordFingerprint). */
  ['fingerprint', 'UInt64'],
  /** Apart from the fingerprint, so that forgetting a user removes it (a hash of the record with it would name it too). */
  ['user_id', 'String'],
  ['queue_id', 'String'],
  ['fleet_id', 'String'],
  ['job_id', 'String'],
] as const;

/** A session version as a job's span is worked out from it: written and filtered as session keys are. */
export const JOB_SESSION_COLUMNS = [
  ['farm_id', 'String'],
  ['job_id', 'String'],
  ['session_id', 'String'],
  ['batch_seq', 'UInt64'],
  ['started_at', 'Int64'],
  ['ended_at', 'Nullable(Int64)'],
] as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A database or cluster name, checked and quoted as an identifier. */
export function identifier(name: string): string {
  if (!NAME.test(name)) throw new Error(`not a plain ClickHouse identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

const columnsDdl = (columns: readonly (readonly [string, string])[]) => columns.map(([name, type]) => `${name} ${type}`).join(', ');

/**
 * The shard-local tables. Sessions are ordered farm first, then queue and start: the
 * aggregation selects one farm and a list of queues (or fleets) and the sessions that started
 * before the range's end, and the primary key skips the rest. Superseded marks are ordered as
 * the aggregation's anti-join reads them: one farm, by session and version; session keys and
 * job sessions as ingest looks them up, by farm and session, by farm and job.
 */
export function localTablesDdl(database: string): string[] {
  const db = identifier(database);
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.sessionsLocal} (${columnsDdl(SESSION_COLUMNS)})
     ENGINE = MergeTree() ORDER BY (farm_id, queue_id, started_at, session_id)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.supersededLocal} (${columnsDdl(SUPERSEDED_COLUMNS)})
     ENGINE = MergeTree() ORDER BY (farm_id, session_id, batch_seq)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.sessionKeysLocal} (${columnsDdl(SESSION_KEY_COLUMNS)})
     ENGINE = MergeTree() ORDER BY (farm_id, session_id, batch_seq)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.jobSessionsLocal} (${columnsDdl(JOB_SESSION_COLUMNS)})
     ENGINE = MergeTree() ORDER BY (farm_id, job_id, session_id, batch_seq)`,
  ];
}

/** The Distributed tables over the local ones, on every shard of `cluster`. */
export function distributedTablesDdl(database: string, cluster: string): string[] {
  const db = identifier(database);
  const over = (local: string) => `Distributed(${identifier(cluster)}, ${db}, ${local}, ${SHARDING_KEY})`;
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.sessions} (${columnsDdl(SESSION_COLUMNS)}) ENGINE = ${over(TABLES.sessionsLocal)}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.superseded} (${columnsDdl(SUPERSEDED_COLUMNS)}) ENGINE = ${over(TABLES.supersededLocal)}`,
  ];
}

/**
 * The shard (0-based, in the cluster's order: shard_num - 1) a row goes to, as the
 * Distributed tables place it with equal shard weights: the sharding key modulo the number
 * of shards. An expression over the row's farm_id and session_id.
 */
export const shardOfRowSql = (shards: number): string => `${SHARDING_KEY} % ${integer(shards)}`;

/** The shards of some sessions, asked of any server: one array, in the order given. */
export function shardsOfSql(keys: readonly { farmId: string; sessionId: string }[], shards: number): string {
  const [farms, sessions] = [stringArray(keys.map((k) => k.farmId)), stringArray(keys.map((k) => k.sessionId))];
  return `SELECT arrayMap((farm_id, session_id) -> ${shardOfRowSql(shards)}, ${farms}, ${sessions}) AS shards`;
}
