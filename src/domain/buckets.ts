// Time buckets of an aggregation (SPEC section 2, rules 6 and 7), aligned to local
// wall-clock time: HOURLY on local hours, DAILY at local midnight, WEEKLY at local Monday
// 00:00, MONTHLY on the 1st at 00:00.
//
// With daylight saving time (IANA zones) a bucket starts at the first instant whose local
// wall-clock time is at or past its nominal local start: a midnight skipped by a jump
// forward starts the day at the first instant that exists after it, so days can last 23 or
// 25 hours. HOURLY buckets start, in addition, at every instant whose wall clock reads
// a whole hour: the hour repeated by a fall-back is two buckets, as they are distinct
// instants. (A day is never split that way: a repeated midnight still starts one day.)
// Fixed offsets need none of that: shift by the offset, floor, shift back.

import { offsetMsAt, type TimeZone } from './timezone.js';

export type Period = 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY';
/** The periods in the model's order, for the API's enum, the CLI's choices and the page's picker. */
export const PERIODS = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'] as const satisfies readonly Period[];

export const DEFAULT_MAX_BOUNDARIES = 1_000_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const MONDAY_EPOCH_SHIFT = 4 * DAY_MS; // 1970-01-01 was a Thursday; 1970-01-05 a Monday
// No bucket is longer than this: used to refuse huge ranges before any work. With daylight
// saving a bucket can outgrow its nominal length (a local hour stretched by a half-hour
// fall-back lasts 1.5 hours), hence the generous bounds for IANA zones.
const LONGEST_FIXED_MS: Record<Period, number> = { HOURLY: HOUR_MS, DAILY: DAY_MS, WEEKLY: WEEK_MS, MONTHLY: 31 * DAY_MS };
const LONGEST_IANA_MS: Record<Period, number> = { HOURLY: 3 * HOUR_MS, DAILY: 2 * DAY_MS, WEEKLY: 8 * DAY_MS, MONTHLY: 33 * DAY_MS };

/**
 * Sorted bucket boundaries of [startMs, endMs): startMs, every bucket start strictly inside
 * the range, endMs. No period: one bucket. Throws when there would be more than
 * maxBoundaries of them.
 */
export function bucketBoundaries(
  startMs: number,
  endMs: number,
  tz: TimeZone,
  period: Period | undefined,
  maxBoundaries: number = DEFAULT_MAX_BOUNDARIES,
): number[] {
  if (!(startMs < endMs)) throw new RangeError(`bucket range must have start before end (${startMs} >= ${endMs})`);
  if (period === undefined) return [startMs, endMs];
  const tooMany = () =>
    new RangeError(
      `the range has more than ${maxBoundaries - 1} ${period} buckets; use a shorter range or a longer period`,
    );
  const longest = (tz.kind === 'fixed' ? LONGEST_FIXED_MS : LONGEST_IANA_MS)[period];
  if ((endMs - startMs) / longest + 1 > maxBoundaries) throw tooMany();
  const out = [startMs];
  const push = (t: number) => {
    if (t > startMs && t < endMs) {
      out.push(t);
      if (out.length >= maxBoundaries) throw tooMany(); // endMs is still to come
    }
  };
  if (tz.kind === 'fixed') {
    const offset = tz.offsetMinutes * 60_000;
    for (let wall = nextWallStart(floorWall(startMs + offset, period), period); wall - offset < endMs; wall = nextWallStart(wall, period)) {
      push(wall - offset);
    }
  } else {
    // Two nominal starts earlier than the obvious one: after a fall-back, the repeat of an
    // earlier local hour can still start a bucket inside the range.
    let wall = floorWall(startMs + offsetMsAt(tz, startMs), period);
    wall = previousWallStart(previousWallStart(wall, period), period);
    for (; ; wall = nextWallStart(wall, period)) {
      const starts = bucketStartsAtWall(tz, wall, period);
      if (starts[0]! >= endMs) break;
      for (const t of starts) push(t);
    }
    out.sort((a, b) => a - b);
    dedupeSorted(out);
  }
  out.push(endMs);
  return out;
}

/**
 * The index of the last of `sorted` (ascending) at or before `t`, which is at or after the
 * first: the bucket holding `t`, given the bucket edges (t before the last edge) or the bucket
 * starts.
 */
