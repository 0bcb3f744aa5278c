import { farmIdInPath } from '../common-shapes.js';
import { notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';
import { budgetIdInPath } from './budget-shapes.js';
import { requireBudget } from './require-budget.js';

export const deleteBudget = defineOperation({
  name: 'DeleteBudget',
  method: 'DELETE',
  path: '/2023-10-12/farms/{farmId}/budgets/{budgetId}',
  input: structure({ farmId: farmIdInPath, budgetId: budgetIdInPath }),
  async handle({ farmId, budgetId }, ctx) {
    // Looked up first so an unknown farm and an unknown budget each get their own error.
    await requireBudget(ctx, farmId, budgetId);
    if ((await ctx.store.deleteBudget(farmId, budgetId)) === 'not-found') throw notFound('budget', budgetId); // deleted by another request in between
    ctx.budgets.forget(farmId);
    return {};
  },
});
