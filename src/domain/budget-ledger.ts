// A budget's usage kept current without reading the sessions again: the cost over the
// window [S, E) as a function of the time it is read, built once from the store and then
// moved by each session change (docs/DECISIONS.md, "Budget usage kept current").
//
// The cost a usage record adds by time t is rate x |[start, min(end, t)) n [S, min(E, t))|
// (SPEC rule 8; a running record has no end), which is rate x (min(t, b) - a)+ with
// a = max(start, S) and b = min(end, E). That is a ramp: + rate from a, - rate from b. So
// the whole budget is a sum of weights w at points p, usage(t) = sum over p <= t of
// w x (t - p): points already past fold into two numbers (W = sum w, P = sum w x p) and
// usage(t) = t x W - P + the few points still ahead (window ends, future starts). Every
// change is an addition, so removing a session's old version and adding its new one is
// exact in any order. Times are milliseconds from the window's start (small numbers, so
// the products keep their precision); weights are USD per hour, scale factor included.

import { usageRecords, type SessionForUsage, type UnpricedUsageRecord } from './aggregation-rules.js';

const MS_PER_HOUR = 3_600_000;
/**
 * Points are folded this far behind the latest read, not at it: a read whose clock was taken
 * a moment before another's (two requests overlapping) still sees the points between.
 */
const FOLD_LAG_MS = 60_000;

/** One ramp point: from `at` (ms from the window's start) usage grows by `weight` USD per hour more. */
export interface RampPoint {
  at: number;
  weight: number;
}

export interface BudgetWindow {
  startsAt: number;
  endsAt: number;
}

/**
 * The ramp points a session adds to a budget over `window`: two per usage record that
 * overlaps it (COMPUTE, and one per license product), priced by `rate` (USD per hour,
 * the farm's costScaleFactor applied). A running session's records run to the window's end.
 */
export function sessionRamps(session: SessionForUsage, window: BudgetWindow, rate: (usage: UnpricedUsageRecord) => number): RampPoint[] {
  const span = window.endsAt - window.startsAt;
  const points: RampPoint[] = [];
  // usageRecords resolves a running session's end at its asOf: the window's end here.
  for (const usage of usageRecords(session, window.endsAt, rate)) {
    const from = Math.max(usage.startedAt - window.startsAt, 0);
    const to = Math.min(usage.endedAt - window.startsAt, span);
    if (!(from < to) || usage.costPerHourUsd === 0) continue;
    points.push({ at: from, weight: usage.costPerHourUsd }, { at: to, weight: -usage.costPerHourUsd });
  }
  return points;
}

/** Usage over one budget's window as a function of the time read (see the top of this file). */
export class BudgetLedger {
  /** Sum of the weights of points folded (all at or before `foldedThrough`). */
  private w = 0;
  /** Sum of weight x at over the same points. */
  private p = 0;
  /** Points after `foldedThrough`, by `at`. */
  private ahead = new Map<number, number>();
  /** Points at or before this (ms from the window's start) are folded as they are added. */
  private foldedThrough = Number.NEGATIVE_INFINITY;

  constructor(readonly window: BudgetWindow) {}

  /** Adds (sign 1) or takes away (sign -1) a session's ramp points. */
  add(points: readonly RampPoint[], sign: 1 | -1): void {
    for (const { at, weight } of points) this.addPoint(at, sign * weight);
  }

  /** Adds a constant amount of usage (USD), there from the window's start. */
  addConstant(usd: number): void {
    // A constant c is the limit of a ramp that starts at 0 and ends at c / w for some weight;
    // in folded terms it is just P -= c x MS_PER_HOUR (usage = t x W - P).
    this.p -= usd * MS_PER_HOUR;
  }

  private addPoint(at: number, weight: number): void {
    if (at <= this.foldedThrough) {
      this.w += weight;
      this.p += weight * at;
    } else {
      const sum = (this.ahead.get(at) ?? 0) + weight;
      if (sum === 0) this.ahead.delete(at);
      else this.ahead.set(at, sum);
    }
  }

  /**
   * Usage in USD at epoch ms `nowMs`. Reading also folds the points a minute past, so reads
   * must not go back in time by more than that (readers pass the server's clock).
   */
  usageAt(nowMs: number): number {
    const t = Math.min(nowMs, this.window.endsAt) - this.window.startsAt;
    if (t - FOLD_LAG_MS > this.foldedThrough) this.foldThrough(t - FOLD_LAG_MS);
    return this.valueAt(t) / MS_PER_HOUR;
  }

  /** The first epoch ms at or after `fromMs` when usage reaches `usd` (undefined: not within the window as it stands). */
  reachesAt(usd: number, fromMs: number): number | undefined {
    const target = usd * MS_PER_HOUR;
    let lo = Math.max(fromMs, this.window.startsAt) - this.window.startsAt;
    let hi = this.window.endsAt - this.window.startsAt;
    if (this.valueAt(lo) >= target) return lo + this.window.startsAt;
    if (this.valueAt(hi) < target) return undefined;
    // Usage never falls as time passes (every ramp only grows), so bisect to the millisecond.
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.valueAt(mid) >= target) hi = mid;
      else lo = mid;
    }
    return hi + this.window.startsAt;
  }

  private valueAt(t: number): number {
    let value = t * this.w - this.p;
    for (const [at, weight] of this.ahead) if (at <= t) value += weight * (t - at);
    // Rounding may leave a hair below zero where the true sum is zero.
    return value < 0 ? 0 : value;
  }

  private foldThrough(t: number): void {
    for (const [at, weight] of this.ahead) {
      if (at > t) continue;
      this.w += weight;
      this.p += weight * at;
      this.ahead.delete(at);
    }
    this.foldedThrough = t;
  }
}
