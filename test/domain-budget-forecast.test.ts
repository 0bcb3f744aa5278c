// The budget forecast, one case per line: window, days' costs, now → phase, spent, rate,
// forecast. Times are UTC (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`); the figures were worked out by
// hand from the method in docs/DECISIONS.md ("Budget forecast").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetForecast, crossedThresholds, cumulativeSpend, type DayCost } from '../src/domain/budget-forecast.js';

const ms = (t: string) => Date.parse(`${t}${t.length === 10 ? 'T00:00' : ''}Z`);
const days = (d: Record<string, number>): DayCost[] => Object.entries(d).map(([t, cost]) => ({ start: ms(t), cost }));
/** Ten days of `cost` each from May 1st. */
const tenDays = (cost: number) => days(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`2025-05-${String(i + 1).padStart(2, '0')}`, cost])));

type Case = [name: string, window: [string, string], costs: DayCost[], now: string, expected: { phase: string; spent: number; dailyRate: number; basisDays: number; forecast: number }];

describe('budgetForecast', () => {
  const cases: Case[] = [
    ['not begun: nothing spent, forecast 0', ['2025-05-10', '2025-06-01'], [], '2025-05-05T12:00', { phase: 'not-begun', spent: 0, dailyRate: 0, basisDays: 0, forecast: 0 }],
    ['now at the start is not begun', ['2025-05-10', '2025-06-01'], days({ '2025-05-10': 5 }), '2025-05-10', { phase: 'not-begun', spent: 0, dailyRate: 0, basisDays: 0, forecast: 0 }],
    ['ended: the forecast is what was spent', ['2025-05-01', '2025-05-04'], days({ '2025-05-01': 10, '2025-05-02': 20, '2025-05-03': 5 }), '2025-05-10', { phase: 'ended', spent: 35, dailyRate: 0, basisDays: 0, forecast: 35 }],
    ['now at the end is ended', ['2025-05-01', '2025-05-04'], days({ '2025-05-01': 10 }), '2025-05-04', { phase: 'ended', spent: 10, dailyRate: 0, basisDays: 0, forecast: 10 }],
    ['a day at or after the end is not counted', ['2025-05-01', '2025-05-04'], days({ '2025-05-03': 2, '2025-05-04': 50 }), '2025-05-10', { phase: 'ended', spent: 2, dailyRate: 0, basisDays: 0, forecast: 2 }],
    ['open: 7 days at 10, today below the rate counts as the rate', ['2025-05-01', '2025-05-31'], [...tenDays(10), ...days({ '2025-05-11': 3 })], '2025-05-11T12:00', { phase: 'open', spent: 103, dailyRate: 10, basisDays: 7, forecast: 100 + 10 + 19 * 10 }],
    ['open: today above the rate counts as spent', ['2025-05-01', '2025-05-31'], [...tenDays(10), ...days({ '2025-05-11': 25 })], '2025-05-11T12:00', { phase: 'open', spent: 125, dailyRate: 10, basisDays: 7, forecast: 100 + 25 + 190 }],
    ['only the last 7 complete days make the rate', ['2025-05-01', '2025-05-31'], days({ '2025-05-01': 100, '2025-05-02': 100, '2025-05-03': 100, '2025-05-04': 1, '2025-05-05': 1, '2025-05-06': 1, '2025-05-07': 1, '2025-05-08': 1, '2025-05-09': 1, '2025-05-10': 1 }), '2025-05-11', { phase: 'open', spent: 307, dailyRate: 1, basisDays: 7, forecast: 307 + 1 + 19 }],
    ['a younger window: its 3 days, a day with no cost among them', ['2025-05-01', '2025-05-31'], days({ '2025-05-01': 6, '2025-05-03': 12 }), '2025-05-04T06:00', { phase: 'open', spent: 18, dailyRate: 6, basisDays: 3, forecast: 18 + 6 + 26 * 6 }],
    ['begun today: no rate, the forecast is the spend so far', ['2025-05-01T08:00', '2025-05-31'], [{ start: ms('2025-05-01T08:00'), cost: 4 }], '2025-05-01T20:00', { phase: 'open', spent: 4, dailyRate: 0, basisDays: 0, forecast: 4 }],
    ['a first day from noon counts as half a day', ['2025-05-01T12:00', '2025-05-11'], [{ start: ms('2025-05-01T12:00'), cost: 3 }, ...days({ '2025-05-02': 6 })], '2025-05-03T06:00', { phase: 'open', spent: 9, dailyRate: 6, basisDays: 1.5, forecast: 9 + 6 + 7 * 6 }],
    ['a bucket from before the start counts from the start', ['2025-05-01T12:00', '2025-05-11'], days({ '2025-05-01': 3, '2025-05-02': 6 }), '2025-05-03T06:00', { phase: 'open', spent: 9, dailyRate: 6, basisDays: 1.5, forecast: 57 }],
    ['a window ending at noon today: today is half a day', ['2025-05-01', '2025-05-05T12:00'], days({ '2025-05-01': 8, '2025-05-02': 8, '2025-05-03': 8, '2025-05-04': 8, '2025-05-05': 1 }), '2025-05-05T06:00', { phase: 'open', spent: 33, dailyRate: 8, basisDays: 4, forecast: 32 + 4 }],
    ['a last day to 06:00 is a quarter day', ['2025-05-01', '2025-05-10T06:00'], days({ '2025-05-01': 4, '2025-05-02': 4, '2025-05-03': 4, '2025-05-04': 4 }), '2025-05-05T10:00', { phase: 'open', spent: 16, dailyRate: 4, basisDays: 4, forecast: 16 + 4 + 4.25 * 4 }],
    ['no data at all: rate 0, forecast 0', ['2025-05-01', '2025-05-31'], [], '2025-05-11T12:00', { phase: 'open', spent: 0, dailyRate: 0, basisDays: 7, forecast: 0 }],
    ['days in any order', ['2025-05-01', '2025-05-31'], days({ '2025-05-03': 12, '2025-05-01': 6 }), '2025-05-04T06:00', { phase: 'open', spent: 18, dailyRate: 6, basisDays: 3, forecast: 180 }],
    ['cents stay cents', ['2025-05-01', '2025-05-04'], days({ '2025-05-01': 0.1, '2025-05-02': 0.2 }), '2025-05-03T01:00', { phase: 'open', spent: 0.3, dailyRate: 0.15, basisDays: 2, forecast: 0.45 }],
  ];
  for (const [name, [start, end], costs, now, expected] of cases) {
    it(name, () => {
      const f = budgetForecast(ms(start), ms(end), costs, ms(now));
      assert.deepEqual({ phase: f.phase, spent: f.spent, dailyRate: f.dailyRate, basisDays: f.basis.days, forecast: f.forecast }, expected);
    });
  }

  it('the basis is the last complete days, ending at the start of today', () => {
    const f = budgetForecast(ms('2025-05-01'), ms('2025-05-31'), [], ms('2025-05-20T13:00'));
    assert.deepEqual(f.basis, { from: ms('2025-05-13'), until: ms('2025-05-20'), days: 7 });
  });

  it('within a day the forecast does not move while today is below the rate', () => {
    const at = (t: string) => budgetForecast(ms('2025-05-01'), ms('2025-05-31'), tenDays(10), ms(t)).forecast;
    assert.equal(at('2025-05-11T00:30'), at('2025-05-11T23:30'));
  });
});

