import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daysInMonth, parseIsoTimestamp } from '../src/domain/iso-time.js';

test('ISO 8601 date-times: accepted forms', () => {
  const cases: [string, number][] = [
    ['2025-01-01T00:00:00Z', Date.UTC(2025, 0, 1)],
    ['2025-01-01T00:00:00.5Z', Date.UTC(2025, 0, 1, 0, 0, 0, 500)],
    ['2025-01-01T00:00:00.123456789Z', Date.UTC(2025, 0, 1, 0, 0, 0, 123)],
    ['2025-01-01T08:00:00+08:00', Date.UTC(2025, 0, 1)],
    ['2024-12-31T20:30:00-03:30', Date.UTC(2025, 0, 1)],
    ['2024-02-29T12:00:00z', Date.UTC(2024, 1, 29, 12)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
  ];
  for (const [text, ms] of cases) assert.equal(parseIsoTimestamp(text), ms, text);
});

test('ISO 8601 date-times: refused forms', () => {
  for (const text of ['2025-01-01', '2025-13-01T00:00:00Z', '2025-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2025-04-31T00:00:00Z',
    '2025-01-01T24:00:00Z', '2025-01-01T00:60:00Z', '2025-01-01T00:00:60Z', '2025-01-01T00:00:00', '2025-01-01T00:00:00+2400',
    '0099-01-01T00:00:00Z', ' 2025-01-01T00:00:00Z', '2025-01-01T00:00:00.Z', '1735689600']) {
    assert.equal(parseIsoTimestamp(text), undefined, text);
  }
});

test('daysInMonth knows Gregorian leap years', () => {
  for (let year = 1896; year <= 2104; year++) {
    for (let month = 1; month <= 12; month++) assert.equal(daysInMonth(year, month), new Date(Date.UTC(year, month, 0)).getUTCDate(), `${year}-${month}`);
  }
});
