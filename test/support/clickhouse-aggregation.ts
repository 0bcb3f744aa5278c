// What the ClickHouse aggregation tests share: session versions as rows of the schema's
// sessions table, a case turned into the store's query and into the reference's request,
// and the store's rows compared with the reference's the way the store contract compares
// them (test/store-contract/aggregations.ts, test/support/same-rows.ts).
import assert from 'node:assert/strict';
import type { GroupByField } from '../../src/domain/aggregation-rules.js';
import type { Period } from '../../src/domain/buckets.js';
import { parseTimezone, type TimeZone } from '../../src/domain/timezone.js';
import { aggregationQuery } from '../../src/operations/statistics/aggregation-query.js';
import { toStatistics } from '../../src/operations/statistics/statistics-output.js';
import type { AggregationQuery } from '../../src/store/aggregation-store.js';
import type { AggregationOutput } from '../../src/store/clickhouse/aggregation-rows.js';
import type { FleetKinds } from '../../src/store/clickhouse/aggregation-sql.js';
import { referenceAggregate, type GeneratedFarm, type RefResult, type RefRow, type RefSession } from '../reference/aggregate-reference.js';
import { assertSameRows } from './same-rows.js';

export interface AggregationCase {
  kind?: 'queue' | 'fleet';
  from?: number;
  to?: number;
  timezone?: string;
  period?: Period;
  groupBy: GroupByField[];
  asOfMs?: number;
  costScaleFactor?: number;
  /** Some of the farm's queues or fleets (default: all). */
  resources?: 'some' | 'all';
}

export const describeCase = (c: AggregationCase): string =>
  `${c.period ?? 'one bucket'} ${c.timezone ?? 'UTC'} by ${c.groupBy.join(',') || 'nothing'}${c.kind === 'fleet' ? ' over fleets' : ''}${c.resources === 'some' ? ' (some)' : ''}${c.asOfMs !== undefined ? ` asOf ${new Date(c.asOfMs).toISOString()}` : ''}`;

/** One version of a session as a JSONEachRow line of the schema's sessions table. */
export function sessionRow(farmId: string, s: RefSession, batchSeq: number): string {
  return JSON.stringify({
    farm_id: farmId, session_id: s.sessionId, queue_id: s.queueId, job_id: s.jobId, job_name: s.jobName, user_id: s.userId,
    fleet_id: s.fleetId, worker_id: s.workerId, instance_type: s.instanceType ?? null, started_at: s.startedAt, ended_at: s.endedAt ?? null,
    license_products: s.licenseProducts ?? [], updated_at: 0, batch_seq: batchSeq,
  });
}

export const customerManaged = (farm: GeneratedFarm): FleetKinds => ({ customerManaged: farm.fleets.filter((f) => f.kind === 'customerManaged').map((f) => f.fleetId) });

/** The store's query and the reference's answer for a case, over `sessions` (the versions the snapshot sees). */
export function caseQuery(farm: GeneratedFarm, c: AggregationCase, sessions: readonly RefSession[] = farm.sessions): { query: AggregationQuery; expected: RefResult } {
  const kind = c.kind ?? 'queue';
  const all = kind === 'queue' ? farm.queues.map((q) => q.queueId) : farm.fleets.map((f) => f.fleetId);
  const resourceIds = c.resources === 'some' ? all.filter((_, i) => i % 2 === 0) : all;
  const [startMs, endMs] = [c.from ?? farm.spanStartMs, c.to ?? farm.spanEndMs];
  const asOfMs = c.asOfMs ?? farm.asOfMs;
  const costScaleFactor = c.costScaleFactor ?? farm.costScaleFactor;
  const query = aggregationQuery({
    farm: { farmId: farm.farmId, costScaleFactor }, resourceKind: kind, resourceIds, startMs, endMs,
    zone: parseTimezone(c.timezone ?? 'UTC', false) as TimeZone, period: c.period, groupBy: c.groupBy, asOfMs, rateCard: farm.rateCard,
  });
  const expected = referenceAggregate(sessions, farm.rateCard, costScaleFactor, {
    startMs, endMs, timezone: c.timezone, period: c.period, groupBy: c.groupBy, statistics: ['SUM', 'MIN', 'MAX', 'AVG'], asOfMs,
    ...(kind === 'queue' ? { queueIds: resourceIds } : { fleetIds: resourceIds }),
  });
  return { query, expected };
}

const wire = (row: ReturnType<typeof toStatistics>): RefRow => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== undefined) out[k] = v instanceof Date ? v.toISOString() : v;
  return out as unknown as RefRow;
};

/** What the two statements of an aggregation answered: its rows, and what had no rate. */
export interface StoreAnswer {
  output: AggregationOutput;
  missingRates: string[];
}

/** The store's rows, as the API would serve them, equal to the reference's, and what had no rate named alike. */
export function assertMatchesReference({ output, missingRates }: StoreAnswer, expected: RefResult, what: string): void {
  assert.equal(output.kind, 'rows', what);
  if (output.kind !== 'rows') return;
  assertSameRows(output.rows.map((r) => wire(toStatistics(r, ['SUM', 'MIN', 'MAX', 'AVG']))), expected.rows, what);
  assert.deepEqual(missingRates, expected.missingRates, `${what}: missing rates`);
}
