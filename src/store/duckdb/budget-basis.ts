// What the budget tracker reads of DuckDB (store/budget-usage-store.ts): the cost and the
// open sessions read in one turn of the write queue, so that no batch commits between the
// two reads and the version they are at is the writer's own count.
import { listValue } from '@duckdb/node-api';
import type { AggregationQuery } from '../aggregation-store.js';
import type { BudgetUsageStore } from '../budget-usage-store.js';
import type { Sql } from './connections.js';
import { SESSION_COLUMN_LIST, toSession } from './session-columns.js';
import type { SessionWriter } from './session-writer.js';

export function duckDbBudgetUsage(db: Sql, writer: SessionWriter, sumCost: (q: AggregationQuery, timeoutMs: number) => Promise<number>): BudgetUsageStore {
  return {
    budgetBasis: (q, timeoutMs, read) =>
      writer.atRest(async (version) => {
        const costUsd = read.cost ? await sumCost(q, timeoutMs) : 0;
        const rows = await db.all(
          `SELECT ${SESSION_COLUMN_LIST} FROM sessions
           WHERE farm_id = $1 AND ${q.resourceKind === 'queue' ? 'queue_id' : 'fleet_id'} IN (SELECT unnest($2::VARCHAR[])) AND (ended_at IS NULL OR ended_at > $3)`,
          [q.farmId, listValue(q.resourceIds), q.asOfMs],
        );
        const open = rows.map((row) => {
          const { farmId: _f, updatedAt: _u, ...record } = toSession(row);
          return record;
        });
        return { costUsd, open, version };
      }),
    sessionsVersion: async () => writer.sessionsVersion,
    onSessionsChanged: (listener) => writer.onChanged(listener),
    async setBudgetQueueStopped(farmId, budgetId, atMs) {
      await db.run(`UPDATE budgets SET queue_stopped_at = $3 WHERE farm_id = $1 AND budget_id = $2`, [farmId, budgetId, atMs ?? null]);
    },
  };
}
