// Farms, queues, fleets, budgets, jobs and sessions on DuckDB: small reads of committed data, and
// writes each committed on its own (database.ts). Lists page by keyset on (creation or
// start time, ID), so a page boundary stays put while other rows are added.
import type { DuckDBValue } from '@duckdb/node-api';
import type { Farm, Fleet, Queue } from '../../domain/resources.js';
import type { DeleteOutcome, Page, PageRequest, ResourceStore } from '../store.js';
import type { Database, Row } from './database.js';
import { openSessions } from './open-sessions.js';
import { toSession } from './session-columns.js';
import { budgetsReadAt, budgetValues, toBudget, toFarm, toFleet, toJob, toQueue } from '../rows.js';

// farmtally schedules nothing and creates fleets at once: every queue is IDLE and every fleet
// ACTIVE. Reading them through these views makes status a column like any other, so the
// list filters run in SQL, and a stored status would change only these two lines.
const QUEUES = `(SELECT *, 'IDLE' AS status FROM queues) AS queues`;
const FLEETS = `(SELECT *, 'ACTIVE' AS status FROM fleets) AS fleets`;


/**
 * One page of `table` filtered by `where` (column = value; an undefined value does not
 * filter), ordered by (orderColumn, idColumn).
 */
/** A job ID's code (value_codes), which every session of the job carries as job_code; none: no session names it. */
async function jobCodeOf(db: Database, jobId: string): Promise<number | undefined> {
  const r = await db.one(`SELECT code FROM value_codes WHERE kind = 'job' AND value = $1`, [jobId]);
  return r ? Number(r.code) : undefined;
}

async function page<T>(
  db: Database,
  table: string,
  where: Record<string, string | number | undefined>,
  orderColumn: string,
  idColumn: string,
  request: PageRequest,
  convert: (r: Row) => T,
): Promise<Page<T>> {
  const params: DuckDBValue[] = [];
  const conditions: string[] = [];
  for (const [column, value] of Object.entries(where)) {
    if (value === undefined) continue;
    params.push(value);
    conditions.push(`${column} = $${params.length}`);
  }
  if (request.after !== undefined) {
    const cut = request.after.indexOf(':');
    params.push(Number(request.after.slice(0, cut)), request.after.slice(cut + 1));
    const [o, i] = [params.length - 1, params.length];
    conditions.push(`(${orderColumn} > $${o} OR (${orderColumn} = $${o} AND ${idColumn} > $${i}))`);
  }
  params.push(request.limit + 1);
  const sql = `SELECT * FROM ${table} ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
               ORDER BY ${orderColumn}, ${idColumn} LIMIT $${params.length}`;
  const rows = await db.all(sql, params);
  const more = rows.length > request.limit;
  const kept = rows.slice(0, request.limit);
  const last = kept[kept.length - 1];
  return { items: kept.map(convert), nextAfter: more && last ? `${last[orderColumn]}:${last[idColumn]}` : undefined };
}

/** Deletes the row unless a session names it, and first what `extra` deletes with it (statements and their parameters). */
async function deleteUnlessUsed(db: Database, table: string, idColumn: string, farmId: string, id: string, extra: [string, DuckDBValue[]][] = []): Promise<DeleteOutcome> {
  return db.transaction(async (tx) => {
    const found = await tx.one(`SELECT 1 AS x FROM ${table} WHERE farm_id = $1 AND ${idColumn} = $2`, [farmId, id]);
    if (!found) return 'not-found';
    const used = await tx.one(`SELECT 1 AS x FROM sessions WHERE farm_id = $1 AND ${idColumn} = $2 LIMIT 1`, [farmId, id]);
    if (used) return 'has-sessions';
    for (const [statement, params] of extra) await tx.run(statement, params);
    await tx.run(`DELETE FROM ${table} WHERE farm_id = $1 AND ${idColumn} = $2`, [farmId, id]);
    return 'deleted';
  });
}

/**
 * Every column of the budget but its key and creation, from budgetValues' parameters (its
 * creation, which never changes, is matched, so that every parameter is used).
 */
const BUDGET_UPDATE = `UPDATE budgets SET display_name = $3, description = $4, queue_id = $5, approximate_dollar_limit = $6, actions = $7,
  starts_at = $8, ends_at = $9, status = $10, tags = $11, updated_at = $14, updated_by = $15, queue_stopped_at = $16, fleet_id = $17, recurring = $18, user_id = $19
  WHERE farm_id = $1 AND budget_id = $2 AND created_at = $12 AND created_by = $13`;

const auditValues = (a: Farm | Queue | Fleet): DuckDBValue[] => [a.createdAt, a.createdBy, a.updatedAt ?? null, a.updatedBy ?? null];

