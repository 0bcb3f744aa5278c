// What the operations need from storage, and nothing about how it is kept. DuckDB
// (store/duckdb) is the one engine today; another engine implements this same interface and
// passes the same contract suite (test/store-contract/).
import type { AggregationStore } from './aggregation-store.js';
import type { BudgetThresholdEvent } from '../domain/budget-events.js';
import type { IngestAnswer, IngestCounts } from '../domain/ingest-protocol.js';
import type { BudgetUsageStore } from './budget-usage-store.js';
import type { Budget, BudgetStatus, Farm, Fleet, Job, Queue, Session, SessionRecord } from '../domain/resources.js';

export type { IngestAnswer, IngestCounts };

/** A written batch's counts and the ID it was written under (sessions it created or changed carry it). */
export type BatchWritten = Omit<IngestAnswer, 'received'>;

/** Keyset paging: `after` is the store's own sort key of the last item already returned. */
export interface PageRequest {
  limit: number;
  after?: string;
}
export interface Page<T> {
  items: T[];
  /** Sort key of the last item, when more items may follow. */
  nextAfter?: string;
}

export type DeleteOutcome = 'deleted' | 'not-found' | 'has-sessions';

export type QueueStatus = 'IDLE' | 'SCHEDULING' | 'SCHEDULING_BLOCKED';
export type FleetStatus = 'ACTIVE' | 'CREATE_IN_PROGRESS' | 'UPDATE_IN_PROGRESS' | 'CREATE_FAILED' | 'UPDATE_FAILED' | 'SUSPENDED';

/**
 * Queues and fleets as the store reports them: with the status a scheduler would keep.
 * farmtally schedules nothing and creates fleets at once, so today every queue is IDLE and
 * every fleet ACTIVE; the store owns that rule so the list filters on status run in its queries.
 * A queue's budget state (SCHEDULING_BLOCKED) is laid over it by GetQueue and ListQueues
 * (domain queueBudgetBlock), which filter ListQueues' status themselves.
 */
export type QueueWithStatus = Queue & { status: QueueStatus };
export type FleetWithStatus = Fleet & { status: FleetStatus };

/** ListQueues' filter; an absent member does not filter. */
export interface QueueFilter {
  status?: QueueStatus;
}
/** ListFleets' filters: displayName matches whole (case-sensitive). */
export interface FleetFilter {
  displayName?: string;
  status?: FleetStatus;
}

/**
 * ListBudgets' filter: `status` is the status as read at `nowMs` (domain budgetStatusAt),
 * so a budget whose window has ended is listed as INACTIVE, whatever was set.
 */
export interface BudgetFilter {
  status?: BudgetStatus;
  nowMs: number;
}

export interface ResourceStore {
  createFarm(farm: Farm): Promise<void>;
  getFarm(farmId: string): Promise<Farm | undefined>;
  listFarms(page: PageRequest): Promise<Page<Farm>>;
  /** Replaces the farm's row; the caller has read and merged it. */
  putFarm(farm: Farm): Promise<void>;
  /** Deletes the farm with its queues, fleets and budgets, unless any session names it. */
  deleteFarm(farmId: string): Promise<DeleteOutcome>;

  createQueue(queue: Queue): Promise<void>;
  getQueue(farmId: string, queueId: string): Promise<QueueWithStatus | undefined>;
  /** Queues of a farm in creation order, filtered by the store (never after paging). */
  listQueues(farmId: string, page: PageRequest, filter?: QueueFilter): Promise<Page<QueueWithStatus>>;
  /** Replaces the queue's name, description, details and update (the caller has read and merged it); false when it is gone. */
  putQueue(queue: Queue): Promise<boolean>;
  /** Deletes the queue with the budgets that track it, unless any session names it. */
  deleteQueue(farmId: string, queueId: string): Promise<DeleteOutcome>;

