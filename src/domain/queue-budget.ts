// A queue's budget state: whether a render manager reading the queue should stop scheduling
// it, and why. farmtally schedules nothing itself; GetQueue and ListQueues report this.
import { budgetWindowAt } from './budget-window.js';
import { budgetStatusAt, type Budget } from './resources.js';

export type QueueBlockedReason = 'NO_BUDGET_CONFIGURED' | 'BUDGET_THRESHOLD_REACHED';

/**
 * Why the queue's scheduling is blocked at `nowMs`, or undefined when it is not. `budgets`
 * are the queue's own (others are not looked at). In order:
 * - a budget that reads ACTIVE (budgetStatusAt) and has stopped the queue (queueStoppedAt:
 *   its usage reached a STOP_SCHEDULING action's threshold) in its current window (a recurring
 *   budget's stop in a period past holds nothing, before the tracker clears it): BUDGET_THRESHOLD_REACHED;
 * - a queue whose defaultBudgetAction is not NONE (absent is NONE) with no budget that reads
 *   ACTIVE: NO_BUDGET_CONFIGURED;
 * - otherwise not blocked (the queue reads the status its jobs give it).
 */
export function queueBudgetBlock(
  defaultBudgetAction: string | undefined,
  budgets: readonly Pick<Budget, 'status' | 'startsAt' | 'endsAt' | 'queueStoppedAt' | 'recurring'>[],
  nowMs: number,
): QueueBlockedReason | undefined {
  const active = budgets.filter((b) => budgetStatusAt(b, nowMs) === 'ACTIVE');
  const stoppedNow = (b: (typeof budgets)[number]) => b.queueStoppedAt !== undefined && (!b.recurring || b.queueStoppedAt >= budgetWindowAt(b, nowMs).startsAt);
  if (active.some(stoppedNow)) return 'BUDGET_THRESHOLD_REACHED';
  if ((defaultBudgetAction ?? 'NONE') !== 'NONE' && active.length === 0) return 'NO_BUDGET_CONFIGURED';
  return undefined;
}
