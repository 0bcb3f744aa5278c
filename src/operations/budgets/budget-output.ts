// A budget as GetBudget and ListBudgets answer it: its status as read now, and its usage
// now (budget-tracker.ts).
import { budgetStatusAt, type Budget } from '../../domain/resources.js';
import { audit, iso } from '../support.js';

export const budgetSummary = (b: Budget, approximateDollarUsage: number, nowMs: number) => ({
  budgetId: b.budgetId,
  usageTrackingResource: { queueId: b.queueId },
  status: budgetStatusAt(b, nowMs),
  displayName: b.displayName,
  approximateDollarLimit: b.approximateDollarLimit,
  usages: { approximateDollarUsage },
  ...audit(b),
});

export const budgetDetail = (b: Budget, approximateDollarUsage: number, nowMs: number) => ({
  ...budgetSummary(b, approximateDollarUsage, nowMs),
  description: b.description,
  actions: b.actions,
  schedule: { fixed: { startTime: iso(b.startsAt), endTime: iso(b.endsAt) } },
  queueStoppedAt: iso(b.queueStoppedAt),
});