  createFleet(fleet: Fleet): Promise<void>;
  getFleet(farmId: string, fleetId: string): Promise<FleetWithStatus | undefined>;
  /** Fleets of a farm in creation order, filtered by the store (never after paging). */
  listFleets(farmId: string, page: PageRequest, filter?: FleetFilter): Promise<Page<FleetWithStatus>>;
  /** Deletes the fleet with the budgets that track it, unless any session names it. */
  deleteFleet(farmId: string, fleetId: string): Promise<DeleteOutcome>;

  /** Inserts the budget unless its queue or fleet is not (or no longer) in the farm: then writes nothing. */
  createBudget(budget: Budget): Promise<'created' | 'no-queue' | 'no-fleet'>;
  getBudget(farmId: string, budgetId: string): Promise<Budget | undefined>;
  /** Budgets of a farm in creation order, filtered by the store (never after paging). */
  listBudgets(farmId: string, page: PageRequest, filter: BudgetFilter): Promise<Page<Budget>>;
  /** Replaces the budget's row (the caller has read and merged it); false when it is gone. */
  putBudget(budget: Budget): Promise<boolean>;
  /** Every budget of the farm that tracks one of `queueIds`, in creation order (a queue's budget state, one query for a page of queues). */
  budgetsOfQueues(farmId: string, queueIds: readonly string[]): Promise<Budget[]>;
  deleteBudget(farmId: string, budgetId: string): Promise<'deleted' | 'not-found'>;

  getJob(farmId: string, queueId: string, jobId: string): Promise<Job | undefined>;
  /** Jobs of a queue in creation order. */
  listJobs(farmId: string, queueId: string, page: PageRequest): Promise<Page<Job>>;
  getSession(farmId: string, queueId: string, jobId: string, sessionId: string): Promise<Session | undefined>;
  /** Sessions of a job by start time (then ID). */
  listSessions(farmId: string, queueId: string, jobId: string, page: PageRequest): Promise<Page<Session>>;
  /**
   * The farm's running sessions (no endedAt) of the queues or fleets named, earliest started
   * first (then by ID), at most `limit` of them; `truncated` when more run (an extension:
   * ListRunningSessions).
   */
  listRunningSessions(farmId: string, kind: 'queue' | 'fleet', resourceIds: readonly string[], limit: number): Promise<RunningSessions>;
}

/** A farm's running sessions, as many as asked for, and whether more run. */
export interface RunningSessions {
  sessions: Session[];
  truncated: boolean;
}

/**
 * Idempotent creates: a client token remembered per scope (operation and parent) with the
 * ID it produced and a fingerprint of the request, so a retry gets the same ID back.
 */
export interface ClientTokenStore {
  findClientToken(scope: string, token: string): Promise<{ resourceId: string; fingerprint: string } | undefined>;
  rememberClientToken(scope: string, token: string, resourceId: string, fingerprint: string): Promise<void>;
}


/** A string member's constraints: length in code points, and a pattern matched whole. */
export interface StringRule {
  min?: number;
  max?: number;
  pattern?: string;
}

/** One record member's constraints, as a bulk load checks them. */
export type MemberRule = { required: boolean } & (
  | ({ type: 'string' } & StringRule)
  /** An ISO 8601 date-time (domain/iso-time), staged as epoch milliseconds. */
  | { type: 'timestamp' }
  /** A list of strings taken as a set (domain/session-record licenseProductSet): repeats dropped, order ignored, empty is none. */
  | { type: 'string-set'; min?: number; max?: number; item: StringRule }
);

/**
 * What a session record must satisfy, as data: the operations layer derives it from the
 * record's declared shape (the one source of these constraints) and the farm, and an engine
 * that checks a whole batch itself (`loadNdjson`) turns it into its own checks.
 */
