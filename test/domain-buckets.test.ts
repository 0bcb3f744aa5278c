// Bucket boundaries, one case per line: zone, period, [start, end) → every boundary.
// Times are written `YYYY-MM-DDTHH:MM` (UTC); expectations were worked out by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketBoundaries, floorToBucket, type Period } from '../src/domain/buckets.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';
import { referenceBoundaries, referenceZone } from './reference/reference-zone.js';

const ms = (t: string) => Date.parse(`${t}${t.length === 10 ? 'T00:00' : ''}Z`);
const text = (t: number) => new Date(t).toISOString().replace(/:00\.000Z$|\.000Z$/, '').replace(/Z$/, '');
const zone = (z: string) => parseTimezone(z, false) as TimeZone;
const boundaries = (z: string, p: Period | undefined, start: string, end: string) => bucketBoundaries(ms(start), ms(end), zone(z), p).map(text);

type Case = [zone: string, period: Period | undefined, start: string, end: string, expected: string[]];

function table(name: string, cases: Case[]): void {
  describe(name, () => {
    for (const [z, p, start, end, expected] of cases) {
      it(`${z} ${p ?? 'no period'} [${start}, ${end})`, () => assert.deepEqual(boundaries(z, p, start, end), expected));
    }
  });
}

table('no period, and ranges inside one bucket', [
  ['UTC', undefined, '2024-01-01T00:00', '2025-01-01T00:00', ['2024-01-01T00:00', '2025-01-01T00:00']],
  ['America/New_York', undefined, '2024-03-09T00:00', '2024-03-12T00:00', ['2024-03-09T00:00', '2024-03-12T00:00']],
  ['UTC', 'HOURLY', '2024-01-01T00:10', '2024-01-01T00:50', ['2024-01-01T00:10', '2024-01-01T00:50']],
  ['UTC', 'HOURLY', '2024-01-01T00:00', '2024-01-01T01:00', ['2024-01-01T00:00', '2024-01-01T01:00']], // an end on a boundary adds nothing
  ['UTC', 'DAILY', '2024-01-01T00:00:00.001', '2024-01-01T23:59:59.999', ['2024-01-01T00:00:00.001', '2024-01-01T23:59:59.999']],
  ['UTC', 'MONTHLY', '2024-02-01T00:00', '2024-03-01T00:00', ['2024-02-01T00:00', '2024-03-01T00:00']],
]);

table('HOURLY with whole, half and quarter hour offsets', [
  ['UTC', 'HOURLY', '2024-01-01T00:00', '2024-01-01T03:00', ['2024-01-01T00:00', '2024-01-01T01:00', '2024-01-01T02:00', '2024-01-01T03:00']],
  ['UTC', 'HOURLY', '2024-01-01T00:30', '2024-01-01T02:30', ['2024-01-01T00:30', '2024-01-01T01:00', '2024-01-01T02:00', '2024-01-01T02:30']],
  ['UTC', 'HOURLY', '2024-01-01T00:59:59.999', '2024-01-01T01:00:00.001', ['2024-01-01T00:59:59.999', '2024-01-01T01:00', '2024-01-01T01:00:00.001']],
  ['UTC+05:30', 'HOURLY', '2024-01-01T00:00', '2024-01-01T02:00', ['2024-01-01T00:00', '2024-01-01T00:30', '2024-01-01T01:30', '2024-01-01T02:00']],
  ['UTC-03:30', 'HOURLY', '2024-01-01T00:00', '2024-01-01T02:00', ['2024-01-01T00:00', '2024-01-01T00:30', '2024-01-01T01:30', '2024-01-01T02:00']],
  ['UTC+08:00', 'HOURLY', '2024-01-01T00:00', '2024-01-01T02:00', ['2024-01-01T00:00', '2024-01-01T01:00', '2024-01-01T02:00']],
  ['UTC+05:45', 'HOURLY', '2024-01-01T00:00', '2024-01-01T02:00', ['2024-01-01T00:00', '2024-01-01T00:15', '2024-01-01T01:15', '2024-01-01T02:00']],
  ['Asia/Kathmandu', 'HOURLY', '2024-01-01T00:00', '2024-01-01T02:00', ['2024-01-01T00:00', '2024-01-01T00:15', '2024-01-01T01:15', '2024-01-01T02:00']],
  ['UTC', 'HOURLY', '1969-12-31T22:30', '1970-01-01T00:30', ['1969-12-31T22:30', '1969-12-31T23:00', '1970-01-01T00:00', '1970-01-01T00:30']],
]);

