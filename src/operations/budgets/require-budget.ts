import type { Budget, Farm } from '../../domain/resources.js';
import type { OperationContext } from '../context.js';
import { notFound } from '../errors.js';
import { requireFarm } from '../support.js';

/** The budget with its farm (whose costScaleFactor its usage takes), or ResourceNotFoundException naming the farm or the budget, whichever is missing. */
export async function requireBudget(ctx: OperationContext, farmId: string, budgetId: string): Promise<{ farm: Farm; budget: Budget }> {
  const farm = await requireFarm(ctx, farmId);
  const budget = await ctx.store.getBudget(farmId, budgetId);
  if (!budget) throw notFound('budget', budgetId, `Budget ${budgetId} does not exist in farm ${farmId}. List its budgets with ListBudgets.`);
  return { farm, budget };
}
