// A run compared with the range of equal length before it: each group's totals then, found
// by the group's key (its group-by values), the groups that had usage then and none now,
// and how a change reads ("+$120.50 (+12.3 %)", "new", "−$40.00 (−100 %)").
import { formatCost, formatHours } from './format.js';
import type { Measure } from './query.js';
import { Totals, type Group, type Results } from './results.js';

export interface Comparison {
  /** The previous range's rows, grouped as the run's. */
  previous: Results;
  /** The previous range, as local text in the query's zone (for the heading). */
  start: string;
  end: string;
}

/** Each group's totals in the previous range (empty totals for a group new since), and the grand totals'. */
export function previousTotalsOf(current: Results, previous: Results): Map<Totals, Totals> {
  const byKey = new Map(previous.groups.map((g) => [g.key, g.totals]));
  const out = new Map<Totals, Totals>([[current.totals, previous.totals]]);
  for (const g of current.groups) out.set(g.totals, byKey.get(g.key) ?? new Totals());
  for (const g of goneGroups(current, previous)) out.set(g.totals, byKey.get(g.key)!);
  return out;
}

const goneCache = new WeakMap<Results, Group[]>();

/**
 * The groups of the previous range with none of the current one's rows: in the table with
 * empty totals now (their change is −100 %), not in the chart (nothing to draw). The same
 * objects for the same results, so their totals are keys of `previousTotalsOf`.
 */
export function goneGroups(current: Results, previous: Results): Group[] {
  const cached = goneCache.get(previous);
  if (cached) return cached;
  const now = new Set(current.groups.map((g) => g.key));
  const gone = previous.groups.filter((g) => !now.has(g.key)).map((g) => ({ ...g, drill: undefined, totals: new Totals(), rows: [] }));
  goneCache.set(previous, gone);
  return gone;
}

const MINUS = '\u2212';
const percent = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** The change from `before` to `now` in the measure: the amount and the percent, "new" from nothing, "no change". */
export function changeText(now: Totals, before: Totals, measure: Measure): string {
  const [a, b] = [now.measure(measure), before.measure(measure)];
  const amount = (n: number) => (measure === 'cost' ? formatCost(n) : formatHours(n));
  if (b === 0) return a === 0 ? 'no change' : 'new';
  const delta = a - b;
  if (amount(Math.abs(delta)) === amount(0)) return 'no change';
  const sign = delta > 0 ? '+' : MINUS;
  if (a === 0) return `${MINUS}${amount(b)} (${MINUS}100 %)`;
  return `${sign}${amount(Math.abs(delta))} (${sign}${percent.format(Math.abs(delta / b) * 100)} %)`;
}
