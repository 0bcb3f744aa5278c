// A queue's budget state: whether a render manager reading the queue should stop scheduling
// it, and why. farmtally schedules nothing itself; GetQueue and ListQueues report this.
import { budgetStatusAt, type Budget } from './resources.js';

export type QueueBlockedReason = 'NO_BUDGET_CONFIGURED' | 'BUDGET_THRESHOLD_REACHED';

/**
 * Why the queue's scheduling is blocked at `nowMs`, or undefined when it is not. `budgets`
 * are the queue's own (others are not looked at). In order:
 * - a budget that reads ACTIVE (budgetStatusAt) and has stopped the queue (queueStoppedAt:
 *   its usage reached a STOP_SCHEDULING action's threshold): BUDGET_THRESHOLD_REACHED;
 * - a queue whose defaultBudgetAction is not NONE (absent is NONE) with no budget that reads
 *   ACTIVE: NO_BUDGET_CONFIGURED;
 * - otherwise not blocked (the queue reads the status its jobs give it).
 */
export function queueBudgetBlock(
  defaultBudgetAction: string | undefined,
  budgets: readonly Pick<Budget, 'status' | 'startsAt' | 'endsAt' | 'queueStoppedAt'>[],
  nowMs: number,
): QueueBlockedReason | undefined {
  const active = budgets.filter((b) => budgetStatusAt(b, nowMs) === 'ACTIVE');
  if (active.some((b) => b.queueStoppedAt !== undefined)) return 'BUDGET_THRESHOLD_REACHED';
  if ((defaultBudgetAction ?? 'NONE') !== 'NONE' && active.length === 0) return 'NO_BUDGET_CONFIGURED';
  return undefined;
}
