// Deleting sessions, and replacing a user ID by a pseudonym, in SQL inside one transaction
// on the writer (SessionWriter.exclusive: ordered with every batch, and the writer's memory
// read again after it). Set-based statements that read the tables whole where they must:
// deletions are an operator's occasional work, not the ingest path.
//
// Deleting sessions deletes their running_sessions rows and the jobs they leave with no
// session; a job that keeps sessions gets its span (first start, last end, or none while one
// runs) again from them, and, if none of them is in its queue any more, the queue of the
// latest written of them. farm_session_spans keeps its bound on finished sessions' length:
// only ever an upper bound (aggregation-sql.ts), still true with fewer sessions.
import type { DuckDBValue } from '@duckdb/node-api';
import type { DeletedSessions, ResourceWithSessions, SessionSelection } from '../store.js';
import type { Sql } from './connections.js';

/** A condition on `sessions` (no alias) and its parameters ($1, $2, ...). */
export interface SessionFilter {
  sql: string;
  params: DuckDBValue[];
}

/** The sessions of a farm that a selection names. */
export function selectionFilter(farmId: string, selection: SessionSelection): SessionFilter {
  if ('batchId' in selection) return { sql: 'farm_id = $1 AND batch_id = $2', params: [farmId, BigInt(selection.batchId)] };
  if ('queueId' in selection) return { sql: 'farm_id = $1 AND queue_id = $2', params: [farmId, selection.queueId] };
  return { sql: 'farm_id = $1 AND started_at >= $2 AND started_at < $3', params: [farmId, BigInt(selection.startedFrom), BigInt(selection.startedBefore)] };
}

/** Every farm's sessions that ended before `ms` (running sessions have no end, and are kept). */
export const endedBeforeFilter = (ms: number): SessionFilter => ({ sql: 'ended_at IS NOT NULL AND ended_at < $1', params: [BigInt(ms)] });

export async function countSessions(db: Sql, filter: SessionFilter): Promise<number> {
  return Number((await db.one(`SELECT count(*) AS n FROM sessions WHERE ${filter.sql}`, filter.params))!.n);
}

/** A job is known by its farm and ID: the rows of `jobs` named by a temporary table `t`. */
const JOB_OF = (t: string, alias = 'jobs') => `${t}.farm_id = ${alias}.farm_id AND ${t}.job_id = ${alias}.job_id`;

/**
 * Deletes the sessions `filter` names (of any farm), their running rows, the jobs they leave
 * empty, and respans the jobs they leave with sessions. Inside the caller's transaction.
 */
export async function deleteSessionsWhere(tx: Sql, filter: SessionFilter, nowMs: number): Promise<DeletedSessions> {
  await tx.run(`CREATE OR REPLACE TEMP TABLE deleting AS SELECT farm_id, session_id, job_id FROM sessions WHERE ${filter.sql}`, filter.params);
  try {
    const sessions = Number((await tx.one(`SELECT count(*) AS n FROM deleting`))!.n);
    if (sessions === 0) return { sessions: 0, jobs: 0 };
    await tx.run(`DELETE FROM sessions WHERE ${filter.sql}`, filter.params);
    await tx.run(`DELETE FROM running_sessions WHERE EXISTS (SELECT 1 FROM deleting d WHERE d.farm_id = running_sessions.farm_id AND d.session_id = running_sessions.session_id)`);
    await tx.run(`CREATE OR REPLACE TEMP TABLE deleting_jobs AS SELECT DISTINCT farm_id, job_id FROM deleting`);
    // What the jobs keep: their remaining sessions' span, and queues.
    await tx.run(`CREATE OR REPLACE TEMP TABLE respanned AS
      SELECT s.farm_id, s.job_id, min(s.started_at) AS started_at,
        CASE WHEN count(s.ended_at) = count(*) THEN max(s.ended_at) END AS ended_at, max(s.ended_at) AS last_ended_at,
        arg_max(s.queue_id, s.updated_at) AS latest_queue, list(DISTINCT s.queue_id) AS queues
      FROM sessions s SEMI JOIN deleting_jobs d ON s.farm_id = d.farm_id AND s.job_id = d.job_id
      GROUP BY s.farm_id, s.job_id`);
    const emptied = `EXISTS (SELECT 1 FROM deleting_jobs d WHERE ${JOB_OF('d')}) AND NOT EXISTS (SELECT 1 FROM respanned r WHERE ${JOB_OF('r')})`;
    const jobs = Number((await tx.one(`SELECT count(*) AS n FROM jobs WHERE ${emptied}`))!.n);
    if (jobs > 0) await tx.run(`DELETE FROM jobs WHERE ${emptied}`);
    await tx.run(
      `UPDATE jobs SET started_at = r.started_at, ended_at = r.ended_at, last_ended_at = r.last_ended_at,
         queue_id = CASE WHEN list_contains(r.queues, jobs.queue_id) THEN jobs.queue_id ELSE r.latest_queue END, updated_at = $1
       FROM respanned r WHERE ${JOB_OF('r')}`,
      [BigInt(nowMs)],
    );
    return { sessions, jobs };
  } finally {
    await tx.run(`DROP TABLE IF EXISTS deleting`);
    await tx.run(`DROP TABLE IF EXISTS deleting_jobs`);
    await tx.run(`DROP TABLE IF EXISTS respanned`);
  }
}

