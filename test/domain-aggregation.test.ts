// The aggregation rules (SPEC section 2, rules 8 to 12) in tiny cases, then aggregateInMemory
// against the independent reference on generated farms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aggregateInMemory,
  compareRows,
  groupFieldMember,
  StatsAccumulator,
  statsObject,
  usageRecords,
  type GroupByField,
  type Row,
  type SessionForUsage,
  type UsageRecord,
} from '../src/domain/aggregation-rules.js';
import type { Period } from '../src/domain/buckets.js';
import { hourlyRate } from '../src/domain/pricing.js';
import type { SessionRecord } from '../src/domain/resources.js';
import type { SameKeys } from '../src/domain/session-record.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';
import { generateFarm, referenceAggregate, type GeneratedFarm, type RefRequest, type RefRow, type RefSession } from './reference/aggregate-reference.js';
import { mulberry32 } from './reference/generate-farm.js';

const ms = (t: string) => Date.parse(`${t}Z`);
const iso = (t: number) => new Date(t).toISOString().replace(/:00\.000Z$/, '');
const UTC = parseTimezone('UTC', false) as TimeZone;
const HOUR = 3_600_000;

const session = (over: Partial<SessionForUsage> = {}): SessionForUsage => ({
  queueId: 'queue-1', fleetId: 'fleet-1', jobId: 'job-1', jobName: 'Job', userId: 'ann', instanceType: 'c5.large', startedAt: ms('2024-01-01T00:00'), endedAt: ms('2024-01-01T01:00'), ...over,
});
const record = (from: string, to: string, over: Partial<UsageRecord> = {}): UsageRecord => ({
  queueId: 'queue-1', fleetId: 'fleet-1', jobId: 'job-1', jobName: 'Job', userId: 'ann', usageType: 'COMPUTE',
  startedAt: ms(from), endedAt: ms(to), costPerHourUsd: 2, ...over,
});

describe('usageRecords (rule 8)', () => {
  const asOf = ms('2024-01-01T10:00');
  const kinds = (s: SessionForUsage) => usageRecords(s, asOf, () => 1).map((r) => `${r.usageType}:${r.instanceType ?? '-'}:${r.licenseProduct ?? '-'}:${iso(r.startedAt)}-${iso(r.endedAt)}`);
  const cases: [string, Partial<SessionForUsage>, string[]][] = [
    ['no license products: one COMPUTE record', {}, ['COMPUTE:c5.large:-:2024-01-01T00:00-2024-01-01T01:00']],
    ['empty list: the same', { licenseProducts: [] }, ['COMPUTE:c5.large:-:2024-01-01T00:00-2024-01-01T01:00']],
    ['three products: one LICENSE record each, without instance type', { licenseProducts: ['maya', 'nuke', 'arnold'] },
      ['COMPUTE:c5.large:-:2024-01-01T00:00-2024-01-01T01:00', 'LICENSE:-:maya:2024-01-01T00:00-2024-01-01T01:00', 'LICENSE:-:nuke:2024-01-01T00:00-2024-01-01T01:00', 'LICENSE:-:arnold:2024-01-01T00:00-2024-01-01T01:00']],
    ['a product listed twice is used once', { licenseProducts: ['maya', 'maya'] }, ['COMPUTE:c5.large:-:2024-01-01T00:00-2024-01-01T01:00', 'LICENSE:-:maya:2024-01-01T00:00-2024-01-01T01:00']],
    ['no instance type', { instanceType: undefined }, ['COMPUTE:-:-:2024-01-01T00:00-2024-01-01T01:00']],
    ['running: ends when Start was called', { endedAt: undefined }, ['COMPUTE:c5.large:-:2024-01-01T00:00-2024-01-01T10:00']],
    ['running, started after Start was called: zero length', { startedAt: ms('2024-01-01T11:00'), endedAt: undefined }, ['COMPUTE:c5.large:-:2024-01-01T11:00-2024-01-01T11:00']],
    ['zero length stays zero length', { endedAt: ms('2024-01-01T00:00') }, ['COMPUTE:c5.large:-:2024-01-01T00:00-2024-01-01T00:00']],
  ];
  for (const [name, over, expected] of cases) it(name, () => assert.deepEqual(kinds(session(over)), expected));

  it('absent members are absent, not undefined', () => {
    const [compute] = usageRecords(session({ instanceType: undefined }), asOf, () => 1);
    assert.ok(compute && !('instanceType' in compute) && !('licenseProduct' in compute));
  });
  it('prices each record with the caller’s function', () => {
    const priced = usageRecords(session({ licenseProducts: ['maya'] }), asOf, (u) => (u.usageType === 'LICENSE' ? 0.5 : 3));
    assert.deepEqual(priced.map((r) => r.costPerHourUsd), [3, 0.5]);
  });
});

