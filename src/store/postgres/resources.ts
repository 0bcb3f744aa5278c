// Farms, queues, fleets, budgets and jobs in the PostgreSQL state, with the DuckDB store's meaning:
// lists in creation order by keyset pages on (created_at, ID), their filters in the query,
// and a queue, fleet or farm deleted only while no session names it. Sessions live in
// ClickHouse; how many name each queue and fleet is kept here (resource_sessions) by the
// cluster ingest and deletions, in the transaction that publishes their change, so a
// deletion answers `has-sessions` without asking the shards.
//
// A deletion locks the rows it deletes before it reads the counts, and counting sessions
// against a queue or fleet locks that row (adjustSessionCounts): so either the ingest commits
// first and the deletion sees its count, or the deletion commits first and the ingest finds
// the parent gone (MissingParentsError) and publishes nothing.
import type { BudgetUsageStore } from '../budget-usage-store.js';
import type { Farm, Fleet, Job, Queue } from '../../domain/resources.js';
import { MissingParentsError, type DeleteOutcome, type Page, type PageRequest, type ResourceStore } from '../store.js';
import type { PgDatabase, Row, Sql } from './connection.js';
import { budgetsReadAt, budgetValues, toBudget, toFarm, toFleet, toJob, toQueue } from '../rows.js';

/** A change in how many sessions name a queue or fleet. */
export interface SessionCountDelta {
  farmId: string;
  kind: 'queue' | 'fleet';
  resourceId: string;
  delta: number;
}

/** ResourceStore but sessions (ClickHouse's), and the writes the cluster ingest makes in its own transaction. */
export type StateResources = Omit<ResourceStore, 'getSession' | 'listSessions' | 'listRunningSessions'> & Pick<BudgetUsageStore, 'setBudgetQueueStopped'> & {
  /**
   * Creates or replaces jobs (keyed by farm and job ID), in `tx`. A job keeps the created_at
   * it was first stored with (its place in ListJobs); everything else is replaced.
   */
  putJobs(tx: Sql, jobs: readonly Job[]): Promise<void>;
  /**
   * Adds the deltas to the sessions counted against each queue and fleet, in `tx`. Queues and
   * fleets whose count rises are locked until `tx` ends (a concurrent deletion waits for it
   * and then sees the count); when any of them no longer exists, throws MissingParentsError
   * and changes nothing. A count may not fall below zero (the statement fails).
   */
  adjustSessionCounts(tx: Sql, deltas: readonly SessionCountDelta[]): Promise<void>;
  /** The IDs of the farm's queues and fleets: the parents a session record may name. */
  sessionParentIds(farmId: string): Promise<{ queueIds: string[]; fleetIds: string[] }>;
};

// farmtally schedules nothing and creates fleets at once: every queue is IDLE and every fleet
// ACTIVE (as in the DuckDB store). Read through these, status is a column like any other and
// the list filters run in SQL.
const QUEUES = `(SELECT *, 'IDLE' AS status FROM queues) AS queues`;
const FLEETS = `(SELECT *, 'ACTIVE' AS status FROM fleets) AS fleets`;

/**
 * One page of `table` filtered by `where` (column = value; an undefined value does not
 * filter), ordered by (created_at, idColumn); `after` is `created_at:id` of the last item.
 */
