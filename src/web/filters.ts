// Filters by a group-by value (user ana, instance type c5.4xlarge): the API has none, so the
// page asks for the filter's field as one more group-by field, keeps the rows whose value
// matches, and adds the rows left back up to the groups asked for, bucket by bucket. Adding
// up is exact for what the page shows: counts and sums add, min and max are the min and max
// of the parts, and avg is the sum over the count (SUM is always asked for). Filters on one
// field are alternatives, filters on different fields all apply.
import type { Statistics } from '@aws-sdk/client-deadline';
import { groupFieldMember, type GroupByField } from '../domain/aggregation-rules.js';

export interface Filter {
  field: string;
  value: string;
}

/** The group-by fields a query asks the API for: its own, then each filter's not among them. */
export function requestGroupBy(groupBy: readonly string[], filters: readonly Filter[]): string[] {
  const out = [...groupBy];
  for (const f of filters) if (!out.includes(f.field)) out.push(f.field);
  return out;
}

const member = (field: string) => groupFieldMember(field as GroupByField);

type Stats = NonNullable<Statistics['costInUsd']>;

/** Two rows' statistics of one measure as one (the members the API gave, avg from the sums). */
function addStats(a: Stats | undefined, b: Stats | undefined, count: number): Stats | undefined {
  if (!a || !b) return a ?? b;
  const out: Stats = {};
  if (a.sum !== undefined) out.sum = a.sum + (b.sum ?? 0);
  if (a.min !== undefined) out.min = Math.min(a.min, b.min ?? Infinity);
  if (a.max !== undefined) out.max = Math.max(a.max, b.max ?? -Infinity);
  if (a.avg !== undefined) out.avg = count > 0 ? (out.sum ?? 0) / count : 0;
  return out;
}

/**
 * The API's rows (grouped by `requestGroupBy`) as the rows of the query's own grouping with
 * only the filters' values: matching rows kept, then rows of one bucket and one group added
 * up, in the order each bucket and group first appears (the API's order).
 */
export function filteredRows(rows: readonly Statistics[], groupBy: readonly string[], filters: readonly Filter[]): Statistics[] {
  if (filters.length === 0) return [...rows];
  // Filters on one field are alternatives (user ana or bo), on different fields all apply.
  const wanted = new Map<string, Set<string>>();
  for (const f of filters) wanted.set(f.field, (wanted.get(f.field) ?? new Set()).add(f.value));
  const kept = rows.filter((r) => [...wanted].every(([field, values]) => values.has(r[member(field)] ?? '')));
  const extra = requestGroupBy(groupBy, filters).length > groupBy.length;
  if (!extra) return kept;
  const merged = new Map<string, Statistics>();
  for (const r of kept) {
    const key = JSON.stringify([r.aggregationStartTime!.getTime(), ...groupBy.map((g) => r[member(g)] ?? null)]);
    const had = merged.get(key);
    if (!had) {
      const own: Statistics = { ...r };
      for (const f of filters) if (!groupBy.includes(f.field)) delete own[member(f.field)];
      if (!groupBy.includes('JOB_ID')) delete own.jobName;
      merged.set(key, own);
      continue;
    }
    const count = (had.count ?? 0) + (r.count ?? 0);
    merged.set(key, { ...had, count, costInUsd: addStats(had.costInUsd, r.costInUsd, count), runtimeInSeconds: addStats(had.runtimeInSeconds, r.runtimeInSeconds, count) });
  }
  return [...merged.values()];
}

/** Filters in the URL: `filter=USER_ID:ana`, one parameter each (a value may hold colons). */
export function filtersFromParams(params: URLSearchParams, fields: readonly string[]): Filter[] {
  const out: Filter[] = [];
  for (const text of params.getAll('filter')) {
    const at = text.indexOf(':');
    const field = text.slice(0, at).toUpperCase();
    const value = text.slice(at + 1);
    if (at > 0 && value && fields.includes(field) && !out.some((f) => f.field === field && f.value === value)) out.push({ field, value });
  }
  return out;
}