/** The resources, and `forgetFarm`: a farm row written elsewhere (deleted with its sessions) is read again. */
export function duckDbResources(db: Database): ResourceStore & { forgetFarm(farmId: string): void } {
  // Every request names its farm, so farms are remembered once read (a DuckDB round trip
  // costs about a millisecond; a statistics page makes several). Only this store writes
  // them, and it forgets a farm on each write. A read that began before a write may return
  // the old row; it is then not remembered (`writes` moved on), or it would stay stale.
  // Unknown IDs are not remembered.
  const farms = new Map<string, Farm>();
  let writes = 0;
  const forget = (farmId: string) => {
    writes++;
    farms.delete(farmId);
  };
  return {
    forgetFarm: forget,
    async createFarm(f) {
      await db.run(`INSERT INTO farms VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
        f.farmId, f.displayName, f.description ?? null, f.kmsKeyArn ?? null, f.costScaleFactor, f.tags ? JSON.stringify(f.tags) : null, ...auditValues(f),
      ]);
    },
    async putFarm(f) {
      forget(f.farmId);
      try {
        await db.run(
          `UPDATE farms SET display_name = $2, description = $3, cost_scale_factor = $4, updated_at = $5, updated_by = $6 WHERE farm_id = $1`,
          [f.farmId, f.displayName, f.description ?? null, f.costScaleFactor, f.updatedAt ?? null, f.updatedBy ?? null],
        );
      } finally {
        forget(f.farmId);
      }
    },
    getFarm: async (farmId) => {
      const known = farms.get(farmId);
      if (known) return structuredClone(known);
      const before = writes;
      const r = await db.one(`SELECT * FROM farms WHERE farm_id = $1`, [farmId]);
      if (!r) return undefined;
      if (writes === before) farms.set(farmId, toFarm(r));
      return toFarm(r);
    },
    listFarms: (req) => page(db, 'farms', {}, 'created_at', 'farm_id', req, toFarm),
    async deleteFarm(farmId) {
      forget(farmId);
      try {
        return await deleteUnlessUsed(db, 'farms', 'farm_id', farmId, farmId, [
          ...['budgets', 'queues', 'fleets', 'jobs'].map((t): [string, DuckDBValue[]] => [`DELETE FROM ${t} WHERE farm_id = $1`, [farmId]]),
        ]);
      } finally {
        forget(farmId);
      }
    },

    async createQueue(q) {
      await db.run(`INSERT INTO queues VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        q.farmId, q.queueId, q.displayName, q.description ?? null, JSON.stringify(q.details), ...auditValues(q),
      ]);
    },
    getQueue: async (farmId, queueId) => {
      const r = await db.one(`SELECT * FROM ${QUEUES} WHERE farm_id = $1 AND queue_id = $2`, [farmId, queueId]);
      return r && toQueue(r);
    },
    listQueues: (farmId, req, filter = {}) => page(db, QUEUES, { farm_id: farmId, status: filter.status }, 'created_at', 'queue_id', req, toQueue),
    putQueue: (q) =>
      db.transaction(async (tx) => {
        if (!(await tx.one(`SELECT 1 AS x FROM queues WHERE farm_id = $1 AND queue_id = $2`, [q.farmId, q.queueId]))) return false;
        await tx.run(`UPDATE queues SET display_name = $3, description = $4, details = $5, updated_at = $6, updated_by = $7 WHERE farm_id = $1 AND queue_id = $2`, [
          q.farmId, q.queueId, q.displayName, q.description ?? null, JSON.stringify(q.details), q.updatedAt ?? null, q.updatedBy ?? null,
        ]);
        return true;
      }),
    deleteQueue: (farmId, queueId) => deleteUnlessUsed(db, 'queues', 'queue_id', farmId, queueId, [[`DELETE FROM budgets WHERE farm_id = $1 AND queue_id = $2`, [farmId, queueId]]]),

    async createFleet(f) {
      await db.run(`INSERT INTO fleets VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
        f.farmId, f.fleetId, f.displayName, f.description ?? null, f.kind, JSON.stringify(f.details), ...auditValues(f),
      ]);
    },
    getFleet: async (farmId, fleetId) => {
      const r = await db.one(`SELECT * FROM ${FLEETS} WHERE farm_id = $1 AND fleet_id = $2`, [farmId, fleetId]);
      return r && toFleet(r);
    },
    listFleets: (farmId, req, filter = {}) =>
      page(db, FLEETS, { farm_id: farmId, display_name: filter.displayName, status: filter.status }, 'created_at', 'fleet_id', req, toFleet),
    deleteFleet: (farmId, fleetId) => deleteUnlessUsed(db, 'fleets', 'fleet_id', farmId, fleetId, [[`DELETE FROM budgets WHERE farm_id = $1 AND fleet_id = $2`, [farmId, fleetId]]]),

    createBudget: (b) =>
      db.transaction(async (tx) => {
        // In the transaction that inserts it: a queue or fleet deleted meanwhile is seen either way round.
        if (b.queueId !== undefined && !(await tx.one(`SELECT 1 AS x FROM queues WHERE farm_id = $1 AND queue_id = $2`, [b.farmId, b.queueId]))) return 'no-queue';
        if (b.fleetId !== undefined && !(await tx.one(`SELECT 1 AS x FROM fleets WHERE farm_id = $1 AND fleet_id = $2`, [b.farmId, b.fleetId]))) return 'no-fleet';
        await tx.run(`INSERT INTO budgets VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`, budgetValues(b) as DuckDBValue[]);
        return 'created';
      }),
    getBudget: async (farmId, budgetId) => {
      const r = await db.one(`SELECT * FROM budgets WHERE farm_id = $1 AND budget_id = $2`, [farmId, budgetId]);
      return r && toBudget(r);
    },
    listBudgets: (farmId, req, filter) =>
      page(db, budgetsReadAt(filter.nowMs), { farm_id: farmId, read_status: filter.status }, 'created_at', 'budget_id', req, toBudget),
    putBudget: (b) =>
      db.transaction(async (tx) => {
        if (!(await tx.one(`SELECT 1 AS x FROM budgets WHERE farm_id = $1 AND budget_id = $2`, [b.farmId, b.budgetId]))) return false;
        await tx.run(BUDGET_UPDATE, budgetValues(b) as DuckDBValue[]);
        return true;
      }),
    budgetsOfQueues: async (farmId, queueIds) => {
      if (!queueIds.length) return [];
      const ids = queueIds.map((_, i) => `$${i + 2}`).join(', ');
      const rows = await db.all(`SELECT * FROM budgets WHERE farm_id = $1 AND queue_id IN (${ids}) ORDER BY created_at, budget_id`, [farmId, ...queueIds]);
      return rows.map(toBudget);
    },
    deleteBudget: (farmId, budgetId) =>
      db.transaction(async (tx) => {
        if (!(await tx.one(`SELECT 1 AS x FROM budgets WHERE farm_id = $1 AND budget_id = $2`, [farmId, budgetId]))) return 'not-found';
        await tx.run(`DELETE FROM budgets WHERE farm_id = $1 AND budget_id = $2`, [farmId, budgetId]);
        return 'deleted';
      }),

    getJob: async (farmId, queueId, jobId) => {
      const r = await db.one(`SELECT * FROM jobs WHERE farm_id = $1 AND queue_id = $2 AND job_id = $3`, [farmId, queueId, jobId]);
      return r && toJob(r);
    },
    listJobs: (farmId, queueId, req) => page(db, 'jobs', { farm_id: farmId, queue_id: queueId }, 'created_at', 'job_id', req, toJob),
    // A job's sessions are found by its code first: DuckDB skips the row groups whose job codes
    // cannot hold it (zone maps), where a filter on the ID strings reads every row. At 10 M
    // sessions: GetSession 178 -> 54 ms, a page of ListSessions 183 -> 85 ms (BENCHMARKS.md).
    getSession: async (farmId, queueId, jobId, sessionId) => {
      const code = await jobCodeOf(db, jobId);
      if (code === undefined) return undefined;
      const r = await db.one(`SELECT * FROM sessions WHERE job_code = $1 AND farm_id = $2 AND queue_id = $3 AND job_id = $4 AND session_id = $5`, [
        code, farmId, queueId, jobId, sessionId,
      ]);
      return r && toSession(r);
    },
    listSessions: async (farmId, queueId, jobId, req) => {
      const code = await jobCodeOf(db, jobId);
      if (code === undefined) return { items: [] };
      return page(db, 'sessions', { job_code: code, farm_id: farmId, queue_id: queueId, job_id: jobId }, 'started_at', 'session_id', req, toSession);
    },
    // The sessions table's rows without ended_at, read as a budget's open sessions are
    // (open-sessions.ts); running_sessions names the same ones but not their fields.
    listRunningSessions: async (farmId, kind, resourceIds, limit) => {
      const sessions = await openSessions(db, { farmId, kind, resourceIds, limit: limit + 1 });
      return { sessions: sessions.slice(0, limit), truncated: sessions.length > limit };
    },
  };
}
