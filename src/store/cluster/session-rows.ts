// Sessions as the cluster's ClickHouse rows (store/clickhouse/schema.ts SESSION_COLUMNS),
// and the one way every read outside the aggregation sees them: the visible versions of a
// snapshot (cluster-state.ts), through the Distributed table.
import type { SessionRecord } from '../../domain/resources.js';
import { identifier } from '../clickhouse/schema.js';
import type { Shards } from '../clickhouse/shards.js';
import { integer, stringArray, stringLiteral } from '../clickhouse/sql-text.js';
import type { Snapshot } from './cluster-state.js';

export type { Snapshot };

/** A record as a row of sessions_local, written by batch `seq` at `nowMs`. */
export function toSessionRow(farmId: string, r: SessionRecord, nowMs: number, seq: number): Record<string, unknown> {
  return {
    farm_id: farmId,
    session_id: r.sessionId,
    queue_id: r.queueId,
    job_id: r.jobId,
    job_name: r.jobName,
    user_id: r.userId,
    fleet_id: r.fleetId,
    worker_id: r.workerId,
    instance_type: r.instanceType ?? null,
    started_at: r.startedAt,
    ended_at: r.endedAt ?? null,
    license_products: r.licenseProducts ?? [],
    updated_at: nowMs,
    batch_seq: seq,
  };
}

/** The record a row holds, in the canonical form ingest gives records (no license products: absent). */
export function fromSessionRow(row: Record<string, unknown>): SessionRecord {
  const licenses = row.license_products as string[];
  return {
    sessionId: row.session_id as string,
    queueId: row.queue_id as string,
    jobId: row.job_id as string,
    jobName: row.job_name as string,
    userId: row.user_id as string,
    fleetId: row.fleet_id as string,
    workerId: row.worker_id as string,
    ...(row.instance_type === null ? {} : { instanceType: row.instance_type as string }),
    startedAt: Number(row.started_at),
    ...(row.ended_at === null ? {} : { endedAt: Number(row.ended_at) }),
    ...(licenses.length ? { licenseProducts: licenses } : {}),
  };
}

/** Batch numbers as a list the IN operator takes (0 is never a batch: the list is never empty). */
const seqList = (seqs: readonly number[]) => `(${[0, ...seqs].map(integer).join(', ')})`;

/**
 * The condition on `sessions` that keeps the snapshot's visible versions of one farm. The
 * superseded marks are read from the shard's own local table (a non-GLOBAL IN runs on each
 * shard as written), where a session's marks lie beside its versions.
 */
export function visibleSql(database: string, farmId: string, snapshot: Snapshot): string {
  const upTo = integer(Math.trunc(snapshot.upTo));
  const excluded = seqList(snapshot.excluded);
  return `batch_seq <= ${upTo} AND batch_seq NOT IN ${excluded}
    AND (session_id, batch_seq) NOT IN (SELECT session_id, batch_seq FROM ${identifier(database)}.superseded_local
      WHERE farm_id = ${stringLiteral(farmId)} AND by_seq <= ${upTo} AND by_seq NOT IN ${excluded})`;
}

export interface VisibleQuery {
  sessionIds?: readonly string[];
  jobIds?: readonly string[];
  /** Further conditions, as SQL on the session's columns. */
  where?: string;
  /** Columns or aggregates (default: every column). */
  select?: string;
  groupBy?: string;
  orderBy?: string;
  limit?: number;
}

/** Rows of one farm's visible sessions. */
export async function readVisible(shards: Shards, farmId: string, snapshot: Snapshot, q: VisibleQuery = {}): Promise<Record<string, unknown>[]> {
  if (q.sessionIds?.length === 0 || q.jobIds?.length === 0) return [];
  const conditions = [`farm_id = ${stringLiteral(farmId)}`, visibleSql(shards.database, farmId, snapshot)];
  if (q.sessionIds) conditions.push(`session_id IN (${q.sessionIds.map(stringLiteral).join(', ')})`);
  if (q.jobIds) conditions.push(`has(${stringArray(q.jobIds)}, job_id)`);
  if (q.where) conditions.push(q.where);
  const sql = [
    `SELECT ${q.select ?? '*'} FROM sessions WHERE ${conditions.join(' AND ')}`,
    q.groupBy ? `GROUP BY ${q.groupBy}` : '',
    q.orderBy ? `ORDER BY ${q.orderBy}` : '',
    q.limit !== undefined ? `LIMIT ${integer(q.limit)}` : '',
  ].join(' ');
  return shards.rows(sql, { settings: { max_query_size: Math.max(262_144, sql.length * 2) } });
}
