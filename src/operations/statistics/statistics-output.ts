// A stored aggregation row as the API's `statistics` member carries it: the requested
// statistics only (AVG as sum over count), the bucket as timestamps.
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
