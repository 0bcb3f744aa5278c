// A budget as the SDK answers it, read for what farmtally's extensions add: the SDK hands a
// union member the model lacks over as `$unknown: [name, value]` (a fleet, user or whole-farm
// budget's usageTrackingResource, a recurring schedule). The page's Budgets tab and
// `farmtally budgets` both read budgets through these, and ask for a budget's cost by day
// with the resources these name.
import type { BudgetSchedule, Statistics, UsageTrackingResource, UsageGroupByField } from '@aws-sdk/client-deadline';
import { MAX_AGGREGATION_RESOURCES } from '../domain/aggregation-limits.js';
import { budgetWindowAt, NO_END } from '../domain/budget-window.js';
import type { BudgetPeriod } from '../domain/resources.js';

/** What a budget tracks: a queue (the service's), or as farmtally's extensions a fleet, a user or the whole farm. */
export type BudgetScope = { kind: 'queue'; id: string } | { kind: 'fleet'; id: string } | { kind: 'user'; id: string } | { kind: 'farm' };

const unknownMember = (union: unknown): [string, any] | undefined => (union as { $unknown?: [string, any] } | undefined)?.$unknown;

export function budgetScopeOf(resource: UsageTrackingResource | undefined): BudgetScope {
  if (resource?.queueId) return { kind: 'queue', id: resource.queueId };
  const [name, value] = unknownMember(resource) ?? [];
  if (name === 'fleetId') return { kind: 'fleet', id: String(value) };
  if (name === 'userId') return { kind: 'user', id: String(value) };
  if (name === 'farmId') return { kind: 'farm' };
  return { kind: 'queue', id: '' };
}

/** A budget's schedule as answered: its bounds (epoch ms; a recurring one may have no end) and, recurring, its period; none when the answer has neither member. */
export function budgetScheduleOf(schedule: BudgetSchedule | undefined): { start: number; end?: number; every?: BudgetPeriod } | undefined {
  const fixed = schedule?.fixed;
  if (fixed?.startTime && fixed.endTime) return { start: fixed.startTime.getTime(), end: fixed.endTime.getTime() };
  const [name, recurring] = unknownMember(schedule) ?? [];
  if (name !== 'recurring' || !recurring?.startTime) return undefined;
  return { start: Date.parse(recurring.startTime), ...(recurring.endTime && { end: Date.parse(recurring.endTime) }), every: recurring.period as BudgetPeriod };
}

/** The window the budget counts at `nowMs` ([start, end), epoch ms): its fixed one, or a recurring budget's current month or quarter; none when the answer has neither. */
export function budgetWindowOf(schedule: BudgetSchedule | undefined, nowMs: number): { start: number; end: number; every?: BudgetPeriod } | undefined {
  const bounds = budgetScheduleOf(schedule);
  if (!bounds?.every) return bounds && { start: bounds.start, end: bounds.end! };
  const window = budgetWindowAt({ startsAt: bounds.start, endsAt: bounds.end ?? NO_END, recurring: bounds.every }, nowMs);
  return { start: window.startsAt, end: window.endsAt, every: bounds.every };
}

/** One statistics request of a budget's cost: what to ask for, and (a user's budget) whose rows to keep. */
export interface BudgetCostRequest {
  resourceIds: { queueIds: string[] } | { fleetIds: string[] };
  groupBy: UsageGroupByField[];
  userId?: string;
}

/**
 * The statistics requests whose answers add up to a budget's cost: its queue or fleet, or its
 * farm's queues ten at a time (the API's most); a user's budget asks for the farm's queues by
 * USER_ID and keeps the user's rows.
 */
export function budgetCostRequests(scope: BudgetScope, farmQueueIds: readonly string[]): BudgetCostRequest[] {
  if (scope.kind === 'queue') return [{ resourceIds: { queueIds: [scope.id] }, groupBy: ['QUEUE_ID'] }];
  if (scope.kind === 'fleet') return [{ resourceIds: { fleetIds: [scope.id] }, groupBy: ['FLEET_ID'] }];
  return Array.from({ length: Math.ceil(farmQueueIds.length / MAX_AGGREGATION_RESOURCES) }, (_, i) => ({
    resourceIds: { queueIds: farmQueueIds.slice(i * MAX_AGGREGATION_RESOURCES, (i + 1) * MAX_AGGREGATION_RESOURCES) },
    ...(scope.kind === 'user' ? { groupBy: ['USER_ID' as const], userId: scope.id } : { groupBy: ['QUEUE_ID' as const] }),
  }));
}

/** A request's answer as each bucket's cost: its rows (the user's, for a user's budget). */
export function dayCostsOf(request: BudgetCostRequest, rows: readonly Statistics[]): { start: number; cost: number }[] {
  return rows
    .filter((row) => request.userId === undefined || row.userId === request.userId)
    .map((row) => ({ start: row.aggregationStartTime!.getTime(), cost: row.costInUsd?.sum ?? 0 }));
}

/** One StartSessionsStatisticsAggregation input of a budget's days. */
export interface BudgetDaysInput {
  farmId: string;
  resourceIds: BudgetCostRequest['resourceIds'];
  startTime: Date;
  endTime: Date;
  timezone: 'UTC+00:00';
  period: 'DAILY';
  groupBy: UsageGroupByField[];
  statistics: ['SUM'];
}

/**
 * What the budget tracks spent each day of [start, until) (UTC days, as its usage is counted,
 * written `UTC+00:00`, which a --strict server takes too): one aggregation per request
 * (budgetCostRequests), each run to its rows by `aggregate` (the page's runner or the CLI's),
 * added up by day; none when the window has not begun.
 */
export async function budgetDayCosts(
  aggregate: (input: BudgetDaysInput) => Promise<readonly Statistics[]>,
  farmId: string, scope: BudgetScope, farmQueueIds: readonly string[], start: Date, until: Date,
): Promise<{ start: number; cost: number }[]> {
  if (until <= start) return [];
  const answers = [];
  for (const request of budgetCostRequests(scope, farmQueueIds)) {
    const rows = await aggregate({
      farmId, resourceIds: request.resourceIds, startTime: start, endTime: until, timezone: 'UTC+00:00', period: 'DAILY', groupBy: request.groupBy, statistics: ['SUM'],
    });
    answers.push(dayCostsOf(request, rows));
  }
  return addUpDays(answers);
}

/** Days' costs from several answers, added up by day, in day order. */
export function addUpDays(answers: readonly { start: number; cost: number }[][]): { start: number; cost: number }[] {
  const byDay = new Map<number, number>();
  for (const days of answers) for (const d of days) byDay.set(d.start, (byDay.get(d.start) ?? 0) + d.cost);
  return [...byDay].sort(([a], [b]) => a - b).map(([start, cost]) => ({ start, cost }));
}