/**
 * Deletes a farm with everything of it, or a queue or fleet with every session naming it;
 * undefined (nothing deleted) when there is no such resource. Inside the caller's transaction.
 */
export async function deleteResourceWithSessions(tx: Sql, resource: ResourceWithSessions, nowMs: number): Promise<DeletedSessions | undefined> {
  if (resource.kind === 'farm') {
    const { farmId } = resource;
    if (!(await tx.one(`SELECT 1 AS x FROM farms WHERE farm_id = $1`, [farmId]))) return undefined;
    const jobs = Number((await tx.one(`SELECT count(*) AS n FROM jobs WHERE farm_id = $1`, [farmId]))!.n);
    const { sessions } = await deleteSessionsWhere(tx, { sql: 'farm_id = $1', params: [farmId] }, nowMs);
    for (const table of ['jobs', 'running_sessions', 'farm_session_spans', 'budgets', 'queues', 'fleets', 'farms']) {
      await tx.run(`DELETE FROM ${table} WHERE farm_id = $1`, [farmId]);
    }
    return { sessions, jobs };
  }
  const [table, column] = resource.kind === 'queue' ? ['queues', 'queue_id'] : ['fleets', 'fleet_id'];
  if (!(await tx.one(`SELECT 1 AS x FROM ${table} WHERE farm_id = $1 AND ${column} = $2`, [resource.farmId, resource.id]))) return undefined;
  const deleted = await deleteSessionsWhere(tx, { sql: `farm_id = $1 AND ${column} = $2`, params: [resource.farmId, resource.id] }, nowMs);
  await tx.run(`DELETE FROM budgets WHERE farm_id = $1 AND ${column} = $2`, [resource.farmId, resource.id]);
  await tx.run(`DELETE FROM ${table} WHERE farm_id = $1 AND ${column} = $2`, [resource.farmId, resource.id]);
  return deleted;
}

/**
 * Replaces a user ID by a pseudonym in the farm's sessions (and their user code), jobs, budgets
 * on the user and stored aggregation results; the ID's code is removed when no session of any farm keeps it
 * (codes are shared by farms). Inside the caller's transaction; answers the sessions changed.
 */
export async function forgetUserSql(tx: Sql, farmId: string, userId: string, pseudonym: string): Promise<number> {
  const sessions = Number((await tx.one(`SELECT count(*) AS n FROM sessions WHERE farm_id = $1 AND user_id = $2`, [farmId, userId]))!.n);
  if (sessions > 0) {
    await tx.run(
      `INSERT INTO value_codes SELECT 'user', $1, coalesce((SELECT max(code) FROM value_codes WHERE kind = 'user'), 0) + 1
       WHERE NOT EXISTS (SELECT 1 FROM value_codes WHERE kind = 'user' AND value = $1)`,
      [pseudonym],
    );
    await tx.run(
      `UPDATE sessions SET user_id = $3, user_code = (SELECT code FROM value_codes WHERE kind = 'user' AND value = $3)
       WHERE farm_id = $1 AND user_id = $2`,
      [farmId, userId, pseudonym],
    );
  }
  await tx.run(`UPDATE jobs SET user_id = $3 WHERE farm_id = $1 AND user_id = $2`, [farmId, userId, pseudonym]);
  // A budget on the user goes on tracking the same sessions, under their new name.
  await tx.run(`UPDATE budgets SET user_id = $3 WHERE farm_id = $1 AND user_id = $2`, [farmId, userId, pseudonym]);
  await tx.run(
    `UPDATE aggregation_rows SET user_id = $3
     WHERE user_id = $2 AND aggregation_id IN (SELECT aggregation_id FROM aggregations WHERE farm_id = $1)`,
    [farmId, userId, pseudonym],
  );
  const code = await tx.one(`SELECT code FROM value_codes WHERE kind = 'user' AND value = $1`, [userId]);
  if (code && !(await tx.one(`SELECT 1 AS x FROM sessions WHERE user_code = $1 LIMIT 1`, [code.code as number]))) {
    await tx.run(`DELETE FROM value_codes WHERE kind = 'user' AND value = $1`, [userId]);
  }
  return sessions;
}
