// The budget operations' members, with the constraints the API model gives them.
import type { FieldFailure } from '../errors.js';
import { Description, QueueId } from '../common-shapes.js';
import { enumOf, float, list, optional, required, string, structure, timestamp, union, uri } from '../validation/shapes.js';

export const BudgetId = string({ pattern: 'budget-[0-9a-f]{32}' });
export const budgetIdInPath = uri(BudgetId);
export const BudgetStatus = enumOf(['ACTIVE', 'INACTIVE']);
export const BudgetActionType = enumOf(['STOP_SCHEDULING_AND_COMPLETE_TASKS', 'STOP_SCHEDULING_AND_CANCEL_TASKS']);
export const ThresholdPercentage = float({ min: 0, max: 100 });
export const ConsumedUsageLimit = float({ min: 0.01 });

export const BudgetActionToAdd = structure({
  type: required(BudgetActionType),
  thresholdPercentage: required(ThresholdPercentage),
  description: optional(Description),
});
export const BudgetActionToRemove = structure({ type: required(BudgetActionType), thresholdPercentage: required(ThresholdPercentage) });
export const BudgetActionsToAdd = list(BudgetActionToAdd, { min: 0, max: 10 });
export const BudgetActionsToRemove = list(BudgetActionToRemove, { min: 0, max: 10 });
/** ResponseBudgetActionList's bound: a budget holds at most this many actions. */
export const MAX_BUDGET_ACTIONS = 10;

export const BudgetSchedule = union({ fixed: optional(structure({ startTime: required(timestamp()), endTime: required(timestamp()) })) });
export const UsageTrackingResource = union({ queueId: optional(QueueId) });

/** A fixed window must end after it starts (it is [startTime, endTime)); the model cannot say so. */
export function scheduleFailures(schedule: { fixed?: { startTime: Date; endTime: Date } } | undefined): FieldFailure[] {
  const fixed = schedule?.fixed;
  if (!fixed || fixed.startTime.getTime() < fixed.endTime.getTime()) return [];
  return [
    {
      name: 'schedule.fixed.endTime',
      message: `schedule.fixed.endTime (${fixed.endTime.toISOString()}) must be later than schedule.fixed.startTime (${fixed.startTime.toISOString()}): the budget's window is [startTime, endTime).`,
    },
  ];
}
