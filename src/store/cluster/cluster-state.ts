// What the cluster store needs from its shared state (PostgreSQL, store/postgres) for
// ingest and deletions, besides the resources, tokens and aggregation records it serves as
// they are: batches allocated, taken in turns per farm, and published in one transaction
// with their jobs and session counts (several at once for a group of small batches).
import type { Lease } from '../aggregation-store.js';
import type { IngestCounts, ResourceWithSessions } from '../store.js';
import type { NamedJob } from './batch-plan.js';

/**
 * What a read sees: versions written by batches up to `upTo` that are not in `excluded`
 * (batches not published when the snapshot was taken), minus those superseded by such a batch.
 */
export interface Snapshot {
  upTo: number;
  excluded: readonly number[];
}

/** A job whose span is worked out again from its sessions; no span when it has none left (it is deleted). */
export interface Respanned {
  jobId: string;
  span?: { startedAt: number; endedAt?: number };
}

/** One PostgreSQL transaction of a batch or a deletion. */
export interface StateTx {
  /** Takes the farm's turn (its row, FOR UPDATE) until the transaction ends. */
  lockFarm(farmId: string): Promise<void>;
  /** The snapshot as it stands now, within the transaction's turn. */
  snapshot(): Promise<Snapshot>;
  /** Those of the queues and fleets that do not exist in the farm; the others are held (FOR SHARE) until the transaction ends. */
  missingParents(farmId: string, queueIds: string[], fleetIds: string[]): Promise<{ queueIds: string[]; fleetIds: string[] }>;
  /** Creates or refreshes the named jobs (queue, name and user from their last record; spans extended) and sets or deletes the respanned ones. */
  writeJobs(farmId: string, nowMs: number, named: readonly NamedJob[], respanned: readonly Respanned[]): Promise<void>;
  /** Moves the per-queue and per-fleet session counts (`queue:ID` / `fleet:ID` → delta). */
  adjustSessionCounts(farmId: string, deltas: ReadonlyMap<string, number>): Promise<void>;
  /** Deletes the farm (with its queues, fleets and jobs), or the queue or fleet, whatever sessions name it (they are deleted in the same batch); answers whether it existed. */
  deleteResource(resource: ResourceWithSessions): Promise<boolean>;
  /** Replaces a user ID in the farm's stored aggregation results and its budgets on the user. */
  renameUserInResults(farmId: string, userId: string, pseudonym: string): Promise<void>;
  /** Publishes the batches, if each is still `writing` under an unexpired lease; answers whether all were (if not, nothing is committed). */
  publishBatches(batches: readonly { seq: number; counts: Omit<IngestCounts, 'received'> }[]): Promise<boolean>;
}

export interface ClusterState {
  /** Every farm's ID (retention goes through them one by one). */
  farmIds(): Promise<string[]>;
  /** `count` new batch numbers, committed as `writing` under the lease (every snapshot leaves them out until they are published). */
  openBatches(farmId: string, lease: Lease, count: number): Promise<number[]>;
  /** The batches will never be published. */
  abandonBatches(seqs: readonly number[]): Promise<void>;
  transaction<T>(work: (tx: StateTx) => Promise<T>): Promise<T>;
}