table('DAILY at local midnight', [
  ['UTC', 'DAILY', '2024-01-01T00:00', '2024-01-03T00:00', ['2024-01-01T00:00', '2024-01-02T00:00', '2024-01-03T00:00']],
  ['UTC+08:00', 'DAILY', '2024-01-01T00:00', '2024-01-03T00:00', ['2024-01-01T00:00', '2024-01-01T16:00', '2024-01-02T16:00', '2024-01-03T00:00']],
  ['UTC+05:30', 'DAILY', '2024-01-01T00:00', '2024-01-02T00:00', ['2024-01-01T00:00', '2024-01-01T18:30', '2024-01-02T00:00']],
  ['UTC-03:30', 'DAILY', '2024-01-01T00:00', '2024-01-02T12:00', ['2024-01-01T00:00', '2024-01-01T03:30', '2024-01-02T03:30', '2024-01-02T12:00']],
  ['UTC-05:00', 'DAILY', '2024-01-01T05:00', '2024-01-02T05:00', ['2024-01-01T05:00', '2024-01-02T05:00']],
  ['UTC+14:00', 'DAILY', '2024-01-01T00:00', '2024-01-02T00:00', ['2024-01-01T00:00', '2024-01-01T10:00', '2024-01-02T00:00']],
  ['UTC', 'DAILY', '1969-12-30T12:00', '1970-01-02T00:00', ['1969-12-30T12:00', '1969-12-31T00:00', '1970-01-01T00:00', '1970-01-02T00:00']],
]);

table('WEEKLY from local Monday 00:00', [
  ['UTC', 'WEEKLY', '2024-01-03', '2024-01-20', ['2024-01-03T00:00', '2024-01-08T00:00', '2024-01-15T00:00', '2024-01-20T00:00']], // starts mid-week
  ['UTC', 'WEEKLY', '2024-01-01', '2024-01-15', ['2024-01-01T00:00', '2024-01-08T00:00', '2024-01-15T00:00']], // 2024-01-01 is a Monday
  ['UTC', 'WEEKLY', '2024-01-29', '2024-02-13', ['2024-01-29T00:00', '2024-02-05T00:00', '2024-02-12T00:00', '2024-02-13T00:00']], // across a month
  ['UTC', 'WEEKLY', '2024-12-25', '2025-01-10', ['2024-12-25T00:00', '2024-12-30T00:00', '2025-01-06T00:00', '2025-01-10T00:00']], // a week across the year end
  ['UTC+08:00', 'WEEKLY', '2024-01-03', '2024-01-20', ['2024-01-03T00:00', '2024-01-07T16:00', '2024-01-14T16:00', '2024-01-20T00:00']],
  ['UTC-03:30', 'WEEKLY', '2024-01-03', '2024-01-16', ['2024-01-03T00:00', '2024-01-08T03:30', '2024-01-15T03:30', '2024-01-16T00:00']],
  ['UTC+05:30', 'WEEKLY', '2024-01-07T18:29', '2024-01-07T18:31', ['2024-01-07T18:29', '2024-01-07T18:30', '2024-01-07T18:31']],
  ['UTC', 'WEEKLY', '1969-12-20', '1970-01-10', ['1969-12-20T00:00', '1969-12-22T00:00', '1969-12-29T00:00', '1970-01-05T00:00', '1970-01-10T00:00']],
]);

table('MONTHLY on the 1st', [
  ['UTC', 'MONTHLY', '2024-01-15', '2024-06-15', ['2024-01-15T00:00', '2024-02-01T00:00', '2024-03-01T00:00', '2024-04-01T00:00', '2024-05-01T00:00', '2024-06-01T00:00', '2024-06-15T00:00']],
  ['UTC', 'MONTHLY', '2024-11-15', '2025-02-10', ['2024-11-15T00:00', '2024-12-01T00:00', '2025-01-01T00:00', '2025-02-01T00:00', '2025-02-10T00:00']],
  ['UTC+05:30', 'MONTHLY', '2024-01-15', '2024-03-15', ['2024-01-15T00:00', '2024-01-31T18:30', '2024-02-29T18:30', '2024-03-15T00:00']],
  ['UTC-03:30', 'MONTHLY', '2024-12-15', '2025-01-15', ['2024-12-15T00:00', '2025-01-01T03:30', '2025-01-15T00:00']],
]);

describe('MONTHLY buckets last 28, 29, 30 or 31 days', () => {
  const days = (start: string, end: string) => {
    const b = bucketBoundaries(ms(start), ms(end), zone('UTC+08:00'), 'MONTHLY');
    return b.slice(1).map((t, i) => (t - b[i]!) / 86_400_000);
  };
  it('2023: January to May', () => assert.deepEqual(days('2022-12-31T16:00', '2023-05-31T16:00'), [31, 28, 31, 30, 31]));
  it('2024 (leap): January to May', () => assert.deepEqual(days('2023-12-31T16:00', '2024-05-31T16:00'), [31, 29, 31, 30, 31]));
  it('1900 was not a leap year, 2000 was', () => {
    assert.deepEqual(days('1900-01-31T16:00', '1900-02-28T16:00'), [28]);
    assert.deepEqual(days('2000-01-31T16:00', '2000-02-29T16:00'), [29]);
  });
});