describe('groupFieldMember', () => {
  const cases: [GroupByField, string][] = [['QUEUE_ID', 'queueId'], ['FLEET_ID', 'fleetId'], ['JOB_ID', 'jobId'], ['USER_ID', 'userId'], ['USAGE_TYPE', 'usageType'], ['INSTANCE_TYPE', 'instanceType'], ['LICENSE_PRODUCT', 'licenseProduct']];
  for (const [field, member] of cases) it(`${field} → ${member}`, () => assert.equal(groupFieldMember(field), member));
});

describe('compareRows (rule 12)', () => {
  const row = (start: string, values: Partial<Row> = {}) => ({ aggregationStartTime: ms(start), ...values });
  const T = '2024-01-01T00:00';
  const cases: [string, ReturnType<typeof row>, ReturnType<typeof row>, GroupByField[], -1 | 0 | 1][] = [
    ['earlier bucket first, whatever the values', row('2024-01-01T00:00', { userId: 'z' }), row('2024-01-01T01:00', { userId: 'a' }), ['USER_ID'], -1],
    ['equal', row(T, { userId: 'a' }), row(T, { userId: 'a' }), ['USER_ID'], 0],
    ['absent before present', row(T), row(T, { instanceType: 'a' }), ['INSTANCE_TYPE'], -1],
    ['absent before the empty string', row(T), row(T, { licenseProduct: '' }), ['LICENSE_PRODUCT'], -1],
    ['empty string before any other', row(T, { userId: '' }), row(T, { userId: 'A' }), ['USER_ID'], -1],
    ["'Z' < 'a' (not locale order)", row(T, { userId: 'Z' }), row(T, { userId: 'a' }), ['USER_ID'], -1],
    ["'B' < 'a'", row(T, { userId: 'a' }), row(T, { userId: 'B' }), ['USER_ID'], 1],
    ["'z' < 'é' (U+00E9)", row(T, { userId: 'é' }), row(T, { userId: 'z' }), ['USER_ID'], 1],
    ["'É' (U+00C9) < 'é'", row(T, { userId: 'É' }), row(T, { userId: 'é' }), ['USER_ID'], -1],
    ['a prefix first', row(T, { userId: 'ab' }), row(T, { userId: 'a' }), ['USER_ID'], 1],
    ["'a10' < 'a9' (no numeric collation)", row(T, { userId: 'a10' }), row(T, { userId: 'a9' }), ['USER_ID'], -1],
    ['a surrogate pair sorts before U+FFFD (code units, not code points)', row(T, { userId: '\u{1F600}' }), row(T, { userId: '\uFFFD' }), ['USER_ID'], -1],
    ['first field decides', row(T, { queueId: 'q1', userId: 'b' }), row(T, { queueId: 'q2', userId: 'a' }), ['QUEUE_ID', 'USER_ID'], -1],
    ['request order of fields matters', row(T, { queueId: 'q1', userId: 'b' }), row(T, { queueId: 'q2', userId: 'a' }), ['USER_ID', 'QUEUE_ID'], 1],
    ['second field breaks ties', row(T, { usageType: 'LICENSE', licenseProduct: 'nuke' }), row(T, { usageType: 'LICENSE', licenseProduct: 'maya' }), ['USAGE_TYPE', 'LICENSE_PRODUCT'], 1],
    ["'COMPUTE' < 'LICENSE'", row(T, { usageType: 'LICENSE' }), row(T, { usageType: 'COMPUTE' }), ['USAGE_TYPE'], 1],
    ['fields not grouped by are ignored', row(T, { queueId: 'a', userId: 'x' }), row(T, { queueId: 'b', userId: 'x' }), ['USER_ID'], 0],
  ];
  for (const [name, a, b, groupBy, expected] of cases) {
    it(name, () => {
      assert.equal(Math.sign(compareRows(a, b, groupBy)), expected);
      assert.equal(Math.sign(compareRows(b, a, groupBy)), -expected || 0);
    });
  }
});

