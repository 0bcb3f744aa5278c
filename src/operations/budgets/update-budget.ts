import type { BudgetAction } from '../../domain/resources.js';
import { clientTokenHeader, Description, farmIdInPath, ResourceName } from '../common-shapes.js';
import { fieldValidationError, notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { optional, structure } from '../validation/shapes.js';
import {
  BudgetActionsToAdd, BudgetActionsToRemove, budgetIdInPath, BudgetSchedule, BudgetStatus, ConsumedUsageLimit, MAX_BUDGET_ACTIONS, scheduleFailures, storedSchedule,
} from './budget-shapes.js';
import { requireBudget } from './require-budget.js';

const sameAction = (a: Pick<BudgetAction, 'type' | 'thresholdPercentage'>, b: Pick<BudgetAction, 'type' | 'thresholdPercentage'>) =>
  a.type === b.type && a.thresholdPercentage === b.thresholdPercentage;

export const updateBudget = defineOperation({
  name: 'UpdateBudget',
  method: 'PATCH',
  path: '/2023-10-12/farms/{farmId}/budgets/{budgetId}',
  input: structure({
    farmId: farmIdInPath,
    budgetId: budgetIdInPath,
    // An update applied twice gives the same budget (the action lists are sets), so a retry needs no token kept.
    clientToken: clientTokenHeader,
    displayName: optional(ResourceName),
    description: optional(Description),
    status: optional(BudgetStatus),
    approximateDollarLimit: optional(ConsumedUsageLimit),
    actionsToAdd: optional(BudgetActionsToAdd),
    actionsToRemove: optional(BudgetActionsToRemove),
    schedule: optional(BudgetSchedule),
  }),
  check: (input) => scheduleFailures(input.schedule),
  async handle(input, ctx) {
    const { farmId, budgetId, actionsToAdd = [], actionsToRemove = [], schedule } = input;
    const { budget } = await requireBudget(ctx, farmId, budgetId);
    // Removed first, then added: an action is its type and threshold, so adding one that is
    // there replaces its description, and removing one that is not there changes nothing.
    const kept = budget.actions.filter((a) => !actionsToRemove.some((r) => sameAction(a, r)));
    const actions = [...kept.filter((a) => !actionsToAdd.some((n) => sameAction(a, n))), ...actionsToAdd];
    if (actions.length > MAX_BUDGET_ACTIONS) {
      throw fieldValidationError([
        { name: 'actionsToAdd', message: `The budget would have ${actions.length} actions, more than ${MAX_BUDGET_ACTIONS}. Remove some with actionsToRemove.` },
      ]);
    }
    const changes = Object.fromEntries(
      Object.entries({ displayName: input.displayName, description: input.description, status: input.status, approximateDollarLimit: input.approximateDollarLimit })
        .filter(([, v]) => v !== undefined),
    );
    // A schedule given replaces the one there, fixed or recurring.
    const window = schedule ? storedSchedule(schedule) : {};
    const stored = await ctx.store.putBudget({ ...budget, ...changes, ...window, actions, updatedAt: ctx.now(), updatedBy: ctx.caller });
    if (!stored) throw notFound('budget', budgetId); // deleted by another request in between
    return {};
  },
});
