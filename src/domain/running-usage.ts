// The part of a statistics result that comes from sessions still running. The statistics
// count a running session up to the moment they are asked for, and nothing in their rows
// tells that from a session that ended then; a list of the running sessions (the
// ListRunningSessions extension) does. Each running session's usage records (usageRecords:
// a COMPUTE record, one LICENSE record per distinct product) count as the statistics count
// them: from max(startedAt, range start) to min(asOf, range end), when that is positive.
// Records are kept or dropped by the page's filters, and added up per group of the query's
// group-by fields (the key results' groups have: groupKey of their values). Asked for, also
// per bucket of each group: a record counts in each bucket it overlaps, its time in that
// bucket, as the statistics' rows count it.
import { groupFieldMember, usageRecords, type GroupByField, type SessionForUsage, type UnpricedUsageRecord } from './aggregation-rules.js';
import { bucketBoundaries, lastIndexAtOrBefore, type Period } from './buckets.js';
import type { TimeZone } from './timezone.js';

/** A group's key: its group-by values in the query's order (none is null), as one string. */
export const groupKey = (values: readonly (string | undefined)[]): string => JSON.stringify(values.map((v) => v ?? null));

export interface RunningPart {
  /** Seconds of runtime in the range from running sessions. */
  runtime: number;
  /** How many running sessions have some of it. */
  sessions: number;
}

export interface RunningUsage {
  /** The whole result's. */
  total: RunningPart;
  /** By group key (groupKey), for the groups with some. */
  groups: Map<string, RunningPart>;
  /** By group key, then bucket start (epoch ms), for the buckets with some; empty unless `buckets` was asked for. */
  buckets: Map<string, Map<number, RunningPart>>;
}

export interface RunningQuery {
  /** The statistics' range, [start, end), epoch ms. */
  start: number;
  end: number;
  /** When the running sessions are counted up to (the statistics' moment of asking), epoch ms. */
  asOf: number;
  groupBy: readonly string[];
  /** Kept when its value is one of a filter's for each field filtered (values of one field are alternatives). */
  filters?: readonly { field: string; value: string }[];
  /** The statistics' buckets (zone and period, none for one bucket): the parts per group and bucket too. */
  buckets?: { zone: TimeZone; period: Period | undefined };
}

const member = (field: string) => groupFieldMember(field as GroupByField);

/** Seconds of a record within [start, end) (its end already resolved at asOf), none when it does not reach into it. */
function secondsIn(record: UnpricedUsageRecord, start: number, end: number): number {
  return Math.max(0, Math.min(record.endedAt, end) - Math.max(record.startedAt, start)) / 1000;
}

/** Adds a session's seconds to a part, counting the session once per part (`seen` holds the parts it is in already). */
function addTo(part: RunningPart, seconds: number, seen: Set<RunningPart>): void {
  part.runtime += seconds;
  if (!seen.has(part)) part.sessions += 1;
  seen.add(part);
}

export function runningUsage(sessions: readonly SessionForUsage[], q: RunningQuery): RunningUsage {
  const wanted = new Map<string, Set<string>>();
  for (const f of q.filters ?? []) wanted.set(f.field, (wanted.get(f.field) ?? new Set()).add(f.value));
  const kept = (r: UnpricedUsageRecord) => [...wanted].every(([field, values]) => values.has(r[member(field)] ?? ''));
  const total: RunningPart = { runtime: 0, sessions: 0 };
  const groups = new Map<string, RunningPart>();
  const buckets = new Map<string, Map<number, RunningPart>>();
  const boundaries = q.buckets && q.start < q.end ? bucketBoundaries(q.start, q.end, q.buckets.zone, q.buckets.period) : undefined;
  for (const session of sessions) {
    const seen = new Set<RunningPart>();
    for (const record of usageRecords(session, q.asOf, () => 0)) {
      const seconds = secondsIn(record, q.start, q.end);
      if (seconds <= 0 || !kept(record)) continue;
      const key = groupKey(q.groupBy.map((f) => record[member(f)]));
      const part = groups.get(key) ?? { runtime: 0, sessions: 0 };
      groups.set(key, part);
      addTo(part, seconds, seen);
      addTo(total, seconds, seen);
      if (!boundaries) continue;
      const byBucket = buckets.get(key) ?? new Map<number, RunningPart>();
      buckets.set(key, byBucket);
      for (let i = lastIndexAtOrBefore(boundaries, Math.max(record.startedAt, q.start)); i < boundaries.length - 1; i++) {
        const inBucket = secondsIn(record, boundaries[i]!, boundaries[i + 1]!);
        if (inBucket <= 0) break;
        const bucketPart = byBucket.get(boundaries[i]!) ?? { runtime: 0, sessions: 0 };
        byBucket.set(boundaries[i]!, bucketPart);
        addTo(bucketPart, inBucket, seen);
      }
    }
  }
  return { total, groups, buckets };
}
