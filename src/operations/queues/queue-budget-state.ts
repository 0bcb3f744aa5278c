import { queueBudgetBlock, type QueueBlockedReason } from '../../domain/queue-budget.js';
import type { QueueStatus, QueueWithStatus } from '../../store/store.js';
import type { OperationContext } from '../context.js';

/** A queue as GetQueue and ListQueues read it: its budget state over the status its jobs give it. */
export type QueueRead = QueueWithStatus & { blockedReason?: QueueBlockedReason };

/**
 * The queues with their budget state at `nowMs` (domain queueBudgetBlock): a blocked queue
 * reads SCHEDULING_BLOCKED with the reason. Their budgets are read in one query, whatever the
 * number of queues.
 */
export async function withBudgetState(ctx: OperationContext, farmId: string, queues: readonly QueueWithStatus[], nowMs: number): Promise<QueueRead[]> {
  const budgets = await ctx.store.budgetsOfQueues(farmId, queues.map((q) => q.queueId));
  return queues.map((q) => {
    const blockedReason = queueBudgetBlock(q.details.defaultBudgetAction as string | undefined, budgets.filter((b) => b.queueId === q.queueId), nowMs);
    return blockedReason ? { ...q, status: 'SCHEDULING_BLOCKED' satisfies QueueStatus, blockedReason } : q;
  });
}
