// The budget operations' members, with the constraints the API model gives them.
import type { FieldFailure } from '../errors.js';
import { Description, FarmId, FleetId, QueueId } from '../common-shapes.js';
import { enumOf, extension, float, list, optional, required, string, structure, timestamp, union, uri } from '../validation/shapes.js';

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
/**
 * The model's union has queueId only; fleetId and farmId (a fleet of the farm, or the farm in
 * the path: its whole usage) are extensions: a --strict server does not see them.
 */
export const UsageTrackingResource = union({ queueId: optional(QueueId), fleetId: extension(optional(FleetId)), farmId: extension(optional(FarmId)) });

/** A farm budget tracks the farm it is in: a farmId other than the path's is refused. */
export function usageTrackingFailures(resource: { queueId?: string; fleetId?: string; farmId?: string }, farmId: string): FieldFailure[] {
  if (resource.farmId === undefined || resource.farmId === farmId) return [];
  return [
    {
      name: 'usageTrackingResource.farmId',
      message: `usageTrackingResource.farmId (${resource.farmId}) must be the budget's own farm (${farmId}): a farm budget tracks the whole farm it is in.`,
    },
  ];
}

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
