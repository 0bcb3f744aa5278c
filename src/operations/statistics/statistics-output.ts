// A stored aggregation row as the API's `statistics` member carries it: the requested
// statistics only (AVG as sum over count), the bucket as timestamps. statisticsJson writes
// the same member straight as JSON, for rows made ready to serve (result-pages.ts).
import { statsObject, type Statistic } from '../../domain/aggregation-rules.js';
import type { AggregationRow } from '../../store/aggregation-store.js';

/** The member's fields in the wire's order, with the bucket's edges as the caller writes them (Dates, or ISO text). */
function statisticsMember<T>(row: AggregationRow, statistics: Statistic[], bucketStart: T, bucketEnd: T) {
  return {
    queueId: row.queueId,
    fleetId: row.fleetId,
    jobId: row.jobId,
    jobName: row.jobName,
    userId: row.userId,
    usageType: row.usageType,
    licenseProduct: row.licenseProduct,
    instanceType: row.instanceType,
    count: row.count,
    costInUsd: statsObject({ sum: row.costUsd.sum, min: row.costUsd.min, max: row.costUsd.max, count: row.count }, statistics),
    runtimeInSeconds: statsObject({ sum: row.runtimeSeconds.sum, min: row.runtimeSeconds.min, max: row.runtimeSeconds.max, count: row.count }, statistics),
    aggregationStartTime: bucketStart,
    aggregationEndTime: bucketEnd,
  };
}

export function toStatistics(row: AggregationRow, statistics: Statistic[]) {
  return statisticsMember(row, statistics, new Date(row.bucketStart), new Date(row.bucketEnd));
}

/** A timestamp as the wire writes it (Date's toJSON), remembered: a result's rows share few bucket edges. */
export function isoTimes(): (ms: number) => string {
  const known = new Map<number, string>();
  return (ms) => {
    let text = known.get(ms);
    if (text === undefined) known.set(ms, (text = new Date(ms).toISOString()));
    return text;
  };
}

/**
 * JSON.stringify(toStatistics(row, statistics)), with the bucket's timestamps written once
 * per result (`iso`) instead of once per row: the same text (test/statistics-output.test.ts
 * holds the two together). One JSON.stringify per row gives a flat string, which a page's
 * join copies at once; text built by concatenation measured slower to join.
 */
export function statisticsJson(row: AggregationRow, statistics: Statistic[], iso: (ms: number) => string = isoTimes()): string {
  return JSON.stringify(statisticsMember(row, statistics, iso(row.bucketStart), iso(row.bucketEnd)));
}
