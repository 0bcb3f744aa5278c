// An independent, deliberately plain reference of the whole statistics aggregation (SPEC
// section 2, rules 5 to 12, and section 5), used to check src/domain and, over HTTP, the
// server. It imports nothing from src/: its time zone and bucket code is its own
// (reference-zone.ts), it assigns each usage record to buckets by checking every bucket,
// and its output is the API's `statistics` list as it goes on the wire.

import { referenceBoundaries, referenceZone, type RefPeriod } from './reference-zone.js';

export { generateFarm, type GeneratedFarm, type GenerateFarmOptions } from './generate-farm.js';
export type { RefPeriod } from './reference-zone.js';

export type RefFleetKind = 'customerManaged' | 'serviceManagedEc2';
export type RefGroupBy = 'QUEUE_ID' | 'FLEET_ID' | 'JOB_ID' | 'USER_ID' | 'USAGE_TYPE' | 'INSTANCE_TYPE' | 'LICENSE_PRODUCT';
export type RefStatistic = 'SUM' | 'MIN' | 'MAX' | 'AVG';

/** A session record (SPEC section 4) and the kind of its fleet. */
export interface RefSession {
  sessionId: string;
  queueId: string;
  fleetId: string;
  fleetKind: RefFleetKind;
  jobId: string;
  jobName: string;
  userId: string;
  workerId: string;
  instanceType?: string;
  startedAt: number;
  endedAt?: number;
  licenseProducts?: string[];
}

export interface RefRateCard {
  instanceTypes: Record<string, number>;
  licenseProducts: Record<string, number>;
  customerManagedWorkerHour: number;
  customerManagedFleets: Record<string, number>;
}

export interface RefRequest {
  startMs: number;
  endMs: number;
  /** As the request carries it; absent means UTC. Any form farmtally accepts (non-strict). */
  timezone?: string;
  period?: RefPeriod;
  groupBy: readonly RefGroupBy[];
  statistics: readonly RefStatistic[];
  /** The moment Start was called: running sessions end here. */
  asOfMs: number;
  /** Optional resource filter, as `resourceIds` of the request. */
  queueIds?: readonly string[];
  fleetIds?: readonly string[];
}

export interface RefStats {
  sum?: number;
  min?: number;
  max?: number;
  avg?: number;
}

/** One element of GetSessionsStatisticsAggregation's `statistics`, as JSON carries it. */
export interface RefRow {
  aggregationStartTime: string;
  aggregationEndTime: string;
  queueId?: string;
  fleetId?: string;
  jobId?: string;
  jobName?: string;
  userId?: string;
  usageType?: string;
  instanceType?: string;
  licenseProduct?: string;
  count: number;
  runtimeInSeconds: RefStats;
  costInUsd: RefStats;
}

export interface RefResult {
  rows: RefRow[];
  /** What had no rate, among the records that counted: `instance type X`, `license product X`, `instance type (unknown) on service-managed fleet F`. Sorted. */
  missingRates: string[];
}

const MEMBER: Record<RefGroupBy, keyof RefUsage & keyof RefRow> = {
  QUEUE_ID: 'queueId',
  FLEET_ID: 'fleetId',
  JOB_ID: 'jobId',
  USER_ID: 'userId',
  USAGE_TYPE: 'usageType',
  INSTANCE_TYPE: 'instanceType',
  LICENSE_PRODUCT: 'licenseProduct',
};

interface RefUsage {
  queueId: string;
  fleetId: string;
  jobId: string;
  jobName: string;
  userId: string;
  usageType: string;
  instanceType?: string;
  licenseProduct?: string;
  start: number;
  end: number;
  rate: number;
  missing?: string;
}

