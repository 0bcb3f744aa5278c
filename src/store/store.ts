// What the operations need from storage, and nothing about how it is kept. DuckDB
// (store/duckdb) is the one engine today; another (ClickHouse) implements the same interface.
import type { Farm, Fleet, Job, Queue, Session, SessionRecord } from '../domain/resources.js';

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

export interface ResourceStore {
  createFarm(farm: Farm): Promise<void>;
  getFarm(farmId: string): Promise<Farm | undefined>;
  listFarms(page: PageRequest): Promise<Page<Farm>>;
  /** Replaces the farm's row; the caller has read and merged it. */
  putFarm(farm: Farm): Promise<void>;
  /** Deletes the farm with its queues and fleets, unless any session names it. */
  deleteFarm(farmId: string): Promise<DeleteOutcome>;

  createQueue(queue: Queue): Promise<void>;
  getQueue(farmId: string, queueId: string): Promise<QueueWithStatus | undefined>;
  /** Queues of a farm in creation order, filtered by the store (never after paging). */
  listQueues(farmId: string, page: PageRequest, filter?: QueueFilter): Promise<Page<QueueWithStatus>>;
  deleteQueue(farmId: string, queueId: string): Promise<DeleteOutcome>;

  createFleet(fleet: Fleet): Promise<void>;
  getFleet(farmId: string, fleetId: string): Promise<FleetWithStatus | undefined>;
  /** Fleets of a farm in creation order, filtered by the store (never after paging). */
  listFleets(farmId: string, page: PageRequest, filter?: FleetFilter): Promise<Page<FleetWithStatus>>;
  deleteFleet(farmId: string, fleetId: string): Promise<DeleteOutcome>;

  getJob(farmId: string, queueId: string, jobId: string): Promise<Job | undefined>;
  /** Jobs of a queue in creation order. */
  listJobs(farmId: string, queueId: string, page: PageRequest): Promise<Page<Job>>;
  getSession(farmId: string, queueId: string, jobId: string, sessionId: string): Promise<Session | undefined>;
  /** Sessions of a job by start time (then ID). */
  listSessions(farmId: string, queueId: string, jobId: string, page: PageRequest): Promise<Page<Session>>;
}

/**
 * Idempotent creates: a client token remembered per scope (operation and parent) with the
 * ID it produced and a fingerprint of the request, so a retry gets the same ID back.
 */
export interface ClientTokenStore {
  findClientToken(scope: string, token: string): Promise<{ resourceId: string; fingerprint: string } | undefined>;
  rememberClientToken(scope: string, token: string, resourceId: string, fingerprint: string): Promise<void>;
}

export interface IngestCounts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

export interface SessionStore {
  /**
   * Writes a validated batch in one transaction: new sessions are created, changed ones
   * updated (keyed by farm and sessionId; the last of duplicates in a batch wins), and the
   * jobs they name created or refreshed. All or nothing.
   */
  ingestSessions(farmId: string, records: SessionRecord[], nowMs: number): Promise<IngestCounts>;
}

export interface Store extends ResourceStore, ClientTokenStore, SessionStore {
  /** Persistent server secret (for page tokens), created on first use. */
  serverSecret(): Promise<Buffer>;
  close(): Promise<void>;
}
