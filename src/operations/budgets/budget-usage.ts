// A budget's usage, computed when it is read: the cost SUM that
// GetSessionsStatisticsAggregation answers for the budget's queue over the budget's window
// so far ([start, min(end, now))), running sessions counted up to now, the farm's
// costScaleFactor and the server's rate card applied. The same query builder and engine SQL
// as the statistics, so the two cannot disagree.
import type { Budget, Farm } from '../../domain/resources.js';
import { UTC_ZONE } from '../../domain/timezone.js';
import type { OperationContext } from '../context.js';
import { notFound } from '../errors.js';
import { aggregationQuery } from '../statistics/aggregation-query.js';
import { requireFarm } from '../support.js';

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

export async function requireBudget(ctx: OperationContext, farmId: string, budgetId: string): Promise<{ farm: Farm; budget: Budget }> {
  const farm = await requireFarm(ctx, farmId);
  const budget = await ctx.store.getBudget(farmId, budgetId);
  if (!budget) throw notFound('budget', budgetId, `Budget ${budgetId} does not exist in farm ${farmId}. List its budgets with ListBudgets.`);
  return { farm, budget };
}
