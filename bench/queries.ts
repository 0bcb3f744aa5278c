// The four aggregations the benchmark times, once as SDK requests (end to end) and once as
// the AggregationQuery the Start operation hands the engine (built the same way:
// domain bucketBoundaries and uniformGrid from the parsed time zone).
import type { StartSessionsStatisticsAggregationCommandInput } from '@aws-sdk/client-deadline';
import type { GroupByField } from '../src/domain/aggregation-rules.js';
import type { Period } from '../src/domain/buckets.js';
import type { RateCard } from '../src/domain/pricing.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';
import type { DemoIds } from '../src/demo/generate.js';
import { aggregationQuery } from '../src/operations/statistics/aggregation-query.js';
import type { AggregationQuery } from '../src/store/aggregation-store.js';

export interface BenchQuery {
  name: string;
  what: string;
  resourceKind: 'queue' | 'fleet';
  start: string;
  end: string;
  timezone?: string;
  period: Period;
  groupBy: GroupByField[];
  statistics: ('SUM' | 'MIN' | 'MAX' | 'AVG')[];
}

// Ranges are the local year or month where a time zone is given, as a user there would ask.
export const QUERIES: BenchQuery[] = [
  {
    name: 'Q1', what: '2025 DAILY in UTC+08:00 by QUEUE_ID+USAGE_TYPE, 10 queues, SUM/MIN/MAX/AVG', resourceKind: 'queue',
    start: '2024-12-31T16:00:00Z', end: '2025-12-31T16:00:00Z', timezone: 'UTC+08:00', period: 'DAILY',
    groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'],
  },
  {
    name: 'Q2', what: 'March 2025 HOURLY in UTC-03:30 by JOB_ID, 10 queues, SUM', resourceKind: 'queue',
    start: '2025-03-01T03:30:00Z', end: '2025-04-01T03:30:00Z', timezone: 'UTC-03:30', period: 'HOURLY',
    groupBy: ['JOB_ID'], statistics: ['SUM'],
  },
  {
    name: 'Q3', what: '2025 WEEKLY (UTC) by USER_ID+INSTANCE_TYPE, 10 queues, SUM', resourceKind: 'queue',
    start: '2025-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z', period: 'WEEKLY',
    groupBy: ['USER_ID', 'INSTANCE_TYPE'], statistics: ['SUM'],
  },
  {
    name: 'Q4', what: '2025 MONTHLY (UTC) by FLEET_ID+INSTANCE_TYPE, 5 fleets, SUM', resourceKind: 'fleet',
    start: '2025-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z', period: 'MONTHLY',
    groupBy: ['FLEET_ID', 'INSTANCE_TYPE'], statistics: ['SUM'],
  },
];

const idsOf = (q: BenchQuery, ids: DemoIds) => [...(q.resourceKind === 'queue' ? ids.queueIds : ids.fleetIds)];

export function sdkInput(q: BenchQuery, farmId: string, ids: DemoIds): StartSessionsStatisticsAggregationCommandInput {
  return {
    farmId,
    resourceIds: q.resourceKind === 'queue' ? { queueIds: idsOf(q, ids) } : { fleetIds: idsOf(q, ids) },
    startTime: new Date(q.start),
    endTime: new Date(q.end),
    timezone: q.timezone,
    period: q.period,
    groupBy: q.groupBy,
    statistics: q.statistics,
  };
}

export function zoneOf(q: BenchQuery): TimeZone {
  const zone = parseTimezone(q.timezone ?? 'UTC', false);
  if ('error' in zone) throw new Error(zone.error);
  return zone;
}

/** What StartSessionsStatisticsAggregation builds for the engine from the same request: the same builder. */
export function engineQuery(q: BenchQuery, farmId: string, ids: DemoIds, rateCard: RateCard, costScaleFactor: number, asOfMs: number): AggregationQuery {
  return aggregationQuery({
    farm: { farmId, costScaleFactor },
    resourceKind: q.resourceKind,
    resourceIds: idsOf(q, ids),
    startMs: Date.parse(q.start),
    endMs: Date.parse(q.end),
    zone: zoneOf(q),
    period: q.period,
    groupBy: q.groupBy,
    asOfMs,
    rateCard,
  });
}
