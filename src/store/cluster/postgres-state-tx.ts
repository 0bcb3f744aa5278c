// The cluster's batches and their transactions (cluster-state.ts) on the PostgreSQL state:
// the farm's turn is its row locked FOR UPDATE, parents are held FOR SHARE, and jobs follow
// the DuckDB merge's rules (store/duckdb/session-merge.ts JOB_CHANGES): a job the batch
// names takes queue, name and user from its last record and extends its span by the batch's
// sessions; a job an update or deletion touched gets its span from its sessions again, and
// is deleted when it has none left.
import type { Job } from '../../domain/resources.js';
import type { PostgresState, Sql } from '../postgres/index.js';
import { toJob } from '../rows.js';
import type { NamedJob } from './batch-plan.js';
import type { ClusterState, Respanned, StateTx } from './cluster-state.js';


/** The jobs as they will be: named ones extended (or respanned), respanned ones alone; undefined for a job to delete. */
export function nextJobs(farmId: string, nowMs: number, stored: ReadonlyMap<string, Job>, named: readonly NamedJob[], respanned: readonly Respanned[]): Map<string, Job | undefined> {
  const spans = new Map(respanned.map((r) => [r.jobId, r.span]));
  const next = new Map<string, Job | undefined>();
  for (const job of named) {
    const before = stored.get(job.jobId);
    const span = spans.has(job.jobId)
      ? spans.get(job.jobId)
      : {
          startedAt: Math.min(before?.startedAt ?? Infinity, job.startedAt),
          endedAt: job.allEnded && (!before || before.endedAt !== undefined) ? Math.max(before?.endedAt ?? -Infinity, job.endedAt!) : undefined,
        };
    if (!span) continue;
    next.set(job.jobId, { farmId, queueId: job.queueId, jobId: job.jobId, name: job.name, userId: job.userId, createdAt: before?.createdAt ?? nowMs, updatedAt: nowMs, ...span });
  }
  for (const { jobId, span } of respanned) {
    if (next.has(jobId)) continue;
    const before = stored.get(jobId);
    if (!before) continue;
    next.set(jobId, span ? { ...before, updatedAt: nowMs, startedAt: span.startedAt, endedAt: span.endedAt } : undefined);
  }
  return next;
}

function stateTx(state: PostgresState, tx: Sql): StateTx {
  return {
    async lockFarm(farmId) {
      await tx.query(`SELECT 1 FROM farms WHERE farm_id = $1 FOR UPDATE`, [farmId]);
    },
    snapshot: () => state.snapshot(),
    async missingParents(farmId, queueIds, fleetIds) {
      const held = async (table: string, column: string, ids: string[]) => {
        if (ids.length === 0) return [];
        const found = new Set((await tx.query(`SELECT ${column} AS id FROM ${table} WHERE farm_id = $1 AND ${column} = ANY($2) ORDER BY ${column} FOR SHARE`, [farmId, ids])).map((r) => r.id as string));
        return ids.filter((id) => !found.has(id));
      };
      return { queueIds: await held('queues', 'queue_id', queueIds), fleetIds: await held('fleets', 'fleet_id', fleetIds) };
    },
    async writeJobs(farmId, nowMs, named, respanned) {
      const ids = [...new Set([...named.map((j) => j.jobId), ...respanned.map((j) => j.jobId)])];
      if (ids.length === 0) return;
      const stored = new Map((await tx.query(`SELECT * FROM jobs WHERE farm_id = $1 AND job_id = ANY($2) ORDER BY job_id FOR UPDATE`, [farmId, ids])).map((r) => [r.job_id as string, toJob(r)]));
      const next = nextJobs(farmId, nowMs, stored, named, respanned);
      const gone = [...next].filter(([, job]) => !job).map(([jobId]) => jobId);
      if (gone.length) await tx.query(`DELETE FROM jobs WHERE farm_id = $1 AND job_id = ANY($2)`, [farmId, gone]);
      await state.putJobs(tx, [...next.values()].filter((job): job is Job => job !== undefined));
    },
    async adjustSessionCounts(farmId, deltas) {
      await state.adjustSessionCounts(
        tx,
        [...deltas].map(([key, delta]) => {
          const cut = key.indexOf(':');
          return { farmId, kind: key.slice(0, cut) as 'queue' | 'fleet', resourceId: key.slice(cut + 1), delta };
        }),
      );
    },
    async deleteResource(resource) {
      if (resource.kind === 'farm') {
        const found = await tx.query(`SELECT 1 FROM farms WHERE farm_id = $1`, [resource.farmId]);
        for (const table of ['jobs', 'resource_sessions', 'queues', 'fleets', 'farms']) await tx.query(`DELETE FROM ${table} WHERE farm_id = $1`, [resource.farmId]);
        return found.length > 0;
      }
      const [table, column] = resource.kind === 'queue' ? ['queues', 'queue_id'] : ['fleets', 'fleet_id'];
      await tx.query(`DELETE FROM resource_sessions WHERE farm_id = $1 AND kind = $2 AND resource_id = $3`, [resource.farmId, resource.kind, resource.id]);
      return (await tx.query(`DELETE FROM ${table} WHERE farm_id = $1 AND ${column} = $2 RETURNING 1`, [resource.farmId, resource.id])).length > 0;
    },
    async renameUserInResults(farmId, userId, pseudonym) {
      await tx.query(`UPDATE aggregation_rows SET user_id = $3 WHERE user_id = $2 AND aggregation_id IN (SELECT aggregation_id FROM aggregations WHERE farm_id = $1)`, [farmId, userId, pseudonym]);
      // A budget on the user goes on tracking the same sessions, under their new name.
      await tx.query(`UPDATE budgets SET user_id = $3 WHERE farm_id = $1 AND user_id = $2`, [farmId, userId, pseudonym]);
    },
    publishBatches: (batches) => state.publishBatches(tx, batches),
  };
}

export function clusterState(state: PostgresState): ClusterState {
  return {
    async farmIds() {
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const page = await state.listFarms({ limit: 1000, after });
        ids.push(...page.items.map((f) => f.farmId));
        after = page.nextAfter;
      } while (after);
      return ids;
    },
    openBatches: (farmId, lease, count) => state.openBatches(farmId, lease, count),
    abandonBatches: (seqs) => state.abandonBatches(seqs),
    transaction: (work) => state.withTransaction((tx) => work(stateTx(state, tx))),
  };
}
