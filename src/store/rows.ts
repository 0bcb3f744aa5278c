// Stored rows as the store's values, for every engine that keeps these tables: the engines
// name their columns alike (snake case of the members), so one mapper serves them all and
// a column read differently by two engines cannot creep in.
import type { GroupByField, Statistic } from '../domain/aggregation-rules.js';
import type { BudgetThresholdEvent } from '../domain/budget-events.js';
import type { Budget, BudgetPeriod, BudgetStatus, Farm, FleetKind, Job } from '../domain/resources.js';
import type { AggregationRecord, AggregationStatus } from './aggregation-store.js';
import type { FleetStatus, FleetWithStatus, PendingBudgetEvent, QueueStatus, QueueWithStatus } from './store.js';

export type Row = Record<string, unknown>;

/** A nullable column as an optional member. */
export const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

function audit(r: Row) {
  return {
    createdAt: r.created_at as number,
    createdBy: r.created_by as string,
    updatedAt: opt<number>(r.updated_at),
    updatedBy: opt<string>(r.updated_by),
  };
}

export const toFarm = (r: Row): Farm => ({
  farmId: r.farm_id as string,
  displayName: r.display_name as string,
  description: opt(r.description),
  kmsKeyArn: opt(r.kms_key_arn),
  costScaleFactor: r.cost_scale_factor as number,
  tags: r.tags ? JSON.parse(r.tags as string) : undefined,
  ...(r.queue_stopped_at != null && { queueStoppedAt: Number(r.queue_stopped_at) }),
  ...audit(r),
});

export const toQueue = (r: Row): QueueWithStatus => ({
  farmId: r.farm_id as string,
  queueId: r.queue_id as string,
  displayName: r.display_name as string,
  description: opt(r.description),
  details: JSON.parse(r.details as string),
  status: r.status as QueueStatus,
  ...audit(r),
});

export const toFleet = (r: Row): FleetWithStatus => ({
  farmId: r.farm_id as string,
  fleetId: r.fleet_id as string,
  displayName: r.display_name as string,
  description: opt(r.description),
  kind: r.kind as FleetKind,
  details: JSON.parse(r.details as string),
  status: r.status as FleetStatus,
  ...audit(r),
});

export const toBudget = (r: Row): Budget => ({
  farmId: r.farm_id as string,
  budgetId: r.budget_id as string,
  displayName: r.display_name as string,
  description: opt(r.description),
  ...(r.queue_id != null && { queueId: r.queue_id as string }),
  ...(r.fleet_id != null && { fleetId: r.fleet_id as string }),
  ...(r.user_id != null && { userId: r.user_id as string }),
  ...(r.recurring != null && { recurring: r.recurring as BudgetPeriod }),
  approximateDollarLimit: r.approximate_dollar_limit as number,
  actions: JSON.parse(r.actions as string),
  startsAt: Number(r.starts_at),
  endsAt: Number(r.ends_at),
  status: r.status as BudgetStatus,
  tags: r.tags ? JSON.parse(r.tags as string) : undefined,
  ...(r.queue_stopped_at != null && { queueStoppedAt: Number(r.queue_stopped_at) }),
  ...audit(r),
});

/** A budget's columns in the order both engines' budgets tables declare them. */
export const budgetValues = (b: Budget): unknown[] => [
  b.farmId, b.budgetId, b.displayName, b.description ?? null, b.queueId ?? null, b.approximateDollarLimit, JSON.stringify(b.actions),
  b.startsAt, b.endsAt, b.status, b.tags ? JSON.stringify(b.tags) : null, b.createdAt, b.createdBy, b.updatedAt ?? null, b.updatedBy ?? null, b.queueStoppedAt ?? null,
  b.fleetId ?? null, b.recurring ?? null, b.userId ?? null,
];

/**
 * The budgets with `read_status`, what a caller reads at `nowMs` (domain budgetStatusAt in
 * SQL), for the list filter to run in the query. `nowMs` is an integer the server made.
 */
export const budgetsReadAt = (nowMs: number): string => {
  const now = Math.trunc(nowMs);
  return `(SELECT *, CASE WHEN status = 'ACTIVE' AND starts_at <= ${now} AND ${now} < ends_at THEN 'ACTIVE' ELSE 'INACTIVE' END AS read_status FROM budgets) AS budgets`;
};

export const toJob = (r: Row): Job => ({
  farmId: r.farm_id as string,
  queueId: r.queue_id as string,
  jobId: r.job_id as string,
  name: r.name as string,
  userId: r.user_id as string,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
  startedAt: r.started_at as number,
  endedAt: opt(r.ended_at),
});

export const toAggregationRecord = (r: Row): AggregationRecord => ({
  aggregationId: r.aggregation_id as string,
  farmId: r.farm_id as string,
  status: r.status as AggregationStatus,
  statusMessage: opt(r.status_message),
  groupBy: r.group_by as GroupByField[],
  statistics: r.statistics as Statistic[],
  createdAt: r.created_at as number,
  expiresAt: r.expires_at as number,
  rowCount: r.row_count as number,
});

/**
 * The outbox's rows (budget_events): the event is kept whole as JSON text (it is what is
 * sent, and a later member needs no new column), beside its ID and delivery bookkeeping.
 */
export const budgetEventValues = (e: BudgetThresholdEvent, recordedAt: number): unknown[] => [e.eventId, JSON.stringify(e), recordedAt];

export const toPendingBudgetEvent = (r: Row): PendingBudgetEvent => ({
  event: JSON.parse(r.event as string) as BudgetThresholdEvent,
  attempts: Number(r.attempts),
  nextAttemptAt: Number(r.next_attempt_at),
});
