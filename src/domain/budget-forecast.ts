// A budget's forecast: what its queue will have cost by the window's end if it keeps spending
// at its recent daily rate (docs/DECISIONS.md, "Budget forecast"). Days are UTC days, as the
// budget's usage is (operations/budgets/budget-usage.ts). Also the cumulative spend over the
// window day by day, what the page draws. Pure: the caller brings the daily costs and now.

export const DAY_MS = 86_400_000;
/** Complete days the daily rate is averaged over (fewer while the window is younger). */
export const FORECAST_BASIS_DAYS = 7;

/** One day's cost: the start of its bucket (epoch ms; DAILY buckets in UTC), and the cost in it. Days with no cost may be left out. */
export interface DayCost {
  start: number;
  cost: number;
}

export interface BudgetForecast {
  /** Where now lies against the window [start, end). */
  phase: 'not-begun' | 'open' | 'ended';
  /** The cost so far: every day's cost in the window before now. */
  spent: number;
  /** The average cost per day over the basis (0 without one). */
  dailyRate: number;
  /** The basis of the rate: [from, until), the last complete days in the window (until is today's start); days is its length in days (0 when there is none). */
  basis: { from: number; until: number; days: number };
  /** The cost expected by the window's end. */
  forecast: number;
}

const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const round = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * The forecast at `now` of a window [windowStart, windowEnd) from its days' costs:
 * - not begun (now <= start): nothing spent, nothing to go by: forecast 0.
 * - ended (now >= end): the forecast is what was spent.
 * - open: the rate is the cost of the last 7 complete days in the window (fewer, down to a
 *   part of a day, while it is younger; the window's first day counts from its start) over
 *   their length in days. Today is expected to cost at least the rate (its share, if the
 *   window ends today), the days after it the rate each (the window's last day its share):
 *   forecast = spent before today + max(today so far, rate × today's share) + rate × days after today.
 *   With no complete day yet (the window began today) there is no rate: the forecast is the
 *   spend so far. Within a day the forecast changes only as today's cost passes the rate.
 */
export function budgetForecast(windowStart: number, windowEnd: number, days: readonly DayCost[], now: number): BudgetForecast {
  const until = Math.min(now, windowEnd);
  const today = Math.max(dayStart(now), windowStart);
  const costOf = (from: number, to: number) =>
    days.reduce((sum, d) => {
      const at = Math.max(d.start, windowStart);
      return at >= from && at < to ? sum + d.cost : sum;
    }, 0);
  const spent = round(costOf(windowStart, until));
  if (now <= windowStart) return { phase: 'not-begun', spent: 0, dailyRate: 0, basis: { from: windowStart, until: windowStart, days: 0 }, forecast: 0 };
  if (now >= windowEnd) return { phase: 'ended', spent, dailyRate: 0, basis: { from: windowEnd, until: windowEnd, days: 0 }, forecast: spent };
  const from = Math.max(windowStart, today - FORECAST_BASIS_DAYS * DAY_MS);
  const basisDays = (today - from) / DAY_MS;
  const dailyRate = basisDays > 0 ? costOf(from, today) / basisDays : 0;
  const tomorrow = dayStart(now) + DAY_MS;
  const todayShare = (Math.min(tomorrow, windowEnd) - today) / DAY_MS;
  const daysAfter = Math.max(0, windowEnd - tomorrow) / DAY_MS;
  const before = costOf(windowStart, today);
  const forecast = before + Math.max(spent - before, dailyRate * todayShare) + dailyRate * daysAfter;
  return { phase: 'open', spent, dailyRate: round(dailyRate), basis: { from, until: today, days: basisDays }, forecast: round(forecast) };
}

/** A point of the cumulative spend: the total cost from the window's start up to `at`. */
export interface SpendPoint {
  at: number;
  total: number;
}

/**
 * The cumulative spend from the window's start to `until` (now, or the window's end): a point
 * at the start (0), at the end of each day in between (days with no cost too) and at `until`.
 */
export function cumulativeSpend(windowStart: number, until: number, days: readonly DayCost[]): SpendPoint[] {
  if (until <= windowStart) return [{ at: windowStart, total: 0 }];
  const sorted = [...days].map((d) => ({ at: Math.max(d.start, windowStart), cost: d.cost })).sort((a, b) => a.at - b.at);
  const points: SpendPoint[] = [{ at: windowStart, total: 0 }];
  let total = 0;
  let i = 0;
  for (let end = dayStart(windowStart) + DAY_MS; ; end += DAY_MS) {
    const to = Math.min(end, until);
    while (i < sorted.length && sorted[i]!.at < to) total += sorted[i++]!.cost;
    points.push({ at: to, total: round(total) });
    if (to >= until) return points;
  }
}

/** The thresholds (percentages of the limit) the spend has reached, in ascending order (as `farmtally budgets show` marks them). */
export function crossedThresholds(spent: number, limit: number, thresholds: readonly number[]): number[] {
  return [...thresholds].filter((t) => limit > 0 && (spent / limit) * 100 >= t).sort((a, b) => a - b);
}