table('daylight saving time: 23 and 25 hour days, repeated and skipped hours', [
  // New York: 2024-03-10 02:00 EST becomes 03:00 EDT; 2024-11-03 02:00 EDT becomes 01:00 EST.
  ['America/New_York', 'DAILY', '2024-03-09T05:00', '2024-03-12T04:00', ['2024-03-09T05:00', '2024-03-10T05:00', '2024-03-11T04:00', '2024-03-12T04:00']],
  ['America/New_York', 'DAILY', '2024-11-03T04:00', '2024-11-05T05:00', ['2024-11-03T04:00', '2024-11-04T05:00', '2024-11-05T05:00']],
  ['America/New_York', 'HOURLY', '2024-03-10T05:00', '2024-03-10T08:00', ['2024-03-10T05:00', '2024-03-10T06:00', '2024-03-10T07:00', '2024-03-10T08:00']],
  ['America/New_York', 'HOURLY', '2024-11-03T04:00', '2024-11-03T08:00', ['2024-11-03T04:00', '2024-11-03T05:00', '2024-11-03T06:00', '2024-11-03T07:00', '2024-11-03T08:00']],
  ['America/New_York', 'HOURLY', '2024-11-03T05:30', '2024-11-03T06:30', ['2024-11-03T05:30', '2024-11-03T06:00', '2024-11-03T06:30']], // 01:30 EDT to 01:30 EST
  ['America/New_York', 'WEEKLY', '2024-03-01', '2024-03-20', ['2024-03-01T00:00', '2024-03-04T05:00', '2024-03-11T04:00', '2024-03-18T04:00', '2024-03-20T00:00']],
  ['America/New_York', 'MONTHLY', '2024-02-15', '2024-04-15', ['2024-02-15T00:00', '2024-03-01T05:00', '2024-04-01T04:00', '2024-04-15T00:00']],
  ['America/New_York', 'MONTHLY', '2024-10-15', '2024-12-15', ['2024-10-15T00:00', '2024-11-01T04:00', '2024-12-01T05:00', '2024-12-15T00:00']],
  // London: 2024-03-31 01:00 GMT becomes 02:00 BST; 2024-10-27 02:00 BST becomes 01:00 GMT.
  ['Europe/London', 'DAILY', '2024-03-30', '2024-04-02', ['2024-03-30T00:00', '2024-03-31T00:00', '2024-03-31T23:00', '2024-04-01T23:00', '2024-04-02T00:00']],
  ['Europe/London', 'DAILY', '2024-10-26', '2024-10-29', ['2024-10-26T00:00', '2024-10-26T23:00', '2024-10-28T00:00', '2024-10-29T00:00']],
  ['Europe/London', 'HOURLY', '2024-10-26T23:00', '2024-10-27T02:00', ['2024-10-26T23:00', '2024-10-27T00:00', '2024-10-27T01:00', '2024-10-27T02:00']],
  ['Europe/London', 'HOURLY', '2024-03-31T00:00', '2024-03-31T02:00', ['2024-03-31T00:00', '2024-03-31T01:00', '2024-03-31T02:00']],
  // São Paulo 2018-11-04: midnight skipped (00:00 -03 became 01:00 -02): that day starts at 01:00 local.
  ['America/Sao_Paulo', 'DAILY', '2018-11-03T03:00', '2018-11-05T03:00', ['2018-11-03T03:00', '2018-11-04T03:00', '2018-11-05T02:00', '2018-11-05T03:00']],
  // Samoa skipped 2011-12-30 altogether: Thursday 23:59:59 -10 was followed by Saturday 00:00 +14.
  ['Pacific/Apia', 'DAILY', '2011-12-29T10:00', '2012-01-01T10:00', ['2011-12-29T10:00', '2011-12-30T10:00', '2011-12-31T10:00', '2012-01-01T10:00']],
  // Lord Howe Island moves by half an hour: 2024-04-07 02:00 +11 became 01:30 +10:30.
  ['Australia/Lord_Howe', 'HOURLY', '2024-04-06T13:00', '2024-04-06T16:00', ['2024-04-06T13:00', '2024-04-06T14:00', '2024-04-06T15:30', '2024-04-06T16:00']],
]);

