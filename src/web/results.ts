// The API's rows as the page shows them: one group per combination of group-by values, its
// buckets (the API's rows, in the API's order) and totals added up in that order, so a
// group's totals, and the grand total, are exactly the sums of the API's rows. Also the
// chart's view: the top groups by the chosen measure, the rest as "others".
import type { Statistics } from '@aws-sdk/client-deadline';
import { groupFieldMember, type GroupByField } from '../domain/aggregation-rules.js';
import { groupKey } from '../domain/running-usage.js';
import type { Named } from './api.js';
import type { Measure, ResourceKind } from './query.js';

export const FIELD_TITLE: Record<string, string> = {
  QUEUE_ID: 'Queue', FLEET_ID: 'Fleet', JOB_ID: 'Job', USER_ID: 'User',
  USAGE_TYPE: 'Usage type', INSTANCE_TYPE: 'Instance type', LICENSE_PRODUCT: 'License product',
};

/** What a group with no value for a field is called (LICENSE usage has no instance type, COMPUTE no product). */
const ABSENT: Record<string, string> = {
  INSTANCE_TYPE: '(no instance type)', LICENSE_PRODUCT: '(no license)', QUEUE_ID: '(no queue)', FLEET_ID: '(no fleet)',
  JOB_ID: '(no job)', USER_ID: '(no user)', USAGE_TYPE: '(no usage type)',
};

/** Adds up count, sum, min and max of rows; avg follows from them. */
export class Totals {
  count = 0;
  runtime = 0;
  cost = 0;
  runtimeMin = Infinity;
  runtimeMax = -Infinity;
  costMin = Infinity;
  costMax = -Infinity;

  add(row: Statistics): void {
    this.count += row.count ?? 0;
    this.runtime += row.runtimeInSeconds?.sum ?? 0;
    this.cost += row.costInUsd?.sum ?? 0;
    this.runtimeMin = Math.min(this.runtimeMin, row.runtimeInSeconds?.min ?? Infinity);
    this.runtimeMax = Math.max(this.runtimeMax, row.runtimeInSeconds?.max ?? -Infinity);
    this.costMin = Math.min(this.costMin, row.costInUsd?.min ?? Infinity);
    this.costMax = Math.max(this.costMax, row.costInUsd?.max ?? -Infinity);
  }

  measure(m: Measure): number {
    return m === 'cost' ? this.cost : this.runtime;
  }
}

/** A queue or fleet a group can be drilled into. */
export interface DrillTarget {
  kind: ResourceKind;
  id: string;
  name: string;
}

export interface Group {
  key: string;
  /** One label per group-by field, in the query's order. */
  labels: string[];
  /** The raw values behind the labels (IDs), for titles and drilling. */
  values: (string | undefined)[];
  label: string;
  drill?: DrillTarget;
  totals: Totals;
  /** This group's rows, in the API's order (by bucket). */
  rows: Statistics[];
}

export interface Results {
  rows: Statistics[];
  groupBy: string[];
  groups: Group[];
  /** Bucket starts, ascending, epoch ms; `bucketEnd` is the end of the last one. */
  buckets: number[];
  bucketEnd: number;
  totals: Totals;
}

export interface Names {
  queues: ReadonlyMap<string, string>;
  fleets: ReadonlyMap<string, string>;
}

export const namesOf = (list: readonly Named[]) => new Map(list.map((n) => [n.id, n.name]));

function labelOf(field: string, row: Statistics, names: Names): string {
  const value = row[groupFieldMember(field as GroupByField)];
  if (value === undefined) return ABSENT[field] ?? '(none)';
  if (field === 'QUEUE_ID') return names.queues.get(value) ?? value;
  if (field === 'FLEET_ID') return names.fleets.get(value) ?? value;
  if (field === 'JOB_ID') return row.jobName ?? value;
  return value;
}

export function groupRows(rows: Statistics[], groupBy: string[], names: Names): Results {
  const groups = new Map<string, Group>();
  const buckets = new Set<number>();
  const totals = new Totals();
  let bucketEnd = -Infinity;
  for (const row of rows) {
    const values = groupBy.map((f) => row[groupFieldMember(f as GroupByField)]);
    const key = groupKey(values);
    let group = groups.get(key);
    if (!group) {
      const labels = groupBy.map((f) => labelOf(f, row, names));
      group = { key, labels, values, label: labels.join(' · '), totals: new Totals(), rows: [], drill: drillOf(groupBy, row, names) };
      groups.set(key, group);
    }
    group.totals.add(row);
    group.rows.push(row);
    totals.add(row);
    const start = row.aggregationStartTime!.getTime();
    buckets.add(start);
    bucketEnd = Math.max(bucketEnd, row.aggregationEndTime!.getTime());
  }
  const list = [...groups.values()];
  disambiguate(list);
  return { rows, groupBy, groups: list, buckets: [...buckets].sort((a, b) => a - b), bucketEnd, totals };
}

/** Jobs may share a name: those that do get the start of their ID after it. */
function disambiguate(groups: Group[]): void {
  const seen = new Map<string, number>();
  for (const g of groups) seen.set(g.label, (seen.get(g.label) ?? 0) + 1);
  for (const g of groups) {
    if ((seen.get(g.label) ?? 0) < 2) continue;
    g.labels = g.labels.map((l, i) => (g.values[i] && g.values[i] !== l && !g.values[i]!.startsWith(l) ? `${l} (${g.values[i]!.slice(0, 12)}…)` : l));
    g.label = g.labels.join(' · ');
  }
}