export interface SessionRecordRules {
  /** Every member a record may carry, by its wire name; other members are ignored. */
  members: Record<string, MemberRule>;
  /** [later, earlier] timestamp members: `later`, when set, is not before `earlier`. */
  notBefore: [later: string, earlier: string][];
  /** Members whose value must be one of these (the farm's queues and fleets when the batch began). */
  oneOf: Record<string, readonly string[]>;
  /** Epoch ms every timestamp member, when set, lies within (both ends included). */
  timeRange: { from: number; to: number };
  /** The most bytes one line may take; a longer one is the careful path's to word. */
  maxLineBytes: number;
}

/**
 * How a bulk load went: every record staged, or nothing staged and why the careful path
 * must read the body (again, from the received body).
 */
export type BulkLoad = { staged: number } | { careful: string };

/**
 * A large batch's body, received whole before the batch takes any of the engine's
 * capacity (a slow upload must not hold a batch slot or a connection while it trickles
 * in). Held by the store (on disk, for DuckDB) until released.
 */
export interface ReceivedBody {
  /** Its size in bytes. */
  readonly bytes: number;
  /** The bytes again, from the first (as often as asked). */
  chunks(): AsyncIterable<Buffer>;
  /** Drops the bytes; afterwards `chunks` may not be called. */
  release(): Promise<void>;
}

/**
 * One batch of session records on its way in. Records are staged apart from the sessions
 * table (readers never see them) while the body streams in, so memory stays bounded; only
 * `commit` writes, in one transaction, so a batch is all or nothing.
 */
export interface StagedSessions {
  /** Adds validated records, in the order the batch lists them. */
  append(records: readonly SessionRecord[]): Promise<void>;
  /**
   * The fast path: stages a whole NDJSON body, received by this store's `receiveBody`, in
   * one go, but only when the engine can show that the record-by-record path would accept
   * every record and stage exactly the same values. Anything it finds wrong, or cannot
   * judge, stages nothing and answers `careful`: the caller then reads the body again
   * record by record for the exact answer. Only on a batch with nothing staged yet. An
   * engine without a bulk reader leaves it out, and every batch takes the careful path.
   */
  loadNdjson?(body: ReceivedBody, rules: SessionRecordRules): Promise<BulkLoad>;
  /**
   * Writes everything staged in one transaction: sessions are keyed by farm and sessionId,
   * the last of duplicates in the batch wins, and a record equal to the stored session
   * leaves it untouched (`unchanged`). The jobs that changed sessions name are created or
   * refreshed. Throws MissingParentsError, writing nothing, when a queue or fleet the
   * records name no longer exists (deleted while the batch streamed in). The staging area
   * is released either way. Answers the counts and the batch's ID, which the sessions it
   * created or changed carry from then on (until another batch changes them).
   */
  commit(nowMs: number): Promise<BatchWritten>;
  /** Releases the staging area without writing anything. */
  discard(): Promise<void>;
}

export class MissingParentsError extends Error {
  constructor(
    readonly queueIds: string[],
    readonly fleetIds: string[],
  ) {
    super(`session records name queues or fleets that do not exist: ${[...queueIds, ...fleetIds].join(', ')}`);
  }
}

/** The writer has this many records waiting already: the batch is not taken (the client should send it again shortly). */
export class WriterBusyError extends Error {
  constructor(readonly waitingRecords: number) {
    super(`the session writer has ${waitingRecords} records waiting`);
  }
}