describe('StatsAccumulator and statsObject (rule 10)', () => {
  const acc = new StatsAccumulator();
  for (const v of [3000, 1000, 2000]) acc.add(v);
  const cases: [string, Parameters<typeof statsObject>[1], number, object][] = [
    ['all four', ['SUM', 'MIN', 'MAX', 'AVG'], 1, { sum: 6000, min: 1000, max: 3000, avg: 2000 }],
    ['only SUM', ['SUM'], 1, { sum: 6000 }],
    ['only AVG', ['AVG'], 1, { avg: 2000 }],
    ['MIN and MAX', ['MAX', 'MIN'], 1, { min: 1000, max: 3000 }],
    ['milliseconds to seconds', ['SUM', 'AVG'], 1000, { sum: 6, avg: 2 }],
  ];
  for (const [name, statistics, divisor, expected] of cases) it(name, () => assert.deepEqual(statsObject(acc, statistics, divisor), expected));
  it('counts', () => assert.equal(acc.count, 3));
});

describe('aggregateInMemory: tiny cases', () => {
  type Brief = [string, string, number, number?, number?]; // bucket start, end, count, runtime sum, cost sum
  const run = (records: UsageRecord[], from: string, to: string, over: Partial<Parameters<typeof aggregateInMemory>[1]> = {}) =>
    aggregateInMemory(records, { startMs: ms(from), endMs: ms(to), tz: UTC, groupBy: ['QUEUE_ID'], statistics: ['SUM'], ...over });
  const brief = (rows: Row[]): Brief[] => rows.map((r) => [iso(r.aggregationStartTime), iso(r.aggregationEndTime), r.count, r.runtimeInSeconds.sum!, r.costInUsd.sum!]);

  it('splits at bucket edges', () => {
    assert.deepEqual(brief(run([record('2024-01-01T00:30', '2024-01-01T02:30')], '2024-01-01T00:00', '2024-01-01T03:00', { period: 'HOURLY' })), [
      ['2024-01-01T00:00', '2024-01-01T01:00', 1, 1800, 1],
      ['2024-01-01T01:00', '2024-01-01T02:00', 1, 3600, 2],
      ['2024-01-01T02:00', '2024-01-01T03:00', 1, 1800, 1],
    ]);
  });
  it('clips to the range, and buckets to it', () => {
    assert.deepEqual(brief(run([record('2023-12-31T23:00', '2024-01-01T05:00')], '2024-01-01T00:30', '2024-01-01T02:00', { period: 'HOURLY' })), [
      ['2024-01-01T00:30', '2024-01-01T01:00', 1, 1800, 1],
      ['2024-01-01T01:00', '2024-01-01T02:00', 1, 3600, 2],
    ]);
  });
  it('a record ending on a bucket edge adds nothing to the next bucket', () => {
    assert.deepEqual(brief(run([record('2024-01-01T00:00', '2024-01-01T01:00')], '2024-01-01T00:00', '2024-01-01T03:00', { period: 'HOURLY' })), [['2024-01-01T00:00', '2024-01-01T01:00', 1, 3600, 2]]);
  });
  const nothing: [string, UsageRecord][] = [
    ['zero length', record('2024-01-01T00:30', '2024-01-01T00:30')],
    ['zero length on a bucket edge', record('2024-01-01T01:00', '2024-01-01T01:00')],
    ['ends where the range starts', record('2023-12-31T22:00', '2024-01-01T00:00')],
    ['starts where the range ends', record('2024-01-01T03:00', '2024-01-01T04:00')],
    ['entirely before', record('2023-06-01T00:00', '2023-06-02T00:00')],
  ];
  for (const [name, r] of nothing) it(`no row: ${name}`, () => assert.deepEqual(run([r], '2024-01-01T00:00', '2024-01-01T03:00', { period: 'HOURLY' }), []));

  it('count, sum, min, max and avg over slices of several records', () => {
    const rows = run([record('2024-01-01T00:00', '2024-01-01T01:00'), record('2024-01-01T00:30', '2024-01-01T02:00', { costPerHourUsd: 4 })], '2024-01-01T00:00', '2024-01-01T02:00', { period: 'HOURLY', statistics: ['SUM', 'MIN', 'MAX', 'AVG'] });
    assert.deepEqual(rows, [
      { aggregationStartTime: ms('2024-01-01T00:00'), aggregationEndTime: ms('2024-01-01T01:00'), queueId: 'queue-1', count: 2, runtimeInSeconds: { sum: 5400, min: 1800, max: 3600, avg: 2700 }, costInUsd: { sum: 4, min: 2, max: 2, avg: 2 } },
      { aggregationStartTime: ms('2024-01-01T01:00'), aggregationEndTime: ms('2024-01-01T02:00'), queueId: 'queue-1', count: 1, runtimeInSeconds: { sum: 3600, min: 3600, max: 3600, avg: 3600 }, costInUsd: { sum: 4, min: 4, max: 4, avg: 4 } },
    ]);
  });
  it('only the requested statistics, in both stats', () => {
    const [row] = run([record('2024-01-01T00:00', '2024-01-01T01:00')], '2024-01-01T00:00', '2024-01-02T00:00', { statistics: ['MAX'] });
    assert.deepEqual([row?.runtimeInSeconds, row?.costInUsd], [{ max: 3600 }, { max: 2 }]);
  });
  it('no period: one bucket, the whole range', () => {
    assert.deepEqual(brief(run([record('2024-01-01T00:00', '2024-03-01T00:00')], '2024-01-15T00:00', '2024-02-15T00:00')), [['2024-01-15T00:00', '2024-02-15T00:00', 1, 31 * 86400, 31 * 48]]);
  });
  it('a half-hour zone: DAILY buckets start at 18:30 UTC', () => {
    const tz = parseTimezone('UTC+05:30', true) as TimeZone;
    assert.deepEqual(brief(run([record('2024-01-01T12:00', '2024-01-02T00:00')], '2024-01-01T00:00', '2024-01-02T00:00', { period: 'DAILY', tz })), [
      ['2024-01-01T00:00', '2024-01-01T18:30', 1, 6.5 * 3600, 13],
      ['2024-01-01T18:30', '2024-01-02T00:00', 1, 5.5 * 3600, 11],
    ]);
  });
  it('row members: only the group-by fields (rule 11), absent values absent and first', () => {
    const rows = run([record('2024-01-01T00:00', '2024-01-01T01:00', { instanceType: 'm5' }), record('2024-01-01T00:00', '2024-01-01T01:00')], '2024-01-01T00:00', '2024-01-01T01:00', { groupBy: ['INSTANCE_TYPE', 'USAGE_TYPE'] });
    assert.deepEqual(rows.map((r) => Object.keys(r).sort()), [
      ['aggregationEndTime', 'aggregationStartTime', 'costInUsd', 'count', 'runtimeInSeconds', 'usageType'],
      ['aggregationEndTime', 'aggregationStartTime', 'costInUsd', 'count', 'instanceType', 'runtimeInSeconds', 'usageType'],
    ]);
  });
  it('JOB_ID rows carry jobName: the latest-started record’s name', () => {
    const rows = run([record('2024-01-01T00:00', '2024-01-01T01:00', { jobName: 'new' }), record('2023-12-31T00:00', '2024-01-01T01:00', { jobName: 'old' })], '2024-01-01T00:00', '2024-01-01T01:00', { groupBy: ['JOB_ID'] });
    assert.deepEqual(rows.map((r) => [r.jobId, r.jobName, r.count]), [['job-1', 'new', 2]]);
  });
  it('rows in rule 12 order', () => {
    const users = ['b', 'Z', 'a', 'é', 'A'];
    const rows = run(users.map((u) => record('2024-01-01T00:00', '2024-01-01T02:00', { userId: u })), '2024-01-01T00:00', '2024-01-01T02:00', { groupBy: ['USER_ID'], period: 'HOURLY' });
    assert.deepEqual(rows.map((r) => `${iso(r.aggregationStartTime).slice(11)} ${r.userId}`), ['00:00 A', '00:00 Z', '00:00 a', '00:00 b', '00:00 é', '01:00 A', '01:00 Z', '01:00 a', '01:00 b', '01:00 é']);
  });
  it('a running session counts up to the Start call', () => {
    const records = usageRecords(session({ endedAt: undefined, startedAt: ms('2024-01-01T00:00') }), ms('2024-01-01T01:30'), () => 1);
    assert.deepEqual(brief(run(records, '2024-01-01T00:00', '2024-01-01T03:00', { period: 'HOURLY' })), [
      ['2024-01-01T00:00', '2024-01-01T01:00', 1, 3600, 1],
      ['2024-01-01T01:00', '2024-01-01T02:00', 1, 1800, 0.5],
    ]);
  });
  it('the repeated hour of New York is two rows', () => {
    const tz = parseTimezone('America/New_York', false) as TimeZone;
    const rows = run([record('2024-11-03T05:30', '2024-11-03T06:30')], '2024-11-03T04:00', '2024-11-03T08:00', { period: 'HOURLY', tz });
    assert.deepEqual(brief(rows), [['2024-11-03T05:00', '2024-11-03T06:00', 1, 1800, 1], ['2024-11-03T06:00', '2024-11-03T07:00', 1, 1800, 1]]);
  });
  it('HOURLY over a fixed half-hour zone splits whole hours in two', () => {
    const tz = parseTimezone('UTC-03:30', true) as TimeZone;
    assert.deepEqual(brief(run([record('2024-01-01T00:00', '2024-01-01T01:00')], '2024-01-01T00:00', '2024-01-01T01:00', { period: 'HOURLY', tz })), [
      ['2024-01-01T00:00', '2024-01-01T00:30', 1, 1800, 1],
      ['2024-01-01T00:30', '2024-01-01T01:00', 1, 1800, 1],
    ]);
  });
});

