// The budget operations' members, with the constraints the API model gives them.
import { NO_END } from '../../domain/budget-window.js';
import type { Budget, BudgetPeriod } from '../../domain/resources.js';
import type { FieldFailure } from '../errors.js';
import { Description, FarmId, FleetId, QueueId, SessionUserId } from '../common-shapes.js';
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

/**
 * The model's union has `fixed` only; `recurring` (an extension, unseen under --strict) is a
 * window that starts again each calendar month or quarter in UTC, from startTime to endTime
 * (none: no end).
 */
export const BudgetSchedule = union({
  fixed: optional(structure({ startTime: required(timestamp()), endTime: required(timestamp()) })),
  recurring: extension(optional(structure({ period: required(enumOf(['MONTHLY', 'QUARTERLY'])), startTime: required(timestamp()), endTime: optional(timestamp()) }))),
});
export type BudgetScheduleInput = { fixed?: { startTime: Date; endTime: Date }; recurring?: { period: BudgetPeriod; startTime: Date; endTime?: Date } };

/** What a schedule stores: its first and last instants (a recurring one without an end: NO_END) and its period. */
export function storedSchedule(schedule: BudgetScheduleInput): Pick<Budget, 'startsAt' | 'endsAt' | 'recurring'> {
  if (schedule.recurring) {
    const { period, startTime, endTime } = schedule.recurring;
    return { startsAt: startTime.getTime(), endsAt: endTime?.getTime() ?? NO_END, recurring: period };
  }
  return { startsAt: schedule.fixed!.startTime.getTime(), endsAt: schedule.fixed!.endTime.getTime(), recurring: undefined };
}
/**
 * The model's union has queueId only; fleetId, userId and farmId (a fleet of the farm, a user's
 * sessions over every queue of the farm, or the farm in the path: its whole usage) are
 * extensions: a --strict server does not see them. A user is the sessions' userId, bounded as
 * session ingest bounds it; it need not have a session yet.
 */
export const UsageTrackingResource = union({
  queueId: optional(QueueId),
  fleetId: extension(optional(FleetId)),
  userId: extension(optional(SessionUserId)),
  farmId: extension(optional(FarmId)),
});

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

/** A window must end after it starts (it is [startTime, endTime)); the model cannot say so. */
export function scheduleFailures(schedule: BudgetScheduleInput | undefined): FieldFailure[] {
  const [member, window] = schedule?.fixed ? ['fixed', schedule.fixed] : ['recurring', schedule?.recurring];
  if (!window?.endTime || window.startTime.getTime() < window.endTime.getTime()) return [];
  return [
    {
      name: `schedule.${member}.endTime`,
      message: `schedule.${member}.endTime (${window.endTime.toISOString()}) must be later than schedule.${member}.startTime (${window.startTime.toISOString()}): the budget's window is [startTime, endTime).`,
    },
  ];
}
