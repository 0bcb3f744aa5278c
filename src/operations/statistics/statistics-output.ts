// A stored aggregation row as the API's `statistics` member carries it: the requested
// statistics only (AVG as sum over count), the bucket as timestamps. statisticsJson writes
// the same member straight as JSON, for rows made ready to serve (result-pages.ts).
import { statsObject, type Statistic } from '../../domain/aggregation-rules.js';
import type { AggregationRow } from '../../store/aggregation-store.js';

export function toStatistics(row: AggregationRow, statistics: Statistic[]) {
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
    costInUsd: statsObject({ ...row.costUsd, count: row.count }, statistics),
    runtimeInSeconds: statsObject({ ...row.runtimeSeconds, count: row.count }, statistics),
    aggregationStartTime: new Date(row.bucketStart),
    aggregationEndTime: new Date(row.bucketEnd),
  };
}

/** A timestamp as the wire writes it (Date's toJSON), remembered: a result's rows share few bucket edges. */
export function isoTimes(): (ms: number) => string {
  const known = new Map<number, string>();
  return (ms) => {
    let text = known.get(ms);
    if (text === undefined) known.set(ms, (text = JSON.stringify(new Date(ms))));
    return text;
  };
}

/** A string member (`"key":"value",`), or nothing for an absent value, as JSON.stringify leaves it out. */
const text = (key: string, value: string | undefined): string => (value === undefined ? '' : `"${key}":${JSON.stringify(value)},`);

/**
 * JSON.stringify(toStatistics(row, statistics)), written directly: the same text, members
 * in the same order (test/statistics-output.test.ts holds the two together), at a fraction
 * of the cost, since every row of a result goes through it.
 */
export function statisticsJson(row: AggregationRow, statistics: Statistic[], iso: (ms: number) => string = isoTimes()): string {
  return (
    `{${text('queueId', row.queueId)}${text('fleetId', row.fleetId)}${text('jobId', row.jobId)}${text('jobName', row.jobName)}` +
    `${text('userId', row.userId)}${text('usageType', row.usageType)}${text('licenseProduct', row.licenseProduct)}${text('instanceType', row.instanceType)}` +
    `"count":${JSON.stringify(row.count)},` +
    `"costInUsd":${JSON.stringify(statsObject({ ...row.costUsd, count: row.count }, statistics))},` +
    `"runtimeInSeconds":${JSON.stringify(statsObject({ ...row.runtimeSeconds, count: row.count }, statistics))},` +
    `"aggregationStartTime":${iso(row.bucketStart)},"aggregationEndTime":${iso(row.bucketEnd)}}`
  );
}
