// A budget as GetBudget and ListBudgets answer it: its status as read now, and its usage
// now (budget-tracker.ts).
import { NO_END } from '../../domain/budget-window.js';
import { budgetScope, budgetStatusAt, type Budget } from '../../domain/resources.js';
import { audit, iso } from '../support.js';

/** As created: { queueId } (the model's), or the extensions' { fleetId }, { userId } and { farmId }. */
function usageTrackingResource(b: Budget) {
  const scope = budgetScope(b);
  if (scope.kind === 'queue') return { queueId: scope.queueId };
  if (scope.kind === 'fleet') return { fleetId: scope.fleetId };
  if (scope.kind === 'user') return { userId: scope.userId };
  return { farmId: b.farmId };
}

export const budgetSummary = (b: Budget, approximateDollarUsage: number, nowMs: number) => ({
  budgetId: b.budgetId,
  usageTrackingResource: usageTrackingResource(b),
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
  schedule: b.recurring
    ? { recurring: { period: b.recurring, startTime: iso(b.startsAt), ...(b.endsAt !== NO_END && { endTime: iso(b.endsAt) }) } }
    : { fixed: { startTime: iso(b.startsAt), endTime: iso(b.endsAt) } },
  queueStoppedAt: iso(b.queueStoppedAt),
});