describe('limits and bad ranges', () => {
  const utc = zone('UTC');
  it('allows exactly the limit', () => assert.equal(bucketBoundaries(0, 10 * 3_600_000, utc, 'HOURLY', 11).length, 11));
  it('throws past the limit, saying what to do', () => {
    assert.throws(() => bucketBoundaries(0, 10 * 3_600_000, utc, 'HOURLY', 10), /more than 9 HOURLY buckets; use a shorter range or a longer period/);
  });
  it('refuses a huge range before doing any work', () => {
    const began = performance.now();
    assert.throws(() => bucketBoundaries(ms('1950-01-01'), ms('2075-01-01'), zone('UTC+05:30'), 'HOURLY'), /more than 999999 HOURLY buckets/);
    assert.throws(() => bucketBoundaries(ms('1900-01-01'), ms('2300-01-01'), zone('Europe/London'), 'HOURLY'), /more than 999999 HOURLY buckets/);
    assert.ok(performance.now() - began < 100);
  });
  it('counts as it goes in a DST zone', () => {
    assert.throws(() => bucketBoundaries(ms('2024-01-01'), ms('2024-02-01'), zone('Europe/London'), 'HOURLY', 700), /more than 699 HOURLY buckets/);
    assert.equal(bucketBoundaries(ms('2024-01-01'), ms('2024-02-01'), zone('Europe/London'), 'HOURLY', 745).length, 745);
    assert.equal(bucketBoundaries(ms('2024-01-01'), ms('2024-02-01'), zone('Europe/London'), 'DAILY', 32).length, 32);
  });
  it('no period never throws for size', () => assert.equal(bucketBoundaries(ms('1000-01-01'), ms('9000-01-01'), utc, undefined, 2).length, 2));
  it('throws when start is not before end', () => {
    assert.throws(() => bucketBoundaries(5, 5, utc, 'DAILY'), RangeError);
    assert.throws(() => bucketBoundaries(6, 5, utc, undefined), RangeError);
  });
});

describe('agrees with the independent reference on odd zone histories', () => {
  const zones = ['UTC+05:45', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Pacific/Apia', 'Antarctica/Troll', 'America/Sao_Paulo', 'America/Havana', 'Pacific/Chatham'];
  const ranges: [string, string][] = [['2011-06-01T00:07', '2012-03-01'], ['2018-10-01T12:34:56.789', '2019-03-01']];
  for (const z of zones) {
    it(z, () => {
      const tz = zone(z);
      for (const p of ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'] as const) {
        for (const [start, end] of ranges) {
          const expected = referenceBoundaries(referenceZone(z), ms(start), ms(end), p).map(text);
          assert.deepEqual(bucketBoundaries(ms(start), ms(end), tz, p).map(text), expected, `${p} [${start}, ${end})`);
        }
      }
    });
  }
});

describe('floorToBucket', () => {
  const cases: [string, Period, string, string][] = [
    ['UTC+05:30', 'HOURLY', '2024-01-01T00:10', '2023-12-31T23:30'],
    ['UTC+05:30', 'HOURLY', '2024-01-01T00:30', '2024-01-01T00:30'],
    ['UTC-03:30', 'DAILY', '2024-01-01T02:00', '2023-12-31T03:30'],
    ['UTC', 'WEEKLY', '2024-01-07T23:59:59.999', '2024-01-01T00:00'],
    ['UTC', 'WEEKLY', '1970-01-01T00:00', '1969-12-29T00:00'],
    ['UTC', 'MONTHLY', '2024-02-29T12:00', '2024-02-01T00:00'],
    ['UTC+08:00', 'MONTHLY', '2024-02-29T16:00', '2024-02-29T16:00'],
    ['America/New_York', 'HOURLY', '2024-11-03T05:30', '2024-11-03T05:00'], // 01:30 EDT
    ['America/New_York', 'HOURLY', '2024-11-03T06:30', '2024-11-03T06:00'], // 01:30 EST: the second 01:00
    ['America/New_York', 'DAILY', '2024-11-04T04:59', '2024-11-03T04:00'], // the 25-hour day
    ['Europe/London', 'DAILY', '2024-03-31T23:30', '2024-03-31T23:00'],
    ['America/Sao_Paulo', 'DAILY', '2018-11-04T12:00', '2018-11-04T03:00'],
  ];
  for (const [z, p, t, expected] of cases) it(`${z} ${p} ${t} → ${expected}`, () => assert.equal(text(floorToBucket(ms(t), zone(z), p)), expected));

  it('agrees with bucketBoundaries at and around every boundary', () => {
    for (const z of ['UTC-03:30', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe']) {
      const tz = zone(z);
      for (const p of ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'] as const) {
        const b = bucketBoundaries(ms('2024-01-01T00:07'), ms('2024-12-31'), tz, p);
        for (let i = 1; i < b.length - 1; i++) {
          assert.equal(floorToBucket(b[i]!, tz, p), b[i], `${z} ${p} at ${text(b[i]!)}`);
          assert.equal(floorToBucket(b[i + 1]! - 1, tz, p), b[i], `${z} ${p} before ${text(b[i + 1]!)}`);
        }
      }
    }
  });
});