function drillOf(groupBy: string[], row: Statistics, names: Names): DrillTarget | undefined {
  if (groupBy.includes('QUEUE_ID') && row.queueId) return { kind: 'queues', id: row.queueId, name: names.queues.get(row.queueId) ?? row.queueId };
  if (groupBy.includes('FLEET_ID') && row.fleetId) return { kind: 'fleets', id: row.fleetId, name: names.fleets.get(row.fleetId) ?? row.fleetId };
  return undefined;
}

/** How many groups the chart shows on their own (as many as its palette has colours); from the 11th, the rest are one "others" series. */
export const TOP_GROUPS = 10;

export interface ChartSeries {
  key: string;
  label: string;
  /** The groups it stands for (one, or the rest for "others"). */
  groups: Group[];
  /** Its value in each bucket of `Results.buckets`, in the measure's unit (USD, or hours). */
  values: number[];
  total: number;
}

export const OTHERS_KEY = '__others__';

export function measureValue(row: Statistics, measure: Measure): number {
  return measure === 'cost' ? row.costInUsd?.sum ?? 0 : (row.runtimeInSeconds?.sum ?? 0) / 3600;
}

/** The chart's series, largest first: the top groups, then "others" for the groups left over, if any. */
export function chartSeries(results: Results, measure: Measure): ChartSeries[] {
  const ranked = [...results.groups].sort((a, b) => b.totals.measure(measure) - a.totals.measure(measure) || (a.label < b.label ? -1 : 1));
  const own = ranked.slice(0, TOP_GROUPS);
  const rest = ranked.slice(own.length);
  const index = new Map(results.buckets.map((b, i) => [b, i]));
  const series = (key: string, label: string, groups: Group[]): ChartSeries => {
    const values = new Array<number>(results.buckets.length).fill(0);
    for (const g of groups) for (const row of g.rows) values[index.get(row.aggregationStartTime!.getTime())!]! += measureValue(row, measure);
    return { key, label, groups, values, total: values.reduce((a, b) => a + b, 0) };
  };
  const out = own.map((g) => series(g.key, g.label, [g]));
  if (rest.length) out.push(series(OTHERS_KEY, `Others (${rest.length} ${rest.length === 1 ? 'group' : 'groups'})`, rest));
  return out;
}

/**
 * The series as shares in percent: in each bucket, of the bucket's total over every series
 * (hidden ones too, so a group's share stays put when others are hidden; shown all, a
 * bucket with usage stacks to 100); a series' total, of the grand total. A bucket or range
 * with no usage is 0 for every series.
 */
export function shareSeries(series: readonly ChartSeries[]): ChartSeries[] {
  const bucketTotals = series.reduce<number[]>((sums, s) => sums.map((v, i) => v + s.values[i]!), new Array<number>(series[0]?.values.length ?? 0).fill(0));
  const grandTotal = series.reduce((a, s) => a + s.total, 0);
  const share = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);
  return series.map((s) => ({ ...s, values: s.values.map((v, i) => share(v, bucketTotals[i]!)), total: share(s.total, grandTotal) }));
}

/** How many groups the ranked bar shows on their own before its "Others" bar. */
export const RANKED_GROUPS = 20;

/**
 * Whether a view's groups are better read as a ranked bar than as the time stack: when the
 * stack has an "others" series (more than TOP_GROUPS groups) and it holds more than half of
 * the total. Past that the stack is mostly one grey band, and what a reader wants (which
 * jobs cost the most) is in none of it; below it the top groups are most of the picture and
 * their course over time is worth the stack. Half is a plain line a reader can check against
 * the legend's totals.
 */
export function othersDominate(series: readonly ChartSeries[]): boolean {
  const others = series.find((s) => s.key === OTHERS_KEY);
  const total = series.reduce((a, s) => a + s.total, 0);
  return others !== undefined && total > 0 && others.total > total / 2;
}

export interface RankedBar {
  key: string;
  label: string;
  /** The group it stands for; none for "others". */
  group?: Group;
  /** Its total in the measure's unit (USD, or hours): for a group its own total, as the table's. */
  value: number;
}

/**
 * The ranked bar's bars, largest first (ranked as the chart's series: by the measure, then
 * label): the top RANKED_GROUPS groups, then "Others (K groups)", its value the sum of the
 * rest's totals in that order.
 */
export function rankedBars(results: Results, measure: Measure): RankedBar[] {
  const valueOf = (g: Group) => (measure === 'cost' ? g.totals.cost : g.totals.runtime / 3600);
  const ranked = [...results.groups].sort((a, b) => valueOf(b) - valueOf(a) || (a.label < b.label ? -1 : 1));
  const bars: RankedBar[] = ranked.slice(0, RANKED_GROUPS).map((g) => ({ key: g.key, label: g.label, group: g, value: valueOf(g) }));
  const rest = ranked.slice(RANKED_GROUPS);
  if (rest.length) {
    bars.push({ key: OTHERS_KEY, label: `Others (${rest.length} ${rest.length === 1 ? 'group' : 'groups'})`, value: rest.reduce((a, g) => a + valueOf(g), 0) });
  }
  return bars;
}
