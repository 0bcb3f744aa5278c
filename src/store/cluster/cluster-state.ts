// What the cluster store needs from its shared state (PostgreSQL, store/postgres) for
// ingest and deletions, besides the resources, tokens and aggregation records it serves as
// they are: batches allocated, taken in turns per farm, and published in one transaction
// with their jobs and session counts.
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
  /** Replaces a user ID in the farm's stored aggregation results. */
  renameUserInResults(farmId: string, userId: string, pseudonym: string): Promise<void>;
  /** Publishes the batch, if it is still `writing` under an unexpired lease; answers whether it did. */
  publishBatch(seq: number, counts: Omit<IngestCounts, 'received'>): Promise<boolean>;
}

export interface ClusterState {
  /** Every farm's ID (retention goes through them one by one). */
  farmIds(): Promise<string[]>;
  /** A new batch number, committed as `writing` under the lease (every snapshot leaves it out until it is published). */
  openBatch(farmId: string, lease: Lease): Promise<number>;
  /** The batch will never be published. */
  abandonBatch(seq: number): Promise<void>;
  transaction<T>(work: (tx: StateTx) => Promise<T>): Promise<T>;
}
