// uniformGrid is the arithmetic form of bucketBoundaries that the SQL engine uses where it
// can: both must put every instant in the same bucket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketBoundaries, uniformGrid, type Period } from '../src/domain/buckets.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';

const zone = (text: string) => parseTimezone(text, false) as TimeZone;

test('uniformGrid assigns every boundary the index bucketBoundaries gives it', () => {
  const ranges: [number, number][] = [
    [Date.UTC(2025, 0, 1), Date.UTC(2025, 2, 1)],
    [Date.UTC(2025, 0, 1, 7, 31, 12, 5), Date.UTC(2025, 1, 3, 22, 0, 0, 1)],
    [Date.UTC(2024, 11, 29, 23, 30), Date.UTC(2025, 0, 6, 0, 30)],
  ];
  for (const text of ['UTC', 'UTC+05:30', 'UTC-03:30', 'UTC+08:00', 'UTC+05:45', 'UTC-09:00']) {
    for (const period of ['HOURLY', 'DAILY', 'WEEKLY', undefined] as (Period | undefined)[]) {
      for (const [start, end] of ranges) {
        const grid = uniformGrid(start, end, zone(text), period)!;
        const bounds = bucketBoundaries(start, end, zone(text), period);
        const index = (t: number) => Math.floor((t - grid.originMs) / grid.widthMs);
        for (let i = 0; i < bounds.length - 1; i++) {
          const what = `${text} ${period} bucket ${i}`;
          assert.equal(index(bounds[i]!), i, `${what} start`);
          assert.equal(index(bounds[i + 1]! - 1), i, `${what} last millisecond`);
        }
      }
    }
  }
});

test('MONTHLY and IANA zones have no uniform grid', () => {
  const [s, e] = [Date.UTC(2025, 0, 1), Date.UTC(2025, 5, 1)];
  assert.equal(uniformGrid(s, e, zone('UTC'), 'MONTHLY'), undefined);
  assert.equal(uniformGrid(s, e, zone('America/New_York'), 'DAILY'), undefined);
  assert.deepEqual(uniformGrid(s, e, zone('America/New_York'), undefined), { originMs: s, widthMs: e - s });
});

test('monthGrid assigns every MONTHLY boundary the index bucketBoundaries gives it', async () => {
  const { monthGrid, monthNumber } = await import('../src/domain/buckets.js');
  const ranges: [number, number][] = [
    [Date.UTC(2023, 11, 31, 20), Date.UTC(2025, 2, 1, 3, 17)],
    [Date.UTC(2024, 1, 10), Date.UTC(2024, 2, 1)],
  ];
  for (const text of ['UTC', 'UTC+05:30', 'UTC-03:30', 'UTC+14:00', 'UTC-12:00']) {
    for (const [start, end] of ranges) {
      const grid = monthGrid(start, zone(text), 'MONTHLY')!;
      const bounds = bucketBoundaries(start, end, zone(text), 'MONTHLY');
      const index = (t: number) => monthNumber(t + grid.offsetMs) - grid.firstMonth;
      for (let i = 0; i < bounds.length - 1; i++) {
        assert.equal(index(bounds[i]!), i, `${text} bucket ${i} start`);
        assert.equal(index(bounds[i + 1]! - 1), i, `${text} bucket ${i} last millisecond`);
      }
    }
  }
  assert.equal(monthGrid(ranges[0]![0], zone('Europe/London'), 'MONTHLY'), undefined);
  assert.equal(monthGrid(ranges[0]![0], zone('UTC'), 'DAILY'), undefined);
});
