// Which bucket an instant falls in, and where a bucket begins and ends, as ClickHouse
// expressions, from the bucket edges the domain computed (domain/buckets.ts). The engine's
// own time zone functions are never used: they put hourly buckets in the wrong place in
// zones with half-hour changes (Australia/Lord_Howe) or odd offsets (America/St_Johns,
// Pacific/Chatham), on 18.16 and current releases alike.
//
// - One width (fixed offsets HOURLY, DAILY, WEEKLY, or no period): arithmetic on the grid.
// - Otherwise (IANA zones, MONTHLY): a lookup. The range is cut into slots of one width
//   from its start (an hour for HOURLY, a day for DAILY, ...); a constant array holds the
//   bucket of each slot's start, and a correction adds one for each edge inside the slot the
//   instant has passed (at most `corrections` edges lie inside any slot). Searching the edges
//   instead (arrayFirstIndex) measured unusable on a year of hours (> 120 s); this is a
//   couple of array reads per instant.
// Edges and slots are constant arrays named once in a WITH clause (an expression alias,
// which 18.16 has; it has no CTEs). A year of hourly edges is about 160 KiB of SQL text.
// On 18.16 through a Distributed table, planning such a query costs about 2.4 s whatever the
// data (the initiator names each expression by its text, with the arrays expanded into every
// expression built on them); the shards' work is as fast as on a grid.
import type { AggregationQuery } from '../aggregation-store.js';
import { int64, integer } from './sql-text.js';

/** A bucket's index and edges as SQL expressions (bucket i is [boundaries[i], boundaries[i + 1])). */
export interface BucketSql {
  /** `WITH` items the expressions below use (none for a grid). */
  withItems: string[];
  /** The bucket of an instant within the range (an Int64 expression). */
  indexOf(t: string): string;
  start(i: string): string;
  end(i: string): string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Slot widths tried, widest first: the widest with few edges inside any slot is used. */
const SLOT_WIDTHS = [7 * DAY, DAY, 6 * HOUR, HOUR, 30 * MINUTE, 15 * MINUTE, 5 * MINUTE, MINUTE, 1000, 1];
/** At most this many edges inside one slot (HOURLY in Lord_Howe has two: half-hour buckets). */
const MAX_CORRECTIONS = 2;
/** No lookup has more slots than this (a million hours is 114 years). */
const MAX_SLOTS = 1_000_000;

/** The lookup's shape: slot width, the bucket at each slot's start, and how many edges can lie inside a slot. */
export interface SlotLookup {
  widthMs: number;
  slotBuckets: number[];
  corrections: number;
}

/** The widest slots with at most MAX_CORRECTIONS edges strictly inside any of them. */
export function slotLookup(boundaries: readonly number[]): SlotLookup {
  const span = boundaries[boundaries.length - 1]! - boundaries[0]!;
  for (const widthMs of SLOT_WIDTHS) {
    if (span / widthMs > MAX_SLOTS) continue;
    const found = tryWidth(boundaries, widthMs);
    if (found) return found;
  }
  throw new Error('bucket edges too close together for a slot lookup');
}

function tryWidth(boundaries: readonly number[], widthMs: number): SlotLookup | undefined {
  const start = boundaries[0]!;
  const end = boundaries[boundaries.length - 1]!;
  const slotBuckets: number[] = [];
  let corrections = 0;
  let b = 0; // the bucket holding the slot's start: boundaries[b] <= slotStart < boundaries[b + 1]
  for (let slotStart = start; slotStart < end; slotStart += widthMs) {
    while (boundaries[b + 1]! <= slotStart) b++;
    slotBuckets.push(b);
    // Edges strictly inside the slot, before the range's end (no instant reaches that one).
    let inside = 0;
    while (boundaries[b + 1 + inside]! < Math.min(slotStart + widthMs, end)) inside++;
    if (inside > MAX_CORRECTIONS) return undefined;
    corrections = Math.max(corrections, inside);
  }
  return { widthMs, slotBuckets, corrections };
}

export function bucketSql(q: AggregationQuery): BucketSql {
  if (q.grid) {
    const [o, w] = [int64(q.grid.originMs), int64(q.grid.widthMs)];
    // Instants within the range are never before the grid's origin: intDiv is a floor here.
    return { withItems: [], indexOf: (t) => `intDiv(${t} - ${o}, ${w})`, start: (i) => `${o} + (${i}) * ${w}`, end: (i) => `${o} + ((${i}) + 1) * ${w}` };
  }
  const lookup = slotLookup(q.boundaries);
  const origin = q.boundaries[0]!;
  const o = int64(origin);
  const end = q.boundaries[q.boundaries.length - 1]!;
  // Edges as offsets from the range's start: never negative, so the literal array has one
  // supertype on 18.16 too (which finds none for negative and large positive literals mixed,
  // as edges before 1970 would be). Padded with the range's end: a correction may read past
  // the last edge, and no instant reaches the end.
  const edges = [...q.boundaries, ...Array<number>(lookup.corrections).fill(end)].map((e) => e - origin);
  const withItems = [`CAST([${edges.map(integer).join(',')}] AS Array(Int64)) AS ft_edges`, `[${lookup.slotBuckets.map(integer).join(',')}] AS ft_slots`];
  const slotBucket = (t: string) => `ft_slots[intDiv(${t} - ${o}, ${int64(lookup.widthMs)}) + 1]`;
  return {
    withItems,
    indexOf: (t) => {
      const b = slotBucket(t);
      const passed = Array.from({ length: lookup.corrections }, (_, k) => ` + (${t} - ${o} >= ft_edges[${b} + ${k + 2}])`).join('');
      return `toInt64(${b}${passed})`;
    },
    // Arrays are 1-based: bucket i starts at ft_edges[i + 1].
    start: (i) => `${o} + ft_edges[(${i}) + 1]`,
    end: (i) => `${o} + ft_edges[(${i}) + 2]`,
  };
}
