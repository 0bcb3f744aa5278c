// The runtime of running sessions within a statistics range (domain/running-usage.ts): each
// usage record from max(startedAt, start) to min(asOf, end), added up by group and filtered
// as the page groups and filters the statistics' rows, and per bucket of each group.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionForUsage } from '../src/domain/aggregation-rules.js';
import { groupKey, runningUsage } from '../src/domain/running-usage.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';

const H = 3_600_000;
const T = Date.UTC(2026, 0, 1);

const zoneOf = (tz: string): TimeZone => {
  const zone = parseTimezone(tz, false);
  if ('error' in zone) throw new Error(zone.error);
  return zone;
};

const session = (startHour: number, overrides: Partial<SessionForUsage> = {}): SessionForUsage => ({
  queueId: 'queue-a', fleetId: 'fleet-a', jobId: 'job-1', jobName: 'shot_010', userId: 'ana', instanceType: 'c5.4xlarge', startedAt: T + startHour * H, ...overrides,
});

test('a running session counts from its start, or the range start, to asOf, or the range end', () => {
  const q = { start: T, end: T + 10 * H, asOf: T + 8 * H, groupBy: ['QUEUE_ID'] };
  // Started before the range: 8 h; inside it: 5 h; after asOf: nothing.
  const u = runningUsage([session(-3), session(3), session(9)], q);
  assert.deepEqual(u.total, { runtime: 13 * 3600, sessions: 2 });
  assert.deepEqual([...u.groups], [[groupKey(['queue-a']), { runtime: 13 * 3600, sessions: 2 }]]);
  // A range that ends before asOf: up to its end.
  assert.deepEqual(runningUsage([session(3)], { ...q, asOf: T + 20 * H }).total, { runtime: 7 * 3600, sessions: 1 });
  // A range that ends before the session started: nothing.
  assert.deepEqual(runningUsage([session(3)], { ...q, end: T + 2 * H }).total, { runtime: 0, sessions: 0 });
});

test('a COMPUTE record and one LICENSE record per distinct product, grouped and filtered by their fields', () => {
  const sessions = [session(0, { licenseProducts: ['nuke', 'maya', 'nuke'] }), session(1, { userId: 'bo', instanceType: undefined })];
  const q = { start: T, end: T + 10 * H, asOf: T + 4 * H };
  const byType = runningUsage(sessions, { ...q, groupBy: ['USAGE_TYPE', 'LICENSE_PRODUCT'] });
  assert.deepEqual(byType.total, { runtime: (4 * 3 + 3) * 3600, sessions: 2 });
  assert.deepEqual(Object.fromEntries(byType.groups), {
    [groupKey(['COMPUTE', undefined])]: { runtime: 7 * 3600, sessions: 2 },
    [groupKey(['LICENSE', 'nuke'])]: { runtime: 4 * 3600, sessions: 1 },
    [groupKey(['LICENSE', 'maya'])]: { runtime: 4 * 3600, sessions: 1 },
  });
  const byInstance = runningUsage(sessions, { ...q, groupBy: ['INSTANCE_TYPE'] });
  assert.deepEqual(Object.fromEntries(byInstance.groups), {
    [groupKey(['c5.4xlarge'])]: { runtime: 4 * 3600, sessions: 1 },
    [groupKey([undefined])]: { runtime: (2 * 4 + 3) * 3600, sessions: 2 },
  });
  const bo = runningUsage(sessions, { ...q, groupBy: ['JOB_ID'], filters: [{ field: 'USER_ID', value: 'bo' }] });
  assert.deepEqual(Object.fromEntries(bo.groups), { [groupKey(['job-1'])]: { runtime: 3 * 3600, sessions: 1 } });
  const licenses = runningUsage(sessions, { ...q, groupBy: ['USER_ID'], filters: [{ field: 'USAGE_TYPE', value: 'LICENSE' }] });
  assert.deepEqual(licenses.total, { runtime: 8 * 3600, sessions: 1 });
});

test('per group and bucket: a record\'s time in each bucket it overlaps, a session counted once in each', () => {
  const utc = zoneOf('UTC');
  // Days of the range: T to T + 3 days. Running since 20:00 the day before, and since 06:00 on day 2 with a license.
  const sessions = [session(-4), session(30, { licenseProducts: ['maya'], queueId: 'queue-b' })];
  const q = { start: T, end: T + 72 * H, asOf: T + 40 * H, groupBy: ['QUEUE_ID'], buckets: { zone: utc, period: 'DAILY' as const } };
  const u = runningUsage(sessions, q);
  const day = (d: number) => T + d * 24 * H;
  assert.deepEqual(Object.fromEntries([...u.buckets].map(([key, b]) => [key, Object.fromEntries(b)])), {
    [groupKey(['queue-a'])]: { [day(0)]: { runtime: 24 * 3600, sessions: 1 }, [day(1)]: { runtime: 16 * 3600, sessions: 1 } },
    [groupKey(['queue-b'])]: { [day(1)]: { runtime: 2 * 10 * 3600, sessions: 1 } },
  });
  // The buckets add up to the groups'.
  assert.deepEqual(Object.fromEntries(u.groups), { [groupKey(['queue-a'])]: { runtime: 40 * 3600, sessions: 1 }, [groupKey(['queue-b'])]: { runtime: 20 * 3600, sessions: 1 } });
  assert.deepEqual(u.total, { runtime: 60 * 3600, sessions: 2 });
  // Local days in a zone at +02:00: the first bucket is the range's start to local midnight.
  const east = runningUsage([session(-4)], { ...q, buckets: { zone: zoneOf('UTC+02:00'), period: 'DAILY' } });
  assert.deepEqual(Object.fromEntries(east.buckets.get(groupKey(['queue-a']))!), {
    [day(0)]: { runtime: 22 * 3600, sessions: 1 }, [day(1) - 2 * H]: { runtime: 18 * 3600, sessions: 1 },
  });
  // No period: one bucket, the range's start.
  const one = runningUsage([session(-4)], { ...q, buckets: { zone: utc, period: undefined } });
  assert.deepEqual(Object.fromEntries(one.buckets.get(groupKey(['queue-a']))!), { [T]: { runtime: 40 * 3600, sessions: 1 } });
  // Not asked for: none.
  assert.equal(runningUsage(sessions, { ...q, buckets: undefined }).buckets.size, 0);
});
