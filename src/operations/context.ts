// What every operation handler gets: the store, the server's settings and its clock.
import type { RateCard } from '../domain/pricing.js';
import type { Store } from '../store/store.js';
import type { BudgetTracker } from './budgets/budget-tracker.js';
import type { BudgetNotifications } from './budgets/notifications.js';
import type { PageTokens } from './page-tokens.js';
import type { BatchSlots } from './sessions/batch-slots.js';
import type { AggregationRunner } from './statistics/aggregation-runner.js';

export interface ServerSettings {
  /** Reject exactly what the real service rejects (no extensions). */
  strict: boolean;
  rateCard: RateCard;
  /** How long aggregation results stay readable after Start. */
  aggregationTtlMs: number;
  /** An aggregation with more rows than this ends FAILED. */
  maxResultRows: number;
  /** An aggregation running longer than this ends TIMEOUT. */
  aggregationTimeoutMs: number;
  /**
   * Whether NDJSON ingest tries the store's bulk load first (the fast path); off, every
   * batch is read record by record as it streams in. `FARMTALLY_INGEST_FAST_PATH=off`.
   */
  bulkIngest: boolean;
  /** The most records one ingest request may hold (--max-batch-records); past it the batch is refused at once. */
  maxBatchRecords: number;
  /** An ingest body up to this many bytes is read into memory whole and written by group commit, without a batch slot (--group-commit-bytes; 0: never). */
  groupCommitBytes: number;
}

/** The farms a caller may see: every farm, or these. */
export type FarmGrant = '*' | ReadonlySet<string>;

export interface OperationContext {
  store: Store;
  settings: ServerSettings;
  tokens: PageTokens;
  aggregations: AggregationRunner;
  /** Budgets' usage kept current, and their thresholds acted on (budgets/budget-tracker.ts). */
  budgets: BudgetTracker;
  /** Where a budget's threshold crossing goes: recorded in the outbox, logged, and sent to the webhook (if any) in the background. */
  notifications: BudgetNotifications;
  /** Ingest's shared capacity (sessions/batch-slots.ts): places for bodies arriving, and slots for large batches being staged. */
  ingestSlots: { uploads: BatchSlots; batches: BatchSlots };
  /**
   * Who the request's use of shared capacity counts against: its source address
   * (`address:…`), and its principal (`principal:…`) where callers are told apart.
   */
  clients: readonly string[];
  /** Who is calling: the principal's name, or `farmtally` in open mode. */
  caller: string;
  /** The farms the caller may see (ListFarms shows only these); `*` in open mode. */
  grantedFarms: FarmGrant;
  /** The request's ID, as its answer and log line carry it. */
  requestId: string;
  /** Where an operation tells how it went about a request, when the server traces (--trace-ingest). */
  trace?: (line: string) => void;
  /**
   * The server's log (one JSON line: `fields` beside the message), for what an operator must
   * be able to find afterwards: data deleted, a user given a pseudonym. Never secrets, nor
   * what was asked to be forgotten.
   */
  log(fields: Record<string, unknown>, message: string): void;
  now(): number;
}
