// The counting rules of the statistics aggregation (SPEC section 2, rules 8 to 12), as pure
// functions: what a usage record is, how rows are ordered, which statistics a row carries,
// and a straightforward in-memory aggregation that applies them all (the yardstick the
// store's SQL is measured against, and the engine for small inputs).

import { bucketBoundaries, lastIndexAtOrBefore, type Period } from './buckets.js';
import type { SessionRecord } from './resources.js';
import type { TimeZone } from './timezone.js';

export type GroupByField = 'QUEUE_ID' | 'FLEET_ID' | 'JOB_ID' | 'USER_ID' | 'USAGE_TYPE' | 'INSTANCE_TYPE' | 'LICENSE_PRODUCT';
export type Statistic = 'SUM' | 'MIN' | 'MAX' | 'AVG';
/** Every group-by field and statistic, in the model's order (for validation and help texts). */
export const GROUP_BY_FIELDS = ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'] as const satisfies readonly GroupByField[];
export const STATISTICS = ['SUM', 'MIN', 'MAX', 'AVG'] as const satisfies readonly Statistic[];
export type UsageType = 'COMPUTE' | 'LICENSE';

/** Rule 8: what is counted. A COMPUTE record has no licenseProduct, a LICENSE one no instanceType. */
export interface UsageRecord {
  queueId: string;
  fleetId: string;
  jobId: string;
  jobName: string;
  userId: string;
  usageType: UsageType;
  instanceType?: string;
  licenseProduct?: string;
  startedAt: number;
  /** Already resolved: a running session ends at the moment Start was called. */
  endedAt: number;
  costPerHourUsd: number;
}

export type UnpricedUsageRecord = Omit<UsageRecord, 'costPerHourUsd'>;

/** The part of a session record (SPEC section 4) that usage is made of. */
export type SessionForUsage = Pick<SessionRecord, 'queueId' | 'fleetId' | 'jobId' | 'jobName' | 'userId' | 'instanceType' | 'startedAt' | 'endedAt' | 'licenseProducts'>;

/**
 * A session's usage records: one COMPUTE, then one LICENSE per distinct license product
 * (a product listed twice was still used once). A running session ends at asOfMs, the
 * moment Start was called; an end before the start (a running session that started after
 * asOfMs) is taken as a zero-length record, which contributes nothing. The caller prices
 * each record: hourlyRate(...) times the farm's costScaleFactor.
 */
export function usageRecords(
  session: SessionForUsage,
  asOfMs: number,
  costPerHourUsd: (usage: UnpricedUsageRecord) => number,
): UsageRecord[] {
  const startedAt = session.startedAt;
  const endedAt = Math.max(startedAt, session.endedAt ?? asOfMs);
  const common = { queueId: session.queueId, fleetId: session.fleetId, jobId: session.jobId, jobName: session.jobName, userId: session.userId, startedAt, endedAt };
  const unpriced: UnpricedUsageRecord[] = [{ ...common, usageType: 'COMPUTE', ...(session.instanceType !== undefined && { instanceType: session.instanceType }) }];
  for (const licenseProduct of new Set(session.licenseProducts ?? [])) unpriced.push({ ...common, usageType: 'LICENSE', licenseProduct });
  return unpriced.map((u) => ({ ...u, costPerHourUsd: costPerHourUsd(u) }));
}

export interface Stats {
  sum?: number;
  min?: number;
  max?: number;
  avg?: number;
}

/** The group values a row carries: the members its group-by fields fill (JOB_ID rows also carry jobName). */
export interface GroupValues {
  queueId?: string;
  fleetId?: string;
  jobId?: string;
  jobName?: string;
  userId?: string;
  usageType?: string;
  instanceType?: string;
  licenseProduct?: string;
}

/** Rules 7, 10, 11: one output row, times in epoch milliseconds. */
export interface Row extends GroupValues {
  aggregationStartTime: number;
  aggregationEndTime: number;
  usageType?: UsageType;
  count: number;
  runtimeInSeconds: Stats;
  costInUsd: Stats;
}

export type GroupMember = 'queueId' | 'fleetId' | 'jobId' | 'userId' | 'usageType' | 'instanceType' | 'licenseProduct';

const GROUP_MEMBERS: Record<GroupByField, GroupMember> = {
  QUEUE_ID: 'queueId',
  FLEET_ID: 'fleetId',
  JOB_ID: 'jobId',
  USER_ID: 'userId',
  USAGE_TYPE: 'usageType',
  INSTANCE_TYPE: 'instanceType',
  LICENSE_PRODUCT: 'licenseProduct',
};

/** The row (and usage record) member a group-by field names. JOB_ID rows also carry jobName. */
export function groupFieldMember(field: GroupByField): GroupMember {
  return GROUP_MEMBERS[field];
}

/** The members a group-by field fills in a row: its own, and for JOB_ID the job's name too. */
export function groupFieldValues(field: GroupByField): (keyof GroupValues)[] {
  return field === 'JOB_ID' ? ['jobId', 'jobName'] : [GROUP_MEMBERS[field]];
}

