// The runtime of running sessions within a statistics range (domain/running-usage.ts): each
// usage record from max(startedAt, start) to min(asOf, end), added up by group and filtered
// as the page groups and filters the statistics' rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionForUsage } from '../src/domain/aggregation-rules.js';
import { groupKey, runningUsage } from '../src/domain/running-usage.js';

const H = 3_600_000;
const T = Date.UTC(2026, 0, 1);

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
