// GetSession and ListSessions on the cluster: a job's visible sessions, by start time then
// ID, paged by that key (`after` = "startedAt:sessionId", as the DuckDB store pages them).
// And a farm's visible sessions whole (exportSessions), by ID, paged by the last ID.
import type { Session } from '../../domain/resources.js';
import { SESSION_RECORD_FIELDS } from '../../domain/session-record.js';
import type { Shards } from '../clickhouse/shards.js';
import { int64, stringArray, stringLiteral } from '../clickhouse/sql-text.js';
import type { Page, PageRequest, RunningSessions } from '../store.js';
import type { Snapshot } from './cluster-state.js';
import { fromSessionRow, readVisible } from './session-rows.js';

/** Every field present, undefined where the session has none: the shape every engine answers. */
const EVERY_FIELD = Object.fromEntries(SESSION_RECORD_FIELDS.map((f) => [f, undefined]));

const toSession = (farmId: string, row: Record<string, unknown>): Session => ({ ...EVERY_FIELD, ...fromSessionRow(row), farmId, updatedAt: Number(row.updated_at) });

const ofJob = (queueId: string, jobId: string) => `queue_id = ${stringLiteral(queueId)} AND job_id = ${stringLiteral(jobId)}`;

export async function getSession(shards: Shards, snapshot: Snapshot, farmId: string, queueId: string, jobId: string, sessionId: string): Promise<Session | undefined> {
  const [row] = await readVisible(shards, farmId, snapshot, { sessionIds: [sessionId], where: ofJob(queueId, jobId) });
  return row && toSession(farmId, row);
}

export async function listSessions(shards: Shards, snapshot: Snapshot, farmId: string, queueId: string, jobId: string, req: PageRequest): Promise<Page<Session>> {
  let where = ofJob(queueId, jobId);
  if (req.after !== undefined) {
    const cut = req.after.indexOf(':');
    const [startedAt, sessionId] = [int64(Number(req.after.slice(0, cut))), stringLiteral(req.after.slice(cut + 1))];
    where += ` AND (started_at > ${startedAt} OR (started_at = ${startedAt} AND session_id > ${sessionId}))`;
  }
  const rows = await readVisible(shards, farmId, snapshot, { where, orderBy: 'started_at, session_id', limit: req.limit + 1 });
  const kept = rows.slice(0, req.limit).map((r) => toSession(farmId, r));
  const last = kept[kept.length - 1];
  return { items: kept, nextAfter: rows.length > req.limit && last ? `${last.startedAt}:${last.sessionId}` : undefined };
}

export async function exportSessions(shards: Shards, snapshot: Snapshot, farmId: string, req: PageRequest): Promise<Page<Session>> {
  const where = req.after === undefined ? undefined : `session_id > ${stringLiteral(req.after)}`;
  const rows = await readVisible(shards, farmId, snapshot, { where, orderBy: 'session_id', limit: req.limit + 1 });
  const kept = rows.slice(0, req.limit).map((r) => toSession(farmId, r));
  const last = kept[kept.length - 1];
  return { items: kept, nextAfter: rows.length > req.limit && last ? last.sessionId : undefined };
}

/**
 * The farm's visible sessions still open, of the queues or fleets named: no ended_at, or given
 * `endedAfter` an end after it too; given `limit`, at most that many, the earliest started
 * first. (ListRunningSessions, and a budget's reading: the DuckDB store's open-sessions.ts.)
 */
export async function openSessions(
  shards: Shards, snapshot: Snapshot, farmId: string, q: { kind: 'queue' | 'fleet'; resourceIds: readonly string[]; endedAfter?: number; userId?: string; limit?: number },
): Promise<Session[]> {
  if (q.resourceIds.length === 0) return [];
  const open = q.endedAfter === undefined ? 'ended_at IS NULL' : `(ended_at IS NULL OR ended_at > ${int64(q.endedAfter)})`;
  const user = q.userId === undefined ? '' : ` AND user_id = ${stringLiteral(q.userId)}`;
  const where = `${open} AND has(${stringArray([...q.resourceIds])}, ${q.kind === 'queue' ? 'queue_id' : 'fleet_id'})${user}`;
  const rows = await readVisible(shards, farmId, snapshot, { where, ...(q.limit !== undefined && { orderBy: 'started_at, session_id', limit: q.limit }) });
  return rows.map((r) => toSession(farmId, r));
}

/** The farm's running sessions of the queues or fleets named, earliest started first, at most `limit`. */
export async function listRunningSessions(shards: Shards, snapshot: Snapshot, farmId: string, kind: 'queue' | 'fleet', resourceIds: readonly string[], limit: number): Promise<RunningSessions> {
  const sessions = await openSessions(shards, snapshot, farmId, { kind, resourceIds, limit: limit + 1 });
  return { sessions: sessions.slice(0, limit), truncated: sessions.length > limit };
}