/** Ordinal comparison by UTF-16 code unit ('Z' < 'a' < 'z' < 'é'); never locale-aware. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Absent (undefined) sorts before any present value. */
export function compareOptional(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareCodeUnits(a, b);
}

type Ordered = Pick<Row, 'aggregationStartTime' | GroupMember>;

/** Rule 12: by aggregationStartTime, then by the group-by values in the request's order. */
export function compareRows(a: Ordered, b: Ordered, groupBy: readonly GroupByField[]): number {
  if (a.aggregationStartTime !== b.aggregationStartTime) return a.aggregationStartTime < b.aggregationStartTime ? -1 : 1;
  for (const field of groupBy) {
    const member = GROUP_MEMBERS[field];
    const c = compareOptional(a[member], b[member]);
    if (c !== 0) return c;
  }
  return 0;
}

/** count, sum, min and max of the values added; avg is sum / count. */
export class StatsAccumulator {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(value: number): void {
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

/**
 * Rule 10: only the requested statistics, under the model's lower-case names. `divisor`
 * converts the accumulated unit (runtime is summed in exact integer milliseconds, then
 * divided by 1000 once).
 */
export function statsObject(acc: Pick<StatsAccumulator, 'count' | 'sum' | 'min' | 'max'>, statistics: readonly Statistic[], divisor = 1): Stats {
  const out: Stats = {};
  for (const s of statistics) {
    if (s === 'SUM') out.sum = acc.sum / divisor;
    else if (s === 'MIN') out.min = acc.min / divisor;
    else if (s === 'MAX') out.max = acc.max / divisor;
    else out.avg = acc.count === 0 ? 0 : acc.sum / divisor / acc.count;
  }
  return out;
}

export interface AggregationRequest {
  startMs: number;
  endMs: number;
  tz: TimeZone;
  period?: Period;
  groupBy: readonly GroupByField[];
  statistics: readonly Statistic[];
}

type GroupKey = Pick<Row, GroupMember>;

interface Group {
  bucket: number;
  values: GroupKey;
  jobName?: { name: string; startedAt: number };
  runtimeMs: StatsAccumulator;
  costUsd: StatsAccumulator;
}

/**
 * Rules 5 to 12 over records in memory. Each record is clipped to [startMs, endMs) and cut
 * at bucket boundaries; every non-empty slice adds its seconds, and seconds / 3600 times
 * the record's hourly cost, to its bucket's group. With JOB_ID, a job whose records carry
 * different names is shown under the name of its latest-started record (on a tie, the
 * greater name by code unit), so that the result does not depend on record order.
 */
export function aggregateInMemory(records: readonly UsageRecord[], request: AggregationRequest): Row[] {
  const bounds = bucketBoundaries(request.startMs, request.endMs, request.tz, request.period);
  const members = request.groupBy.map(groupFieldMember);
  const groups = new Map<string, Group>();
  for (const record of records) {
    const start = Math.max(record.startedAt, request.startMs);
    const end = Math.min(record.endedAt, request.endMs);
    if (!(end > start)) continue;
    const values: GroupKey = {};
    for (const m of members) if (record[m] !== undefined) (values as Record<GroupMember, string>)[m] = record[m];
    const valuesKey = JSON.stringify(members.map((m) => values[m] ?? null));
    // Every slice is longer than zero: the first bucket holds `start`, the last begins before `end`.
    for (let b = lastIndexAtOrBefore(bounds, start); bounds[b]! < end; b++) {
      const slice = Math.min(end, bounds[b + 1]!) - Math.max(start, bounds[b]!);
      const key = `${b}|${valuesKey}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { bucket: b, values, runtimeMs: new StatsAccumulator(), costUsd: new StatsAccumulator() }));
      group.runtimeMs.add(slice);
      group.costUsd.add((slice / 3_600_000) * record.costPerHourUsd);
      if (members.includes('jobId') && preferJobName(record, group.jobName)) group.jobName = { name: record.jobName, startedAt: record.startedAt };
    }
  }
  const rows = [...groups.values()].map((g): Row => ({
    aggregationStartTime: bounds[g.bucket]!,
    aggregationEndTime: bounds[g.bucket + 1]!,
    ...g.values,
    ...(g.jobName && { jobName: g.jobName.name }),
    count: g.runtimeMs.count,
    runtimeInSeconds: statsObject(g.runtimeMs, request.statistics, 1000),
    costInUsd: statsObject(g.costUsd, request.statistics),
  }));
  return rows.sort((a, b) => compareRows(a, b, request.groupBy));
}

function preferJobName(record: UsageRecord, current: Group['jobName']): boolean {
  if (!current) return true;
  if (record.startedAt !== current.startedAt) return record.startedAt > current.startedAt;
  return compareCodeUnits(record.jobName, current.name) > 0;
}
