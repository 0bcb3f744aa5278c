// The aggregation's output (aggregation-sql.ts, FORMAT JSONEachRow) as the store's rows: the
// shape the DuckDB store answers (every group member present, undefined where absent;
// jobName only with JOB_ID), in page order (SPEC rule 12: bucket, then the group values in
// the request's order, absent first, by UTF-16 code unit); and what had no rate
// (missingRatesSql) named for the statusMessage as the DuckDB store names it. Ordering happens here, not in SQL: ClickHouse compares strings by
// bytes, which is code point order, not the API's.
//
// Numbers are read with Number(): 18.16 quotes 64-bit integers in JSON, current releases
// do not; a Decimal128 sum comes as a number or a string alike.
import { compareOptional, type GroupByField, type GroupMember, groupFieldMember } from '../../domain/aggregation-rules.js';
import type { AggregationQuery, AggregationRow } from '../aggregation-store.js';
import { GROUP_OUTPUT } from './aggregation-sql.js';

/** At most this many things without a rate are named (as the DuckDB store does). */
export const MISSING_RATES_NAMED = 50;

export type AggregationOutput =
  | { kind: 'rows'; rows: AggregationRow[] }
  /** More rows than maxRows (the SQL stops at one more, so the exact count is unknown). */
  | { kind: 'too-many'; maxRows: number };

type Json = Record<string, unknown>;

const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** What a missing_rates entry [product, instance type, fleet] names, in the DuckDB store's words. */
function missingName([product, instanceType, fleetId]: unknown[]): string {
  if (product != null) return `license product ${String(product)}`;
  if (instanceType == null) return `instance type (unknown) on service-managed fleet ${String(fleetId)}`;
  return `instance type ${String(instanceType)}`;
}

export function aggregationOutput(output: string, q: AggregationQuery, limits: { maxRows: number }): AggregationOutput {
  const lines = output.split('\n').filter((line) => line.length > 0);
  if (lines.length > limits.maxRows) return { kind: 'too-many', maxRows: limits.maxRows };
  const has = (f: GroupByField) => q.groupBy.includes(f);
  const value = (r: Json, f: GroupByField) => (has(f) ? text(r[GROUP_OUTPUT[f].as]) : undefined);
  const indexed = lines.map((line) => {
    const r = JSON.parse(line) as Json;
    const i = Number(r.ft_bucket);
    const row: AggregationRow = {
      bucketStart: q.boundaries[i]!,
      bucketEnd: q.boundaries[i + 1]!,
      queueId: value(r, 'QUEUE_ID'),
      fleetId: value(r, 'FLEET_ID'),
      jobId: value(r, 'JOB_ID'),
      jobName: has('JOB_ID') ? text(r.ft_job_name) : undefined,
      userId: value(r, 'USER_ID'),
      usageType: value(r, 'USAGE_TYPE'),
      instanceType: value(r, 'INSTANCE_TYPE'),
      licenseProduct: value(r, 'LICENSE_PRODUCT'),
      count: Number(r.n),
      runtimeSeconds: { sum: Number(r.runtime_ms_sum) / 1000, min: Number(r.runtime_ms_min) / 1000, max: Number(r.runtime_ms_max) / 1000 },
      costUsd: { sum: Number(r.cost_sum), min: Number(r.cost_min), max: Number(r.cost_max) },
    };
    return { i, row };
  });
  const members: GroupMember[] = q.groupBy.map(groupFieldMember);
  indexed.sort((a, b) => a.i - b.i || members.reduce((c, m) => c || compareOptional(a.row[m], b.row[m]), 0));
  return { kind: 'rows', rows: indexed.map((x) => x.row) };
}

/** What had no rate (missingRatesSql's one row), named, sorted, at most MISSING_RATES_NAMED. */
export function missingRatesOutput(output: string): string[] {
  const [line] = output.split('\n').filter((l) => l.length > 0);
  const entries = line ? ((JSON.parse(line) as Json).missing_rates as unknown[][]) : [];
  return [...new Set(entries.map(missingName))].sort().slice(0, MISSING_RATES_NAMED);
}
