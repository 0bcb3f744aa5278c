// What every operation handler gets: the store, the server's settings and its clock.
import type { RateCard } from '../domain/pricing.js';
import type { Store } from '../store/store.js';
import type { PageTokens } from './page-tokens.js';
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
}

/** The farms a caller may see: every farm, or these. */
export type FarmGrant = '*' | ReadonlySet<string>;

export interface OperationContext {
  store: Store;
  settings: ServerSettings;
  tokens: PageTokens;
  aggregations: AggregationRunner;
  /** Who is calling: the principal's name, or `farmtally` in open mode. */
  caller: string;
  /** The farms the caller may see (ListFarms shows only these); `*` in open mode. */
  grantedFarms: FarmGrant;
  now(): number;
}