export interface SessionStore {
  /** The IDs of the farm's queues and fleets: the parents a session record may name. */
  sessionParentIds(farmId: string): Promise<{ queueIds: string[]; fleetIds: string[] }>;
  /**
   * Takes in a large batch's body as it arrives (an error the bytes throw is thrown as it
   * is, and nothing is kept), using none of the engine's capacity: a full disk is a
   * StorageFault (`no-space`).
   */
  receiveBody(body: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<ReceivedBody>;
  /** Opens a staging area for one batch of the farm's session records (a large batch). */
  stageSessions(farmId: string): Promise<StagedSessions>;
  /**
   * Writes one small batch of validated records, held in memory, with the same meaning as
   * staging and committing them: all or nothing, keyed by farm and sessionId, the last of
   * duplicates wins, counts against what is stored. The engine may commit it together with
   * other batches waiting at the same time (group commit), but each batch's counts are what
   * it gets in arrival order, one batch's failure never fails another's, and it resolves only
   * once durable. Throws MissingParentsError, writing nothing of it, when a queue or fleet it
   * names no longer exists, and WriterBusyError, taking nothing, when too much is waiting.
   */
  writeSessions(farmId: string, records: readonly SessionRecord[], nowMs: number): Promise<BatchWritten>;
  /**
   * Every session of the farm, a page at a time, as getSession answers them (`farmtally
   * copy` reads a store whole this way). The order is the store's own and stays put while
   * the farm is written: a session changed between two pages keeps its place, so none is
   * skipped. `after` is the store's key of the last session returned, opaque to the caller.
   */
  exportSessions(farmId: string, page: PageRequest): Promise<Page<Session>>;
}

/**
 * Which of a farm's sessions a deletion names: those the batch last wrote (its answer's
 * batchId), those of a queue, or those that started in [startedFrom, startedBefore) (epoch ms).
 */
export type SessionSelection = { batchId: string } | { queueId: string } | { startedFrom: number; startedBefore: number };

/** What a deletion removed: sessions, and the jobs they left with no session. */
export interface DeletedSessions {
  sessions: number;
  jobs: number;
}

/** A farm, or one of its queues or fleets, that a deletion with its sessions names. */
export type ResourceWithSessions = { kind: 'farm'; farmId: string } | { kind: 'queue' | 'fleet'; farmId: string; id: string };

/**
 * Deleting and rewriting stored sessions (extensions; SPEC section 4). Each call is one
 * transaction, all or nothing, ordered with ingest (a batch answered before it is in what it
 * sees, one answered after it is not touched by it). Jobs left with no session are deleted;
 * the others' spans follow the sessions they keep. Aggregations started after it returns
 * never see what it removed.
 */
export interface DeletionStore {
  /** How many of the farm's sessions `selection` names now (a dry run). */
  countSessions(farmId: string, selection: SessionSelection): Promise<number>;
  deleteSessions(farmId: string, selection: SessionSelection): Promise<DeletedSessions>;
  /** Retention: every farm's sessions that ended before `endedBeforeMs` (running ones are kept). */
  deleteSessionsEndedBefore(endedBeforeMs: number): Promise<DeletedSessions>;
  /**
   * Deletes the farm (with its queues, fleets, budgets, jobs and sessions), or the queue (with
   * its budgets) or fleet with every session naming it; undefined when there is no such resource.
   */
  deleteWithSessions(resource: ResourceWithSessions): Promise<DeletedSessions | undefined>;
  /**
   * Replaces `userId` by `pseudonym` wherever the farm's data holds it (sessions, jobs, budgets
   * on the user, stored aggregation results); answers how many sessions named it. The caller keeps the farm's
   * aggregations from running meanwhile.
   */
  forgetUser(farmId: string, userId: string, pseudonym: string): Promise<{ sessions: number }>;
}

/** An event in the outbox not yet delivered, with its delivery's bookkeeping. */
export interface PendingBudgetEvent {
  event: BudgetThresholdEvent;
  /** Failed attempts so far. */
  attempts: number;
  /** Epoch ms before which it is not tried again (0: at once). */
  nextAttemptAt: number;
}

/**
 * The budget notifications' outbox (operations/budgets/notifications.ts): every threshold
 * event ever recorded, by its ID, kept once delivered so that the same crossing, seen again
 * or by another server sharing the store, is never recorded twice.
 */
export interface BudgetEventStore {
  /**
   * Records the events whose eventId the store has never held (repeats within `events` too:
   * the first wins) as undelivered and due at once; answers those, in the order given. Two
   * calls at once, on one server or two sharing the store, never both record one ID.
   */
  recordBudgetEvents(events: readonly BudgetThresholdEvent[]): Promise<BudgetThresholdEvent[]>;
  /** Undelivered events, at most `limit`, the soonest due first (due or not: the caller reads `nextAttemptAt`). */
  pendingBudgetEvents(limit: number): Promise<PendingBudgetEvent[]>;
  /**
   * Takes the event for one attempt, so that no other server sharing the store sends it
   * meanwhile: moves its next attempt from `dueAt` (as pendingBudgetEvents read it) to
   * `until`, only if it is still undelivered and still due at `dueAt` (nobody took or
   * deferred it since); answers whether it did. Moving it back (`until` to `dueAt`) gives it
   * up. A server that dies holding it leaves it due again at `until`.
   */
  claimBudgetEvent(eventId: string, dueAt: number, until: number): Promise<boolean>;
  /** The events were delivered: never pending again. Unknown IDs are ignored. */
  markBudgetEventsDelivered(eventIds: readonly string[]): Promise<void>;
  /** An attempt failed: one more attempt counted, and not due before `nextAttemptAt`. An unknown or delivered ID is ignored. */
  deferBudgetEvent(eventId: string, nextAttemptAt: number): Promise<void>;
}

/**
 * The storage itself failed, not the request: its disk is full (`no-space`; nothing was
 * written; also while the engine reopens its data after the disk filled under it), or the
 * engine is out of service until it has reopened its data for another reason
 * (`unavailable`). The message says what happened and what to do.
 */
export class StorageFault extends Error {
  constructor(
    readonly kind: 'no-space' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'StorageFault';
  }