// ---------------------------------------------------------------------------------------
// aggregateInMemory against the independent reference, on generated farms.

// The reference declares its session record itself (it imports nothing from src/); the
// compiler holds that declaration to the domain's: the same fields, each of the same type.
type RefRecord = Omit<RefSession, 'fleetKind'>;
const refRecordFields: SameKeys<keyof RefRecord, keyof SessionRecord> = true;
const refRecordTypes: [RefRecord, SessionRecord] extends [SessionRecord, RefRecord] ? true : never = true;
void refRecordFields;
void refRecordTypes;

/** The domain's whole pipeline, as the server would run it, with rows as the wire carries them. */
function domainAggregate(farm: GeneratedFarm, request: RefRequest): { rows: RefRow[]; missingRates: string[] } {
  const tz = parseTimezone(request.timezone ?? 'UTC', false) as TimeZone;
  const missing = new Set<string>();
  const records: UsageRecord[] = [];
  for (const s of farm.sessions) {
    for (const r of usageRecords(s, request.asOfMs, (u) => hourlyRate(farm.rateCard, { ...u, fleetKind: s.fleetKind }).rate * farm.costScaleFactor)) {
      records.push(r);
      const { missing: what } = hourlyRate(farm.rateCard, { ...r, fleetKind: s.fleetKind });
      if (what && Math.min(r.endedAt, request.endMs) > Math.max(r.startedAt, request.startMs)) missing.add(what);
    }
  }
  const rows = aggregateInMemory(records, { startMs: request.startMs, endMs: request.endMs, tz, groupBy: request.groupBy, statistics: request.statistics, ...(request.period && { period: request.period }) });
  const wire = rows.map(({ aggregationStartTime, aggregationEndTime, ...rest }) => ({ aggregationStartTime: new Date(aggregationStartTime).toISOString(), aggregationEndTime: new Date(aggregationEndTime).toISOString(), ...rest }));
  return { rows: wire, missingRates: [...missing].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
}

const close = (a: number | undefined, b: number | undefined) => a === b || (a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)));

