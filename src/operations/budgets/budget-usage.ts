// A budget's usage, computed when it is read: the cost SUM that
// GetSessionsStatisticsAggregation answers for the budget's queue over the budget's window
// so far ([start, min(end, now))), running sessions counted up to now, the farm's
// costScaleFactor and the server's rate card applied. The same query builder and engine SQL
// as the statistics, so the two cannot disagree.
import type { Budget, Farm } from '../../domain/resources.js';
import { UTC_ZONE } from '../../domain/timezone.js';
import type { OperationContext } from '../context.js';
import { aggregationQuery } from '../statistics/aggregation-query.js';

export async function budgetUsage(ctx: OperationContext, farm: Farm, budget: Budget, nowMs: number): Promise<number> {
  const endMs = Math.min(budget.endsAt, nowMs);
  if (endMs <= budget.startsAt) return 0; // the window has not begun
  const query = aggregationQuery({
    farm,
    resourceKind: 'queue',
    resourceIds: [budget.queueId],
    startMs: budget.startsAt,
    endMs,
    zone: UTC_ZONE,
    // As a caller would ask the statistics for one queue's cost (groupBy is at least one field): one row.
    groupBy: ['QUEUE_ID'],
    asOfMs: nowMs,
    rateCard: ctx.settings.rateCard,
  });
  return ctx.store.sumCost(query, ctx.settings.aggregationTimeoutMs);
}
