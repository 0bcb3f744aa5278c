// What the budget tracker reads of DuckDB (store/budget-usage-store.ts): the cost and the
// open sessions read in one turn of the write queue, so that no batch commits between the
// two reads and the version they are at is the writer's own count.
import { sessionRecordOf } from '../../domain/session-record.js';
import type { AggregationQuery } from '../aggregation-store.js';
import type { BudgetUsageStore } from '../budget-usage-store.js';
import type { Sql } from './connections.js';
import { openSessions } from './open-sessions.js';
import type { SessionWriter } from './session-writer.js';

export function duckDbBudgetUsage(db: Sql, writer: SessionWriter, sumCost: (q: AggregationQuery, timeoutMs: number, userId?: string) => Promise<number>): BudgetUsageStore {
  return {
    budgetBasis: (q, timeoutMs, read) =>
      writer.atRest(async (version) => {
        const costUsd = read.cost ? await sumCost(q, timeoutMs, read.userId) : 0;
        const open = await openSessions(db, { farmId: q.farmId, kind: q.resourceKind, resourceIds: q.resourceIds, endedAfter: q.asOfMs, userId: read.userId });
        return { costUsd, open: open.map(sessionRecordOf), version };
      }),
    sessionsVersion: async () => writer.sessionsVersion,
    onSessionsChanged: (listener) => writer.onChanged(listener),
    // One process writes: every change it can list reaches onSessionsChanged as it commits, and
    // the ones it cannot (a bulk merge, a deletion) are not kept afterwards either.
    sessionChangesBetween: async () => undefined,
    async setBudgetQueueStopped(farmId, budgetId, atMs) {
      await db.run(`UPDATE budgets SET queue_stopped_at = $3 WHERE farm_id = $1 AND budget_id = $2`, [farmId, budgetId, atMs ?? null]);
    },
  };
}
