// A budget's current window (domain/budget-window.ts): one case per line, the budget's
// schedule and the instant read → the window its usage is counted over.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetWindowAt, NO_END, periodAround } from '../src/domain/budget-window.js';
import type { Budget } from '../src/domain/resources.js';

type Schedule = Pick<Budget, 'startsAt' | 'endsAt' | 'recurring'>;
const at = (iso: string) => Date.parse(iso);
const monthly = (start: string, end?: string): Schedule => ({ startsAt: at(start), endsAt: end ? at(end) : NO_END, recurring: 'MONTHLY' });
const quarterly = (start: string, end?: string): Schedule => ({ ...monthly(start, end), recurring: 'QUARTERLY' });

describe('budgetWindowAt', () => {
  const cases: [string, Schedule, string, [string, string]][] = [
    ['a fixed budget: its window, whenever read', { startsAt: at('2026-01-10T00:00:00Z'), endsAt: at('2026-02-10T00:00:00Z') }, '2030-01-01T00:00:00Z', ['2026-01-10T00:00:00Z', '2026-02-10T00:00:00Z']],
    ['monthly: the month of the read', monthly('2025-01-01T00:00:00Z'), '2026-03-15T12:00:00Z', ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z']],
    ["a month's first instant is its own", monthly('2025-01-01T00:00:00Z'), '2026-03-01T00:00:00Z', ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z']],
    ["a month's last instant is still its own", monthly('2025-01-01T00:00:00Z'), '2026-03-31T23:59:59.999Z', ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z']],
    ['a 30-day month', monthly('2025-01-01T00:00:00Z'), '2026-04-30T23:00:00Z', ['2026-04-01T00:00:00Z', '2026-05-01T00:00:00Z']],
    ['December runs into the next year', monthly('2025-01-01T00:00:00Z'), '2026-12-31T23:00:00Z', ['2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z']],
    ['February of a leap year has 29 days', monthly('2023-01-01T00:00:00Z'), '2024-02-29T12:00:00Z', ['2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z']],
    ['February of another year has 28', monthly('2023-01-01T00:00:00Z'), '2025-02-28T12:00:00Z', ['2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z']],
    ['March 1st after a leap February', monthly('2023-01-01T00:00:00Z'), '2024-03-01T00:00:00Z', ['2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z']],
    ['a start mid-month clips the first month', monthly('2026-03-10T06:00:00Z'), '2026-03-20T00:00:00Z', ['2026-03-10T06:00:00Z', '2026-04-01T00:00:00Z']],
    ['... and only the first', monthly('2026-03-10T06:00:00Z'), '2026-04-02T00:00:00Z', ['2026-04-01T00:00:00Z', '2026-05-01T00:00:00Z']],
    ['an end mid-month clips the last month', monthly('2026-01-01T00:00:00Z', '2026-06-15T00:00:00Z'), '2026-06-10T00:00:00Z', ['2026-06-01T00:00:00Z', '2026-06-15T00:00:00Z']],
    ['start and end in one month: that part of it', monthly('2026-06-05T00:00:00Z', '2026-06-25T00:00:00Z'), '2026-06-10T00:00:00Z', ['2026-06-05T00:00:00Z', '2026-06-25T00:00:00Z']],
    ['read before the start: the first period', monthly('2026-06-05T00:00:00Z'), '2026-01-01T00:00:00Z', ['2026-06-05T00:00:00Z', '2026-07-01T00:00:00Z']],
    ['read after the end: the last period', monthly('2026-01-01T00:00:00Z', '2026-06-15T00:00:00Z'), '2027-01-01T00:00:00Z', ['2026-06-01T00:00:00Z', '2026-06-15T00:00:00Z']],
    ['read at the end (excluded): the last period', monthly('2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z'), '2026-07-01T00:00:00Z', ['2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z']],
    ['quarterly: January to March', quarterly('2025-01-01T00:00:00Z'), '2026-02-14T00:00:00Z', ['2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z']],
    ['April to June', quarterly('2025-01-01T00:00:00Z'), '2026-06-30T23:59:59.999Z', ['2026-04-01T00:00:00Z', '2026-07-01T00:00:00Z']],
    ['July to September', quarterly('2025-01-01T00:00:00Z'), '2026-07-01T00:00:00Z', ['2026-07-01T00:00:00Z', '2026-10-01T00:00:00Z']],
    ['October to December, into the next year', quarterly('2025-01-01T00:00:00Z'), '2026-11-30T00:00:00Z', ['2026-10-01T00:00:00Z', '2027-01-01T00:00:00Z']],
    ['a quarter clipped by a start mid-quarter', quarterly('2026-05-20T00:00:00Z'), '2026-06-01T00:00:00Z', ['2026-05-20T00:00:00Z', '2026-07-01T00:00:00Z']],
    ['a quarter clipped by an end mid-month', quarterly('2025-01-01T00:00:00Z', '2026-08-15T00:00:00Z'), '2026-08-01T00:00:00Z', ['2026-07-01T00:00:00Z', '2026-08-15T00:00:00Z']],
  ];
  for (const [what, schedule, now, [start, end]] of cases) {
    it(what, () => assert.deepEqual(budgetWindowAt(schedule, at(now)), { startsAt: at(start), endsAt: at(end) }));
  }
});

describe('periodAround', () => {
  it('every month of a leap year ends where the next begins', () => {
    for (let m = 0; m < 12; m++) {
      const p = periodAround('MONTHLY', Date.UTC(2024, m, 15));
      assert.deepEqual(p, { startsAt: Date.UTC(2024, m, 1), endsAt: Date.UTC(2024, m + 1, 1) });
    }
    assert.equal(periodAround('MONTHLY', Date.UTC(2024, 1, 29)).endsAt - Date.UTC(2024, 1, 1), 29 * 86_400_000);
  });
  it('quarters begin in January, April, July and October', () => {
    const starts = Array.from({ length: 12 }, (_, m) => new Date(periodAround('QUARTERLY', Date.UTC(2026, m, 3)).startsAt).getUTCMonth());
    assert.deepEqual(starts, [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9, 9]);
  });
  it('no end: the window of a year far off is still its month', () => {
    assert.deepEqual(budgetWindowAt(monthly('2026-01-01T00:00:00Z'), Date.UTC(2999, 6, 4)), { startsAt: Date.UTC(2999, 6, 1), endsAt: Date.UTC(2999, 7, 1) });
  });
});