export function referenceAggregate(sessions: readonly RefSession[], card: RefRateCard, costScaleFactor: number, request: RefRequest): RefResult {
  const zone = referenceZone(request.timezone);
  const bounds = referenceBoundaries(zone, request.startMs, request.endMs, request.period);
  const buckets = bounds.slice(0, -1).map((from, i) => ({ from, to: bounds[i + 1]! }));
  const groups = new Map<string, { bucket: number; usage: RefUsage; slices: number[]; costs: number[]; jobName: string; jobStart: number }>();
  const missing = new Set<string>();
  for (const usage of sessions.filter((s) => selected(s, request)).flatMap((s) => usageOf(s, card, request.asOfMs))) {
    buckets.forEach((bucket, i) => {
      const ms = Math.min(usage.end, bucket.to, request.endMs) - Math.max(usage.start, bucket.from, request.startMs);
      if (ms <= 0) return;
      if (usage.missing) missing.add(usage.missing);
      const values = request.groupBy.map((f) => usage[MEMBER[f]] ?? null);
      const key = JSON.stringify([i, values]);
      const g = groups.get(key) ?? { bucket: i, usage, slices: [], costs: [], jobName: usage.jobName, jobStart: usage.start };
      groups.set(key, g);
      g.slices.push(ms / 1000);
      g.costs.push((ms / 1000 / 3600) * usage.rate * costScaleFactor);
      // The name of a job's latest-started record; on a tie, the greater name.
      if (usage.start > g.jobStart || (usage.start === g.jobStart && ordinal(usage.jobName, g.jobName) > 0)) {
        g.jobName = usage.jobName;
        g.jobStart = usage.start;
      }
    });
  }
  const rows = [...groups.values()].map((g) => {
    const row: RefRow = {
      aggregationStartTime: new Date(buckets[g.bucket]!.from).toISOString(),
      aggregationEndTime: new Date(buckets[g.bucket]!.to).toISOString(),
      count: g.slices.length,
      runtimeInSeconds: stats(g.slices, request.statistics),
      costInUsd: stats(g.costs, request.statistics),
    };
    for (const f of request.groupBy) if (g.usage[MEMBER[f]] !== undefined) row[MEMBER[f]] = g.usage[MEMBER[f]];
    if (request.groupBy.includes('JOB_ID')) row.jobName = g.jobName;
    return row;
  });
  rows.sort((a, b) => compareReferenceRows(a, b, request.groupBy));
  return { rows, missingRates: [...missing].sort(ordinal) };
}

function selected(s: RefSession, r: RefRequest): boolean {
  return (!r.queueIds || r.queueIds.includes(s.queueId)) && (!r.fleetIds || r.fleetIds.includes(s.fleetId));
}

function usageOf(s: RefSession, card: RefRateCard, asOfMs: number): RefUsage[] {
  const base = { queueId: s.queueId, fleetId: s.fleetId, jobId: s.jobId, jobName: s.jobName, userId: s.userId, start: s.startedAt, end: s.endedAt ?? asOfMs };
  const own = (rates: Record<string, number>, k: string | undefined) => (k !== undefined && Object.hasOwn(rates, k) ? rates[k] : undefined);
  let compute: RefUsage;
  if (s.fleetKind === 'customerManaged') {
    compute = { ...base, usageType: 'COMPUTE', rate: own(card.customerManagedFleets, s.fleetId) ?? card.customerManagedWorkerHour };
  } else {
    const rate = own(card.instanceTypes, s.instanceType);
    compute = { ...base, usageType: 'COMPUTE', rate: rate ?? 0 };
    if (rate === undefined) compute.missing = s.instanceType === undefined ? `instance type (unknown) on service-managed fleet ${s.fleetId}` : `instance type ${s.instanceType}`;
  }
  if (s.instanceType !== undefined) compute.instanceType = s.instanceType;
  const products = [...new Set(s.licenseProducts ?? [])];
  const licenses = products.map((p): RefUsage => {
    const rate = own(card.licenseProducts, p);
    return { ...base, usageType: 'LICENSE', licenseProduct: p, rate: rate ?? 0, ...(rate === undefined && { missing: `license product ${p}` }) };
  });
  return [compute, ...licenses];
}

function stats(values: number[], wanted: readonly RefStatistic[]): RefStats {
  const sum = values.reduce((a, b) => a + b, 0);
  const out: RefStats = {};
  if (wanted.includes('SUM')) out.sum = sum;
  if (wanted.includes('MIN')) out.min = values.reduce((a, b) => Math.min(a, b));
  if (wanted.includes('MAX')) out.max = values.reduce((a, b) => Math.max(a, b));
  if (wanted.includes('AVG')) out.avg = sum / values.length;
  return out;
}

/** Rule 12 on wire rows: start time, then group values in request order, absent first. */
export function compareReferenceRows(a: RefRow, b: RefRow, groupBy: readonly RefGroupBy[]): number {
  const byTime = Date.parse(a.aggregationStartTime) - Date.parse(b.aggregationStartTime);
  if (byTime !== 0) return byTime;
  for (const f of groupBy) {
    const x = a[MEMBER[f]];
    const y = b[MEMBER[f]];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return ordinal(x, y);
  }
  return 0;
}

/** UTF-16 code unit order, spelled out. */
function ordinal(x: string, y: string): number {
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x.charCodeAt(i) - y.charCodeAt(i);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
