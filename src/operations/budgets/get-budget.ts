import { farmIdInPath } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';
import { budgetDetail } from './budget-output.js';
import { budgetIdInPath } from './budget-shapes.js';
import { requireBudget } from './require-budget.js';

export const getBudget = defineOperation({
  name: 'GetBudget',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/budgets/{budgetId}',
  input: structure({ farmId: farmIdInPath, budgetId: budgetIdInPath }),
  async handle({ farmId, budgetId }, ctx) {
    const { farm, budget } = await requireBudget(ctx, farmId, budgetId);
    const now = ctx.now();
    return budgetDetail(budget, await ctx.budgets.usage(farm, budget, now), now);
  },
});