  static noSpace(cause: string): StorageFault {
    return new StorageFault('no-space', `The server's disk is full, so nothing was written (${cause}). Free disk space where the server keeps its data, then send the request again.`);
  }

  static unavailable(cause: string): StorageFault {
    return new StorageFault(
      'unavailable',
      `The storage engine stopped after a fatal error (${cause}); farmtally is reopening its data file. If the disk is full, free space; then retry in a few seconds.`,
    );
  }
}

/**
 * A consistent copy of everything the store holds, taken while it serves: every write
 * committed before the copy began (every batch acknowledged), none in part. For DuckDB, a
 * data file that `serve --data` opens as it is. Held (on the server's disk) until released.
 */
export interface Backup {
  /** The copy's size in bytes. */
  readonly bytes: number;
  /** The file's name in a data folder, for the engine to find it there again (`farmtally.duckdb`). */
  readonly fileName: string;
  /** Sessions in the copy, counted in it: the receiver checks what it got against this. */
  readonly sessions: number;
  /** The copy's bytes, from the first. */
  chunks(): AsyncIterable<Buffer>;
  /** Drops the copy. */
  release(): Promise<void>;
}

/** Whether the engine can read and write now, and if not, why. */
export type StoreHealth = { ok: true } | { ok: false; problem: string };

export interface Store extends ResourceStore, ClientTokenStore, SessionStore, DeletionStore, AggregationStore, BudgetUsageStore, BudgetEventStore {
  /** Persistent server secret (for page tokens), created on first use. */
  serverSecret(): Promise<Buffer>;
  /**
   * Whether the engine can read and write, for a load balancer (GET /health): from what the
   * store knows (the engine's state, a recent write's failure for want of space) and a read
   * at most once a second. Never writes: anyone may call it, as often as they like.
   */
  health(): Promise<StoreHealth>;
  /**
   * Copies everything stored (a snapshot: ingest and aggregations go on meanwhile); one copy
   * at a time. A full disk is a StorageFault (`no-space`). An engine whose data lives in
   * other services (the cluster) leaves it out: they are backed up with their own tools.
   */
  backup?(): Promise<Backup>;
  close(): Promise<void>;
}
