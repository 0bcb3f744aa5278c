import { farmIdInPath, paging } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { listPage, requireFarm } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { budgetSummary } from './budget-output.js';
import { BudgetStatus } from './budget-shapes.js';

export const listBudgets = defineOperation({
  name: 'ListBudgets',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/budgets',
  input: structure({ farmId: farmIdInPath, ...paging, status: query(BudgetStatus) }),
  async handle(input, ctx) {
    const { farmId, status } = input;
    const farm = await requireFarm(ctx, farmId);
    const now = ctx.now();
    // The token is bound to the farm and the filter: it cannot page another farm's or another filter's list.
    const page = await listPage(ctx, `ListBudgets:${farmId}:${status ?? ''}`, input, (p) => ctx.store.listBudgets(farmId, p, { status, nowMs: now }));
    // One usage query per budget, one after another: a page is at most 100 of a farm's few budgets.
    const budgets = [];
    for (const b of page.items) budgets.push(budgetSummary(b, await ctx.budgets.usage(farm, b, now), now));
    return { budgets, nextToken: page.nextToken };
  },
});