describe('cumulativeSpend', () => {
  const points = (start: string, until: string, costs: DayCost[]) =>
    cumulativeSpend(ms(start), ms(until), costs).map((p) => [new Date(p.at).toISOString().slice(0, 16), p.total]);
  it('a point at the start, at each day end (days with no cost too) and at the end', () =>
    assert.deepEqual(points('2025-05-01', '2025-05-04', days({ '2025-05-01': 1, '2025-05-03': 2 })), [
      ['2025-05-01T00:00', 0], ['2025-05-02T00:00', 1], ['2025-05-03T00:00', 1], ['2025-05-04T00:00', 3],
    ]));
  it('until now, in the middle of a day', () =>
    assert.deepEqual(points('2025-05-01', '2025-05-02T12:00', days({ '2025-05-01': 1, '2025-05-02': 2 })), [
      ['2025-05-01T00:00', 0], ['2025-05-02T00:00', 1], ['2025-05-02T12:00', 3],
    ]));
  it('a window from noon: its first day is half a day', () =>
    assert.deepEqual(points('2025-05-01T12:00', '2025-05-03', [{ start: ms('2025-05-01T12:00'), cost: 3 }, ...days({ '2025-05-02': 6 })]), [
      ['2025-05-01T12:00', 0], ['2025-05-02T00:00', 3], ['2025-05-03T00:00', 9],
    ]));
  it('not begun: the start alone', () => assert.deepEqual(points('2025-05-10', '2025-05-01', []), [['2025-05-10T00:00', 0]]));
  it('a day past `until` is not added', () =>
    assert.deepEqual(points('2025-05-01', '2025-05-02', days({ '2025-05-01': 1, '2025-05-02': 5 })), [['2025-05-01T00:00', 0], ['2025-05-02T00:00', 1]]));
});

describe('crossedThresholds', () => {
  const cases: [number, number, number[], number[]][] = [
    [62, 100, [50, 80, 100], [50]],
    [80, 100, [80, 50], [50, 80]],
    [79.99, 100, [80], []],
    [0, 100, [0], [0]],
    [120, 100, [100, 50], [50, 100]],
    [5, 0, [0, 50], []],
  ];
  for (const [spent, limit, thresholds, expected] of cases) {
    it(`${spent} of ${limit}, thresholds ${thresholds.join(', ')} → ${expected.join(', ') || 'none'}`, () => assert.deepEqual(crossedThresholds(spent, limit, thresholds), expected));
  }
});