function assertSameRows(actual: RefRow[], expected: RefRow[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: row count`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    const strip = ({ runtimeInSeconds: _r, costInUsd: _c, ...rest }: RefRow) => rest;
    assert.deepEqual(strip(a), strip(e), `${what}: row ${i}`);
    for (const stat of ['runtimeInSeconds', 'costInUsd'] as const) {
      assert.deepEqual(Object.keys(a[stat]).sort(), Object.keys(e[stat]).sort(), `${what}: row ${i} ${stat} members`);
      for (const k of ['sum', 'min', 'max', 'avg'] as const) assert.ok(close(a[stat][k], e[stat][k]), `${what}: row ${i} ${stat}.${k}: ${a[stat][k]} vs ${e[stat][k]}`);
    }
  });
}

const ZONES = [undefined, 'UTC', 'UTC+05:30', 'UTC-03:30', 'UTC+08:00', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu'];
const PERIODS: (Period | undefined)[] = [undefined, 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'];
const FIELDS: GroupByField[] = ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'];
const STATISTICS = ['SUM', 'MIN', 'MAX', 'AVG'] as const;
const LONGEST_RANGE_DAYS: Record<string, number> = { HOURLY: 6, DAILY: 60, WEEKLY: 120, MONTHLY: 130, none: 130 };
// Spring (a leap day, both DST starts) and autumn (both DST ends, a year end).
const SPANS = [{ startMs: Date.UTC(2024, 1, 10), days: 80 }, { startMs: Date.UTC(2024, 8, 20), days: 120 }];

function randomRequest(rnd: () => number, farm: GeneratedFarm, timezone: string | undefined, period: Period | undefined): RefRequest {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const span = farm.spanEndMs - farm.spanStartMs;
  const length = Math.max(1, Math.floor(rnd() * LONGEST_RANGE_DAYS[period ?? 'none']! * 86_400_000));
  const align = (t: number, unit = pick([HOUR / 2, HOUR, 86_400_000])) => (rnd() < 0.5 ? t : Math.floor(t / unit) * unit);
  // Now and then past asOf: running sessions stop counting there.
  const startMs = align(farm.spanStartMs - 86_400_000 + Math.floor(rnd() * (span + 2 * 86_400_000 - length)));
  const endMs = Math.max(startMs + 1, align(startMs + length));
  const groupBy = [...FIELDS].sort(() => rnd() - 0.5).slice(0, 1 + Math.floor(rnd() * 3));
  const statistics = STATISTICS.filter(() => rnd() < 0.6);
  return { startMs, endMs, ...(timezone && { timezone }), ...(period && { period }), groupBy, statistics: statistics.length ? statistics : ['SUM'], asOfMs: farm.asOfMs };
}

describe('aggregateInMemory agrees with the independent reference', () => {
  for (const [seed, span] of [1, 2, 3, 4].map((seed) => [seed, SPANS[seed % 2]!] as const)) {
    const farm = generateFarm(seed, { ...span, sessions: 250 });
    for (const period of PERIODS) {
      it(`farm ${seed}, ${period ?? 'no period'}, every zone`, () => {
        const rnd = mulberry32(seed * 1000 + PERIODS.indexOf(period));
        for (const timezone of ZONES) {
          for (let round = 0; round < 3; round++) {
            const request = randomRequest(rnd, farm, timezone, period);
            const what = `${timezone ?? 'default'} ${JSON.stringify({ ...request, startMs: new Date(request.startMs).toISOString(), endMs: new Date(request.endMs).toISOString() })}`;
            const expected = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, request);
            const actual = domainAggregate(farm, request);
            assertSameRows(actual.rows, expected.rows, what);
            assert.deepEqual(actual.missingRates, expected.missingRates, `${what}: missing rates`);
          }
        }
      });
    }
  }

  it('sees rows at all: the generated farms are not empty where it matters', () => {
    const farm = generateFarm(7);
    const { rows, missingRates } = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, {
      startMs: farm.spanStartMs, endMs: farm.spanEndMs, period: 'WEEKLY', groupBy: ['USAGE_TYPE', 'LICENSE_PRODUCT'], statistics: ['SUM'], asOfMs: farm.asOfMs,
    });
    assert.ok(rows.length > 20);
    assert.ok(rows.some((r) => r.usageType === 'COMPUTE' && !('licenseProduct' in r)));
    assert.deepEqual(missingRates.filter((m) => m.startsWith('license product')), ['license product nuke', 'license product Élan']);
    assert.ok(missingRates.includes('instance type r6i.8xlarge'));
    assert.ok(missingRates.some((m) => m.startsWith('instance type (unknown) on service-managed fleet fleet-')));
  });
});

describe('bucket sums add up to the whole-range total', () => {
  const farm = generateFarm(11, { sessions: 300 });
  const startMs = farm.spanStartMs + 3 * HOUR + 1234;
  const endMs = farm.spanEndMs + 86_400_000; // past asOf
  for (const timezone of ['UTC-03:30', 'America/New_York', 'Europe/London']) {
    for (const period of ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'] as const) {
      it(`${timezone} ${period}, per user`, () => {
        const request: RefRequest = { startMs, endMs, timezone, groupBy: ['USER_ID'], statistics: ['SUM'], asOfMs: farm.asOfMs };
        const totals = new Map(domainAggregate(farm, request).rows.map((r) => [r.userId, r]));
        const sums = new Map<string | undefined, { runtime: number; cost: number }>();
        for (const r of domainAggregate(farm, { ...request, period }).rows) {
          const s = sums.get(r.userId) ?? { runtime: 0, cost: 0 };
          sums.set(r.userId, { runtime: s.runtime + r.runtimeInSeconds.sum!, cost: s.cost + r.costInUsd.sum! });
        }
        assert.deepEqual([...sums.keys()].sort(), [...totals.keys()].sort());
        for (const [user, s] of sums) {
          assert.ok(close(s.runtime, totals.get(user)!.runtimeInSeconds.sum), `${user} runtime ${s.runtime} vs ${totals.get(user)!.runtimeInSeconds.sum}`);
          assert.ok(close(s.cost, totals.get(user)!.costInUsd.sum), `${user} cost ${s.cost} vs ${totals.get(user)!.costInUsd.sum}`);
        }
      });
    }
  }
});
