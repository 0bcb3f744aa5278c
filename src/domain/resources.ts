// The resources farmtally keeps, as plain values. Times are epoch milliseconds (UTC).
// Members the model has but farmtally only stores and returns (queue job attachment
// settings, fleet configuration, ...) travel as `details`, an opaque JSON object.

export type Json = Record<string, unknown>;

export interface Audit {
  createdAt: number;
  createdBy: string;
  updatedAt?: number;
  updatedBy?: string;
}

export interface Farm extends Audit {
  farmId: string;
  displayName: string;
  description?: string;
  kmsKeyArn?: string;
  costScaleFactor: number;
  tags?: Record<string, string>;
}

export interface Queue extends Audit {
  farmId: string;
  queueId: string;
  displayName: string;
  description?: string;
  /** Every other member of CreateQueue's input, returned as given. */
  details: Json;
}

export type BudgetStatus = 'ACTIVE' | 'INACTIVE';
export type BudgetPeriod = 'MONTHLY' | 'QUARTERLY';
export type BudgetActionType = 'STOP_SCHEDULING_AND_COMPLETE_TASKS' | 'STOP_SCHEDULING_AND_CANCEL_TASKS';

export interface BudgetAction {
  type: BudgetActionType;
  thresholdPercentage: number;
  description?: string;
}

/**
 * A budget on one queue's usage over a fixed window [startsAt, endsAt) (the model's); as
 * extensions (off with --strict) on one fleet's (`fleetId`), one user's over every queue of
 * the farm (`userId`), or the whole farm's (none of the three): budgetScope says which. `status` is the one
 * set by CreateBudget (ACTIVE) or UpdateBudget; what a caller reads is budgetStatusAt's.
 * farmtally keeps budgets and reports their usage; it schedules nothing, so no action runs.
 */
export interface Budget extends Audit {
  farmId: string;
  budgetId: string;
  displayName: string;
  description?: string;
  /** The queue tracked (the model's usageTrackingResource.queueId); absent for a fleet or farm budget. */
  queueId?: string;
  /** The fleet tracked (an extension); absent for a queue or farm budget. */
  fleetId?: string;
  /** The user tracked, the sessions' userId (an extension); absent for a queue, fleet or farm budget. */
  userId?: string;
  approximateDollarLimit: number;
  actions: BudgetAction[];
  /**
   * A recurring window (an extension): the budget's window is then the calendar month or
   * quarter (UTC) containing the time read, clipped to [startsAt, endsAt) (budgetWindowAt).
   */
  recurring?: BudgetPeriod;
  startsAt: number;
  endsAt: number;
  status: BudgetStatus;
  tags?: Record<string, string>;
  /**
   * When usage first reached a STOP_SCHEDULING action's threshold in this window (set by the
   * budget tracker, cleared when the budget changes so that usage is below every threshold):
   * while set and the budget reads ACTIVE, its queue reads SCHEDULING_BLOCKED with
   * BUDGET_THRESHOLD_REACHED.
   */
  queueStoppedAt?: number;
}

/** What a budget tracks: its queue's sessions, its fleet's, its user's, or (none set) every session of its farm. */
export type BudgetScope = { kind: 'queue'; queueId: string } | { kind: 'fleet'; fleetId: string } | { kind: 'user'; userId: string } | { kind: 'farm' };

export function budgetScope(b: Pick<Budget, 'queueId' | 'fleetId' | 'userId'>): BudgetScope {
  if (b.queueId !== undefined) return { kind: 'queue', queueId: b.queueId };
  if (b.fleetId !== undefined) return { kind: 'fleet', fleetId: b.fleetId };
  if (b.userId !== undefined) return { kind: 'user', userId: b.userId };
  return { kind: 'farm' };
}

/** Whether a session of the budget's farm counts toward the budget. */
export function budgetTracksSession(scope: BudgetScope, session: { queueId: string; fleetId: string; userId: string }): boolean {
  if (scope.kind === 'queue') return session.queueId === scope.queueId;
  if (scope.kind === 'fleet') return session.fleetId === scope.fleetId;
  if (scope.kind === 'user') return session.userId === scope.userId;
  return true;
}

/** A budget reads ACTIVE only while set ACTIVE and inside its window; before or after it, INACTIVE. */
export function budgetStatusAt(b: Pick<Budget, 'status' | 'startsAt' | 'endsAt'>, nowMs: number): BudgetStatus {
  return b.status === 'ACTIVE' && b.startsAt <= nowMs && nowMs < b.endsAt ? 'ACTIVE' : 'INACTIVE';
}

export type FleetKind = 'customerManaged' | 'serviceManagedEc2';

export interface Fleet extends Audit {
  farmId: string;
  fleetId: string;
  displayName: string;
  description?: string;
  kind: FleetKind;
  /** roleArn, min/maxWorkerCount, configuration, hostConfiguration, tags: as given. */
  details: Json;
}

/** Jobs are learned from session records: their name and user come from the newest record. */
export interface Job {
  farmId: string;
  queueId: string;
  jobId: string;
  name: string;
  userId: string;
  createdAt: number;
  updatedAt: number;
  startedAt: number;
  /** Set once every session of the job has ended: the latest end. */
  endedAt?: number;
}

/** One session record as ingested (SPEC section 4). */
export interface SessionRecord {
  sessionId: string;
  queueId: string;
  jobId: string;
  jobName: string;
  userId: string;
  fleetId: string;
  workerId: string;
  instanceType?: string;
  startedAt: number;
  endedAt?: number;
  licenseProducts?: string[];
}

export interface Session extends SessionRecord {
  farmId: string;
  updatedAt: number;
}

export function newId(prefix: string): string {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  return prefix ? `${prefix}-${hex}` : hex;
}
