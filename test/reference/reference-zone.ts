// The reference's own time zone and bucket code. It shares no code, and no algorithm, with
// src/domain: offsets come from Intl's `longOffset` names, the zone's history is cut into
// constant-offset segments by hourly sampling, and bucket starts are found by walking the
// local calendar with Date.UTC inside each segment.
//
// The rule it implements (SPEC section 2, rule 6, as the domain documents it): a bucket
// starts at the first instant whose local wall-clock time is at or past a nominal local
// start (a local hour, midnight, Monday midnight or the 1st); HOURLY buckets also start at
// every other instant whose wall clock reads a whole hour (the repeated hour of a
// fall-back is two buckets).

export type RefPeriod = 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface RefZone {
  /** Offset in milliseconds at an instant. */
  offsetAt(t: number): number;
  fixed: boolean;
}

export function referenceZone(text: string | undefined): RefZone {
  if (text === undefined || /^utc$/i.test(text)) return fixedZone(0);
  const m = /^UTC([+-])(\d{1,2})(?::(\d\d))?$/i.exec(text);
  if (m) return fixedZone((m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000);
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: text, timeZoneName: 'longOffset' });
  const memo = new Map<number, number>();
  return {
    fixed: false,
    offsetAt(t) {
      let v = memo.get(t);
      if (v === undefined) memo.set(t, (v = parseLongOffset(format.format(t))));
      return v;
    },
  };
}

function fixedZone(offset: number): RefZone {
  return { fixed: true, offsetAt: () => offset };
}

/** `..., GMT+05:30` / `GMT-03:30` / `GMT+06:55:25` / plain `GMT`, in milliseconds. */
function parseLongOffset(formatted: string): number {
  const m = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(formatted);
  if (!m) throw new Error(`unexpected Intl output ${formatted}`);
  if (!m[1]) return 0;
  const ms = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -ms : ms;
}

interface Segment {
  from: number;
  to: number;
  offset: number;
  /** The offset of the segment before, if the zone changed at `from`. */
  previousOffset?: number;
}

/** Constant-offset stretches covering [from, to); assumes at most one change per hour. */
function segments(zone: RefZone, from: number, to: number): Segment[] {
  if (zone.fixed) return [{ from, to, offset: zone.offsetAt(from) }];
  const out: Segment[] = [];
  let segStart = from;
  let offset = zone.offsetAt(from);
  // Samples on whole UTC hours, so that the memo serves every request in the same zone.
  for (let t = from; t < to; t = Math.floor(t / HOUR) * HOUR + HOUR) {
    const next = Math.min(Math.floor(t / HOUR) * HOUR + HOUR, to);
    const nextOffset = zone.offsetAt(next);
    if (nextOffset === offset) continue;
    let lo = t; // offset(lo) === offset, offset(hi) !== offset
    let hi = next;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (zone.offsetAt(mid) === offset) lo = mid;
      else hi = mid;
    }
    out.push({ from: segStart, to: hi, offset, ...(out.length && { previousOffset: out[out.length - 1]!.offset }) });
    segStart = hi;
    offset = zone.offsetAt(hi);
  }
  out.push({ from: segStart, to, offset, ...(out.length && { previousOffset: out[out.length - 1]!.offset }) });
  return out;
}

/** Nominal local starts in the wall-clock interval [wallFrom, wallTo), by calendar stepping. */
function nominalStarts(wallFrom: number, wallTo: number, period: RefPeriod): number[] {
  const d = new Date(wallFrom);
  const [y, mo, da, h] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
  const mondayBack = (d.getUTCDay() + 6) % 7;
  const nth = (k: number): number => {
    switch (period) {
      case 'HOURLY':
        return Date.UTC(y, mo, da, h + k);
      case 'DAILY':
        return Date.UTC(y, mo, da + k);
      case 'WEEKLY':
        return Date.UTC(y, mo, da - mondayBack + 7 * k);
      case 'MONTHLY':
        return Date.UTC(y, mo + k, 1);
    }
  };
  const out: number[] = [];
  for (let k = 0; nth(k) < wallTo; k++) if (nth(k) >= wallFrom) out.push(nth(k));
  return out;
}

/** Bucket boundaries of [startMs, endMs): start, the bucket starts inside, end. */
export function referenceBoundaries(zone: RefZone, startMs: number, endMs: number, period: RefPeriod | undefined): number[] {
  if (!period) return [startMs, endMs];
  const starts = new Map<number, number[]>(); // nominal wall start -> instants that start a bucket for it
  const add = (wall: number, t: number) => starts.set(wall, [...(starts.get(wall) ?? []), t]);
  // Margins wider than any offset: every instant of a nominal start near the range is seen.
  for (const seg of segments(zone, startMs - 3 * DAY, endMs + 3 * DAY)) {
    for (const wall of nominalStarts(seg.from + seg.offset, seg.to + seg.offset, period)) add(wall, wall - seg.offset);
    if (seg.previousOffset !== undefined && seg.offset > seg.previousOffset) {
      // Jump forward: nominal starts in the skipped wall-clock interval begin at the jump.
      for (const wall of nominalStarts(seg.from + seg.previousOffset, seg.from + seg.offset, period)) add(wall, seg.from);
    }
  }
  const inside = new Set<number>();
  for (const instants of starts.values()) {
    for (const t of period === 'HOURLY' ? instants : [Math.min(...instants)]) if (t > startMs && t < endMs) inside.add(t);
  }
  return [startMs, ...[...inside].sort((a, b) => a - b), endMs];
}