export function lastIndexAtOrBefore(sorted: readonly number[], t: number): number {
  let [lo, hi] = [0, sorted.length - 1];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The start of the local bucket that contains the instant (not clipped to any range). */
export function floorToBucket(epochMs: number, tz: TimeZone, period: Period): number {
  if (tz.kind === 'fixed') {
    const offset = tz.offsetMinutes * 60_000;
    return floorWall(epochMs + offset, period) - offset;
  }
  // The latest bucket start at or before the instant. Its nominal start is at or after the
  // floor of the instant's own wall clock, and (with a fall-back) may be the next one.
  let wall = floorWall(epochMs + offsetMsAt(tz, epochMs), period);
  let best = Number.NEGATIVE_INFINITY;
  for (;;) {
    const notLater = bucketStartsAtWall(tz, wall, period).filter((t) => t <= epochMs);
    if (notLater.length === 0) return best;
    best = Math.max(best, ...notLater);
    wall = nextWallStart(wall, period);
  }
}

/**
 * The instant a local wall-clock time means in the zone: the first instant whose local time
 * is at or past it, as buckets start (the earlier of a time a fall-back repeats; for a time
 * a jump forward skips, the jump itself).
 */
export function instantOfWall(tz: TimeZone, wall: number): number {
  if (tz.kind === 'fixed') return wall - tz.offsetMinutes * 60_000;
  return instantsAtWall(tz, wall)[0] ?? firstInstantPastWall(tz, wall);
}

/** Bucket starts produced by one nominal local start, ascending (one, or two for an HOURLY repeat). */
function bucketStartsAtWall(tz: TimeZone, wall: number, period: Period): number[] {
  const exact = instantsAtWall(tz, wall);
  if (exact.length === 0) return [firstInstantPastWall(tz, wall)];
  return period === 'HOURLY' ? exact : exact.slice(0, 1);
}

/** The instants whose wall clock reads exactly `wall`: none in a gap, two in a repeat. */
function instantsAtWall(tz: TimeZone, wall: number): number[] {
  // Any offset in effect near the wall time is the one a day before or a day after it
  // (offsets never change twice within two days).
  const offsets = [offsetMsAt(tz, wall - DAY_MS), offsetMsAt(tz, wall + DAY_MS)];
  const found = offsets.map((o) => wall - o).filter((t) => t + offsetMsAt(tz, t) === wall);
  found.sort((a, b) => a - b);
  dedupeSorted(found);
  return found;
}

/** In a gap: the transition instant, the first one whose wall clock is past `wall`. */
function firstInstantPastWall(tz: TimeZone, wall: number): number {
  const before = offsetMsAt(tz, wall - DAY_MS);
  const after = offsetMsAt(tz, wall + DAY_MS);
  // The transition lies in (wall - larger offset, wall - smaller offset]; wall(t) >= wall
  // is false at the low end and true at the high end, and monotonic in between.
  let lo = wall - Math.max(before, after);
  let hi = wall - Math.min(before, after);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid + offsetMsAt(tz, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

// Wall-clock times are epoch milliseconds of the local date and time read as if UTC.

function floorWall(wall: number, period: Period): number {
  switch (period) {
    case 'HOURLY':
      return floorTo(wall, HOUR_MS);
    case 'DAILY':
      return floorTo(wall, DAY_MS);
    case 'WEEKLY':
      return floorTo(wall - MONDAY_EPOCH_SHIFT, WEEK_MS) + MONDAY_EPOCH_SHIFT;
    case 'MONTHLY': {
      const d = new Date(floorTo(wall, DAY_MS));
      d.setUTCDate(1);
      return d.getTime();
    }
  }
}

function nextWallStart(wall: number, period: Period): number {
  return stepWall(wall, period, 1);
}

function previousWallStart(wall: number, period: Period): number {
  return stepWall(wall, period, -1);
}

function stepWall(wall: number, period: Period, by: 1 | -1): number {
  switch (period) {
    case 'HOURLY':
      return wall + by * HOUR_MS;
    case 'DAILY':
      return wall + by * DAY_MS;
    case 'WEEKLY':
      return wall + by * WEEK_MS;
    case 'MONTHLY': {
      const d = new Date(wall);
      d.setUTCMonth(d.getUTCMonth() + by); // wall is on the 1st, so no day overflow
      return d.getTime();
    }
  }
}

function floorTo(value: number, size: number): number {
  return Math.floor(value / size) * size;
}

function dedupeSorted(values: number[]): void {
  let n = 0;
  for (const v of values) if (n === 0 || values[n - 1] !== v) values[n++] = v;
  values.length = n;
}

/** Buckets of one fixed width: bucket i is [originMs + i*widthMs, + widthMs), clipped to the range. */
export interface UniformGrid {
  originMs: number;
  widthMs: number;
}

const FIXED_WIDTH_MS: Partial<Record<Period, number>> = { HOURLY: HOUR_MS, DAILY: DAY_MS, WEEKLY: WEEK_MS };

/**
 * The buckets of bucketBoundaries as arithmetic, where they have one width: fixed offsets
 * with HOURLY, DAILY or WEEKLY, and no period (one bucket). Bucket i holds the instants t with
 * floor((t - originMs) / widthMs) = i, the same i as the boundaries' index. Undefined for
 * MONTHLY and for IANA zones, whose buckets vary in length: those need the boundaries.
 */
export function uniformGrid(startMs: number, endMs: number, tz: TimeZone, period: Period | undefined): UniformGrid | undefined {
  if (period === undefined) return { originMs: startMs, widthMs: endMs - startMs };
  const widthMs = FIXED_WIDTH_MS[period];
  if (widthMs === undefined || tz.kind !== 'fixed') return undefined;
  return { originMs: floorToBucket(startMs, tz, period), widthMs };
}

/** MONTHLY buckets in a fixed offset: bucket i holds the instants whose local month number is firstMonth + i. */
export interface MonthGrid {
  offsetMs: number;
  /** Local year * 12 + month (0-based) of the range's start. */
  firstMonth: number;
}

/** The month number (year * 12 + 0-based month) of a local wall-clock time given as epoch ms. */
export function monthNumber(wallMs: number): number {
  const d = new Date(wallMs);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** MONTHLY buckets of a fixed offset as arithmetic on local month numbers; undefined otherwise. */
export function monthGrid(startMs: number, tz: TimeZone, period: Period | undefined): MonthGrid | undefined {
  if (period !== 'MONTHLY' || tz.kind !== 'fixed') return undefined;
  const offsetMs = tz.offsetMinutes * 60_000;
  return { offsetMs, firstMonth: monthNumber(startMs + offsetMs) };
}

/**
 * The buckets of a request in every form the engine uses: the boundaries, and the
 * arithmetic grid (uniform or monthly) where one exists. The Start operation and the
 * benchmark both build their engine query from this, so they run the same plan.
 */
export function bucketLayout(startMs: number, endMs: number, tz: TimeZone, period: Period | undefined) {
  return {
    boundaries: bucketBoundaries(startMs, endMs, tz, period),
    grid: uniformGrid(startMs, endMs, tz, period),
    months: monthGrid(startMs, tz, period),
  };
}
