// The farm's sessions still open, of the queues or fleets named: those with no end (running)
// or, given `endedAfter`, an end after it too. ListRunningSessions lists the running ones (at
// most a limit); a budget's reading takes every open one (budget-basis.ts).
import { listValue } from '@duckdb/node-api';
import type { Session } from '../../domain/resources.js';
import type { Sql } from './connections.js';
import { SESSION_COLUMN_LIST, toSession } from './session-columns.js';

export interface OpenSessionsQuery {
  farmId: string;
  kind: 'queue' | 'fleet';
  resourceIds: readonly string[];
  /** Sessions that ended after this (epoch ms) count as open too. */
  endedAfter?: number;
  /** Only this user's sessions (a budget on a user). */
  userId?: string;
  /** At most this many, the earliest started first. */
  limit?: number;
}

export async function openSessions(db: Sql, q: OpenSessionsQuery): Promise<Session[]> {
  const open = q.endedAfter === undefined ? 'ended_at IS NULL' : `(ended_at IS NULL OR ended_at > ${Math.trunc(q.endedAfter)})`;
  const rows = await db.all(
    `SELECT ${SESSION_COLUMN_LIST} FROM sessions
     WHERE farm_id = $1 AND ${open} AND ${q.kind === 'queue' ? 'queue_id' : 'fleet_id'} IN (SELECT unnest($2::VARCHAR[]))
       ${q.userId === undefined ? '' : 'AND user_id = $3'}
     ${q.limit === undefined ? '' : `ORDER BY started_at, session_id LIMIT ${Math.trunc(q.limit)}`}`,
    [q.farmId, listValue([...q.resourceIds]), ...(q.userId === undefined ? [] : [q.userId])],
  );
  return rows.map(toSession);
}
