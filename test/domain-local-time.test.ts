// Times typed without an offset are local to the query's zone; with one they are instants.
// And back: an instant as ISO 8601 on a zone's wall clock, with the offset it had then.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIsoLocal, parseLocalTime } from '../src/domain/local-time.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';

const zone = (name: string) => parseTimezone(name, false) as TimeZone;
const at = (text: string, tz: string) => {
  const ms = parseLocalTime(text, zone(tz));
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

describe('parseLocalTime', () => {
  test('a date is local midnight in the zone, whole or half-hour offsets alike', () => {
    assert.equal(at('2025-01-01', 'UTC'), '2025-01-01T00:00:00.000Z');
    assert.equal(at('2025-01-01', 'UTC+08:00'), '2024-12-31T16:00:00.000Z');
    assert.equal(at('2025-01-01', 'UTC-03:30'), '2025-01-01T03:30:00.000Z');
    assert.equal(at('2025-03-01T10:15', 'UTC+05:45'), '2025-03-01T04:30:00.000Z');
    assert.equal(at('2025-03-01 10:15:30.25', 'UTC+05:30'), '2025-03-01T04:45:30.250Z');
  });

  test('an offset or Z names the instant whatever the zone', () => {
    assert.equal(at('2025-01-01T00:00:00Z', 'UTC+08:00'), '2025-01-01T00:00:00.000Z');
    assert.equal(at('2025-01-01T08:00:00+08:00', 'America/New_York'), '2025-01-01T00:00:00.000Z');
  });

  test('across daylight saving: a skipped time is the jump itself, a repeated one its first instant', () => {
    assert.equal(at('2025-03-09', 'America/New_York'), '2025-03-09T05:00:00.000Z');
    assert.equal(at('2025-03-09T02:30', 'America/New_York'), '2025-03-09T07:00:00.000Z');
    assert.equal(at('2025-11-02T01:30', 'America/New_York'), '2025-11-02T05:30:00.000Z');
    assert.equal(at('2025-07-01', 'Europe/London'), '2025-06-30T23:00:00.000Z');
  });

  test('what is no date is refused', () => {
    for (const text of ['2025-02-29', '2025-13-01', '2025-01-01T24:00', '25-01-01', 'yesterday', '2025-01-01T10', '']) {
      assert.equal(at(text, 'UTC'), undefined, text);
    }
  });
});

describe('formatIsoLocal', () => {
  const local = (iso: string, tz: string) => formatIsoLocal(Date.parse(iso), zone(tz));

  test('the wall clock with the offset of that instant, which reads back as the same instant', () => {
    assert.equal(local('2025-03-09T05:00:00Z', 'America/New_York'), '2025-03-09T00:00:00-05:00');
    assert.equal(local('2025-03-10T04:00:00Z', 'America/New_York'), '2025-03-10T00:00:00-04:00');
    assert.equal(local('2024-12-31T16:00:00Z', 'UTC+08:00'), '2025-01-01T00:00:00+08:00');
    assert.equal(local('2025-01-01T03:30:00Z', 'UTC-03:30'), '2025-01-01T00:00:00-03:30');
    assert.equal(local('2025-01-01T00:00:00Z', 'UTC'), '2025-01-01T00:00:00+00:00');
    assert.equal(local('2025-01-01T00:00:00.250Z', 'Asia/Kolkata'), '2025-01-01T05:30:00.250+05:30');
    for (const iso of ['2025-03-09T05:00:00Z', '2025-11-02T05:30:00Z', '2025-11-02T06:30:00Z']) {
      assert.equal(Date.parse(local(iso, 'America/New_York')), Date.parse(iso), iso);
    }
  });

  test('a local mean time offset keeps its seconds', () => {
    assert.equal(local('1900-01-01T00:00:00Z', 'Asia/Singapore'), '1900-01-01T06:55:25+06:55:25');
  });
});
