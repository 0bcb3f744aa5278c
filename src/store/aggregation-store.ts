// What the statistics operations need from storage: run one aggregation to completion in
// the engine, hand back its rows, keep them there, and page through them later.
import type { GroupByField, GroupValues, Statistic } from '../domain/aggregation-rules.js';
import type { MonthGrid, UniformGrid } from '../domain/buckets.js';
import type { RateCard } from '../domain/pricing.js';

export type AggregationStatus = 'IN_PROGRESS' | 'TIMEOUT' | 'FAILED' | 'COMPLETED';

/** Everything the engine needs, already validated and resolved by the operation. */
export interface AggregationQuery {
  farmId: string;
  resourceKind: 'queue' | 'fleet';
  resourceIds: string[];
  /** Bucket edges from the domain: first = startTime, last = endTime (half-open buckets). */
  boundaries: number[];
  /** The same buckets as arithmetic, where they all have one width (faster than a lookup). */
  grid?: UniformGrid;
  /** MONTHLY buckets of a fixed offset as arithmetic on local month numbers. */
  months?: MonthGrid;
  groupBy: GroupByField[];
  /** Running sessions count up to this instant (when Start was called). */
  asOfMs: number;
  costScaleFactor: number;
  rateCard: RateCard;
}

export interface AggregationLimits {
  maxRows: number;
  timeoutMs: number;
}

export interface AggregationRecord {
  aggregationId: string;
  farmId: string;
  status: AggregationStatus;
  statusMessage?: string;
  groupBy: GroupByField[];
  statistics: Statistic[];
  createdAt: number;
  expiresAt: number;
  rowCount: number;
}

export interface MinMaxSum {
  sum: number;
  min: number;
  max: number;
}

export interface AggregationRow extends GroupValues {
  bucketStart: number;
  bucketEnd: number;
  count: number;
  runtimeSeconds: MinMaxSum;
  costUsd: MinMaxSum;
}

/** How a run ended, as soon as getAggregation answers it. */
export interface AggregationOutcome {
  record: AggregationRecord;
  /** A COMPLETED result's rows in page order (readAggregationRows answers the same); none otherwise. */
  rows: AggregationRow[];
  /**
   * Settles (never rejects) once the outcome is in the data file. Until then a restart
   * finds the aggregation cut short (FAILED, "Start it again"); should storing fail, the
   * record turns FAILED saying so.
   */
  stored: Promise<void>;
}

/**
 * A claim that lasts while its owner renews it (`renewLeases`): a server's heartbeat. The
 * store times it on its own clock (one clock for every server sharing it), so a server that
 * stops or is cut off loses its claims `ttlMs` after its last renewal.
 */
export interface Lease {
  /** The server holding it: an ID of its own, new each time it starts. */
  owner: string;
  ttlMs: number;
}

/** A claim on the farm's one slot: taken, or refused because of what holds it (an aggregation's ID, or a farm-wide write said in words). */
export type FarmSlotClaim = { claimed: true } | { heldBy: string };

export type NewAggregation = Omit<AggregationRecord, 'status' | 'rowCount' | 'statusMessage'>;

/** The bound on rows of a budget's cost query (Store.budgetBasis sums them): far above what a budget's one bucket and one queue make. */
export const COST_SUM_MAX_ROWS = 1_000_000;

export interface AggregationStore {
  /**
   * Atomically, for every server sharing the store: when no unexpired lease holds the
   * farm's one slot, takes it for this aggregation under `lease` and inserts its record
   * IN_PROGRESS under the same lease; otherwise inserts nothing and answers what holds the
   * slot. A slot whose lease expired is taken over.
   */
  startAggregation(record: NewAggregation, lease: Lease): Promise<FarmSlotClaim>;
  /** Takes the farm's slot for a farm-wide write (`holder` says what it is), as startAggregation does but with no record. */
  claimFarmSlot(farmId: string, holder: string, lease: Lease): Promise<FarmSlotClaim>;
  /** Frees the farm's slot if `holder` still holds it (an aggregation's outcome is known, or the write is done). */
  releaseFarmSlot(farmId: string, holder: string): Promise<void>;
  /** Extends every lease `owner` holds (farm slots, aggregations still IN_PROGRESS) to `ttlMs` from now. */
  renewLeases(owner: string, ttlMs: number): Promise<void>;
  /**
   * Runs the query on its own connection to its final status (COMPLETED, FAILED past
   * `maxRows`, TIMEOUT past `timeoutMs`), which getAggregation answers from then on, with
   * the rows; the rows and status are stored after (`stored`), off the caller's path.
   */
  runAggregation(aggregationId: string, query: AggregationQuery, limits: AggregationLimits): Promise<AggregationOutcome>;
  /** Ends an aggregation FAILED (its work threw), with a message for the caller. */
  failAggregation(aggregationId: string, message: string): Promise<void>;
  getAggregation(aggregationId: string): Promise<AggregationRecord | undefined>;
  readAggregationRows(aggregationId: string, offset: number, limit: number): Promise<AggregationRow[]>;
  /**
   * Aggregations still IN_PROGRESS whose lease expired (their server stopped, or was cut off
   * past its lease) end FAILED with this message; those of live owners, this server's or
   * another's, are left alone. At start-up and then now and again, on every server.
   */
  failExpiredAggregations(message: string): Promise<number>;
  deleteExpiredAggregations(nowMs: number): Promise<number>;
}
