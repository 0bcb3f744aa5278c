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

export interface AggregationStore {
  insertAggregation(record: Omit<AggregationRecord, 'status' | 'rowCount' | 'statusMessage'>): Promise<void>;
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
  /** At start-up: aggregations cut short by a stop are FAILED with this message. */
  failInterruptedAggregations(message: string): Promise<number>;
  deleteExpiredAggregations(nowMs: number): Promise<number>;
}