async function page<T>(db: Sql, table: string, where: Record<string, string | undefined>, idColumn: string, request: PageRequest, convert: (r: Row) => T): Promise<Page<T>> {
  const params: unknown[] = [];
  const conditions: string[] = [];
  for (const [column, value] of Object.entries(where)) {
    if (value === undefined) continue;
    params.push(value);
    conditions.push(`${column} = $${params.length}`);
  }
  if (request.after !== undefined) {
    const cut = request.after.indexOf(':');
    params.push(Number(request.after.slice(0, cut)), request.after.slice(cut + 1));
    conditions.push(`(created_at, ${idColumn}) > ($${params.length - 1}::bigint, $${params.length}::text)`);
  }
  params.push(request.limit + 1);
  const rows = await db.query(
    `SELECT * FROM ${table} ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY created_at, ${idColumn} LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > request.limit;
  const kept = rows.slice(0, request.limit);
  const last = kept[kept.length - 1];
  return { items: kept.map(convert), nextAfter: more && last ? `${last.created_at}:${last[idColumn]}` : undefined };
}

/** Whether any session is counted against the resource (`kind` and `id`), or any of the farm's (`kind` undefined). */
async function hasSessions(tx: Sql, farmId: string, kind?: 'queue' | 'fleet', id?: string): Promise<boolean> {
  const rows = kind
    ? await tx.query(`SELECT 1 FROM resource_sessions WHERE farm_id = $1 AND kind = $2 AND resource_id = $3 AND sessions > 0`, [farmId, kind, id])
    : await tx.query(`SELECT 1 FROM resource_sessions WHERE farm_id = $1 AND sessions > 0 LIMIT 1`, [farmId]);
  return rows.length > 0;
}

async function deleteChild(db: PgDatabase, kind: 'queue' | 'fleet', farmId: string, id: string): Promise<DeleteOutcome> {
  const [table, column] = kind === 'queue' ? ['queues', 'queue_id'] : ['fleets', 'fleet_id'];
  return db.transaction(async (tx) => {
    const found = await tx.query(`SELECT 1 FROM ${table} WHERE farm_id = $1 AND ${column} = $2 FOR UPDATE`, [farmId, id]);
    if (!found.length) return 'not-found';
    if (await hasSessions(tx, farmId, kind, id)) return 'has-sessions';
    await tx.query(`DELETE FROM resource_sessions WHERE farm_id = $1 AND kind = $2 AND resource_id = $3`, [farmId, kind, id]);
    await tx.query(`DELETE FROM ${table} WHERE farm_id = $1 AND ${column} = $2`, [farmId, id]);
    return 'deleted';
  });
}

const auditValues = (a: Farm | Queue | Fleet): unknown[] => [a.createdAt, a.createdBy, a.updatedAt ?? null, a.updatedBy ?? null];

/** The last of each key wins, in key order (a consistent lock order between concurrent transactions). */
function byKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const last = new Map<string, T>();
  for (const item of items) last.set(key(item), item);
  return [...last.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

/** Rows per statement of a bulk write: large batches go in several. */
const CHUNK = 5_000;

export function postgresResources(db: PgDatabase): StateResources {
  return {
    async createFarm(f) {
      await db.query(`INSERT INTO farms VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
        f.farmId, f.displayName, f.description ?? null, f.kmsKeyArn ?? null, f.costScaleFactor, f.tags ? JSON.stringify(f.tags) : null, ...auditValues(f),
      ]);
    },
    async putFarm(f) {
      await db.query(`UPDATE farms SET display_name = $2, description = $3, cost_scale_factor = $4, updated_at = $5, updated_by = $6 WHERE farm_id = $1`, [
        f.farmId, f.displayName, f.description ?? null, f.costScaleFactor, f.updatedAt ?? null, f.updatedBy ?? null,
      ]);
    },
    async getFarm(farmId) {
      const r = await db.one(`SELECT * FROM farms WHERE farm_id = $1`, [farmId]);
      return r && toFarm(r);
    },
    listFarms: (req) => page(db, 'farms', {}, 'farm_id', req, toFarm),
    deleteFarm: (farmId) =>
      db.transaction(async (tx) => {
        const found = await tx.query(`SELECT 1 FROM farms WHERE farm_id = $1 FOR UPDATE`, [farmId]);
        if (!found.length) return 'not-found';
        // The farm's queues and fleets first: an ingest counting sessions against one holds it until it commits.
        await tx.query(`SELECT 1 FROM queues WHERE farm_id = $1 ORDER BY queue_id FOR UPDATE`, [farmId]);
        await tx.query(`SELECT 1 FROM fleets WHERE farm_id = $1 ORDER BY fleet_id FOR UPDATE`, [farmId]);
        if (await hasSessions(tx, farmId)) return 'has-sessions';
        // Budgets go with their queues, fleets and farm (ON DELETE CASCADE).
        for (const table of ['jobs', 'resource_sessions', 'queues', 'fleets', 'farms']) await tx.query(`DELETE FROM ${table} WHERE farm_id = $1`, [farmId]);
        return 'deleted';
      }),

    async createQueue(q) {
      await db.query(`INSERT INTO queues VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        q.farmId, q.queueId, q.displayName, q.description ?? null, JSON.stringify(q.details), ...auditValues(q),
      ]);
    },
    async getQueue(farmId, queueId) {
      const r = await db.one(`SELECT * FROM ${QUEUES} WHERE farm_id = $1 AND queue_id = $2`, [farmId, queueId]);
      return r && toQueue(r);
    },
    listQueues: (farmId, req, filter = {}) => page(db, QUEUES, { farm_id: farmId, status: filter.status }, 'queue_id', req, toQueue),
    async putQueue(q) {
      const updated = await db.query(
        `UPDATE queues SET display_name = $3, description = $4, details = $5, updated_at = $6, updated_by = $7 WHERE farm_id = $1 AND queue_id = $2 RETURNING 1`,
        [q.farmId, q.queueId, q.displayName, q.description ?? null, JSON.stringify(q.details), q.updatedAt ?? null, q.updatedBy ?? null],
      );
      return updated.length > 0;
    },
    deleteQueue: (farmId, queueId) => deleteChild(db, 'queue', farmId, queueId),

    async createFleet(f) {
      await db.query(`INSERT INTO fleets VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
        f.farmId, f.fleetId, f.displayName, f.description ?? null, f.kind, JSON.stringify(f.details), ...auditValues(f),
      ]);
    },
    async getFleet(farmId, fleetId) {
      const r = await db.one(`SELECT * FROM ${FLEETS} WHERE farm_id = $1 AND fleet_id = $2`, [farmId, fleetId]);
      return r && toFleet(r);
    },
    listFleets: (farmId, req, filter = {}) =>
      page(db, FLEETS, { farm_id: farmId, display_name: filter.displayName, status: filter.status }, 'fleet_id', req, toFleet),
    deleteFleet: (farmId, fleetId) => deleteChild(db, 'fleet', farmId, fleetId),

    async createBudget(b) {
      // The queue or fleet row is locked against its deletion until the insert commits (the foreign key
      // does this too, but answering 'no-queue' or 'no-fleet' needs to know it is there).
      return db.transaction(async (tx) => {
        if (b.queueId !== undefined) {
          const queue = await tx.query(`SELECT 1 FROM queues WHERE farm_id = $1 AND queue_id = $2 FOR KEY SHARE`, [b.farmId, b.queueId]);
          if (!queue.length) return 'no-queue';
        }
        if (b.fleetId !== undefined) {
          const fleet = await tx.query(`SELECT 1 FROM fleets WHERE farm_id = $1 AND fleet_id = $2 FOR KEY SHARE`, [b.farmId, b.fleetId]);
          if (!fleet.length) return 'no-fleet';
        }
        await tx.query(`INSERT INTO budgets VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`, budgetValues(b));
        return 'created';
      });
    },
    async getBudget(farmId, budgetId) {
      const r = await db.one(`SELECT * FROM budgets WHERE farm_id = $1 AND budget_id = $2`, [farmId, budgetId]);
      return r && toBudget(r);
    },
    listBudgets: (farmId, req, filter) => page(db, budgetsReadAt(filter.nowMs), { farm_id: farmId, read_status: filter.status }, 'budget_id', req, toBudget),
    async putBudget(b) {
      // Every column but the key and creation; the creation, which never changes, is matched so that every parameter is used.
      const updated = await db.query(
        `UPDATE budgets SET display_name = $3, description = $4, queue_id = $5, approximate_dollar_limit = $6, actions = $7,
           starts_at = $8, ends_at = $9, status = $10, tags = $11, updated_at = $14, updated_by = $15, queue_stopped_at = $16, fleet_id = $17, recurring = $18, user_id = $19
         WHERE farm_id = $1 AND budget_id = $2 AND created_at = $12 AND created_by = $13 RETURNING 1`,
        budgetValues(b),
      );
      return updated.length > 0;
    },
    async setBudgetQueueStopped(farmId, budgetId, atMs) {
      await db.query(`UPDATE budgets SET queue_stopped_at = $3 WHERE farm_id = $1 AND budget_id = $2`, [farmId, budgetId, atMs ?? null]);
    },
    async budgetsOfQueues(farmId, queueIds) {
      if (!queueIds.length) return [];
      const rows = await db.query(`SELECT * FROM budgets WHERE farm_id = $1 AND queue_id = ANY($2) ORDER BY created_at, budget_id`, [farmId, [...queueIds]]);
      return rows.map(toBudget);
    },
    async deleteBudget(farmId, budgetId) {
      const deleted = await db.query(`DELETE FROM budgets WHERE farm_id = $1 AND budget_id = $2 RETURNING 1`, [farmId, budgetId]);
      return deleted.length ? 'deleted' : 'not-found';
    },

    async getJob(farmId, queueId, jobId) {
      const r = await db.one(`SELECT * FROM jobs WHERE farm_id = $1 AND queue_id = $2 AND job_id = $3`, [farmId, queueId, jobId]);
      return r && toJob(r);
    },
    listJobs: (farmId, queueId, req) => page(db, 'jobs', { farm_id: farmId, queue_id: queueId }, 'job_id', req, toJob),

    async putJobs(tx, jobs) {
      const all = byKey(jobs, (j) => `${j.farmId}\u0000${j.jobId}`);
      for (let i = 0; i < all.length; i += CHUNK) {
        const chunk = all.slice(i, i + CHUNK);
        await tx.query(
          `INSERT INTO jobs (farm_id, queue_id, job_id, name, user_id, created_at, updated_at, started_at, ended_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
           ON CONFLICT (farm_id, job_id) DO UPDATE SET queue_id = EXCLUDED.queue_id, name = EXCLUDED.name, user_id = EXCLUDED.user_id,
             updated_at = EXCLUDED.updated_at, started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at`,
          [
            chunk.map((j) => j.farmId), chunk.map((j) => j.queueId), chunk.map((j) => j.jobId), chunk.map((j) => j.name), chunk.map((j) => j.userId),
            chunk.map((j) => j.createdAt), chunk.map((j) => j.updatedAt), chunk.map((j) => j.startedAt), chunk.map((j) => j.endedAt ?? null),
          ],
        );
      }
    },

    async adjustSessionCounts(tx, deltas) {
      const sums = new Map<string, SessionCountDelta>();
      for (const d of deltas) {
        const key = `${d.farmId}\u0000${d.kind}\u0000${d.resourceId}`;
        const known = sums.get(key);
        sums.set(key, { ...d, delta: (known?.delta ?? 0) + d.delta });
      }
      const changes = byKey([...sums.values()].filter((d) => d.delta !== 0), (d) => `${d.farmId}\u0000${d.kind}\u0000${d.resourceId}`);
      if (!changes.length) return;
      const missing = { queue: [] as string[], fleet: [] as string[] };
      for (const kind of ['queue', 'fleet'] as const) {
        const counted = changes.filter((d) => d.kind === kind && d.delta > 0);
        if (!counted.length) continue;
        const [table, column] = kind === 'queue' ? ['queues', 'queue_id'] : ['fleets', 'fleet_id'];
        const found = await tx.query<{ farm_id: string; id: string }>(
          `SELECT farm_id, ${column} AS id FROM ${table} WHERE (farm_id, ${column}) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           ORDER BY farm_id, ${column} FOR KEY SHARE`,
          [counted.map((d) => d.farmId), counted.map((d) => d.resourceId)],
        );
        const there = new Set(found.map((r) => `${r.farm_id}\u0000${r.id}`));
        missing[kind].push(...counted.filter((d) => !there.has(`${d.farmId}\u0000${d.resourceId}`)).map((d) => d.resourceId));
      }
      if (missing.queue.length || missing.fleet.length) throw new MissingParentsError(missing.queue, missing.fleet);
      // The counts' rows in key order first, so transactions moving sessions between the same
      // queues in opposite directions do not deadlock.
      const columns = (ds: SessionCountDelta[]) => [ds.map((d) => d.farmId), ds.map((d) => d.kind), ds.map((d) => d.resourceId), ds.map((d) => d.delta)];
      await tx.query(
        `SELECT 1 FROM resource_sessions WHERE (farm_id, kind, resource_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
         ORDER BY farm_id, kind, resource_id FOR UPDATE`,
        columns(changes).slice(0, 3),
      );
      const rising = changes.filter((d) => d.delta > 0);
      if (rising.length) {
        await tx.query(
          `INSERT INTO resource_sessions (farm_id, kind, resource_id, sessions)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
           ON CONFLICT (farm_id, kind, resource_id) DO UPDATE SET sessions = resource_sessions.sessions + EXCLUDED.sessions`,
          columns(rising),
        );
      }
      // Falling counts only update (an insert's proposed row would fail the check even where a row exists).
      const falling = changes.filter((d) => d.delta < 0);
      if (falling.length) {
        const updated = await tx.query(
          `UPDATE resource_sessions r SET sessions = r.sessions + d.delta
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS d(farm_id, kind, resource_id, delta)
           WHERE (r.farm_id, r.kind, r.resource_id) = (d.farm_id, d.kind, d.resource_id) RETURNING 1`,
          columns(falling),
        );
        if (updated.length < falling.length) throw new Error(`resource_sessions: sessions taken away from a queue or fleet with none counted (${falling.map((d) => d.resourceId).join(', ')})`);
      }
    },

    async sessionParentIds(farmId) {
      const [queues, fleets] = await Promise.all([
        db.query<{ id: string }>(`SELECT queue_id AS id FROM queues WHERE farm_id = $1`, [farmId]),
        db.query<{ id: string }>(`SELECT fleet_id AS id FROM fleets WHERE farm_id = $1`, [farmId]),
      ]);
      return { queueIds: queues.map((r) => r.id), fleetIds: fleets.map((r) => r.id) };
    },
  };
}
