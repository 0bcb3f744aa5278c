// Which SQL shape an aggregation takes (store/duckdb/aggregation-sql.ts chooseAggregationPlan),
// one case per shape it can choose. That each shape counts right is the store contract's and
// the statistics tests' job; the contract has a case taking each of these shapes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Period } from '../src/domain/buckets.js';
import { DEFAULT_RATE_CARD } from '../src/domain/pricing.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';
import { aggregationQuery } from '../src/operations/statistics/aggregation-query.js';
import { chooseAggregationPlan, describePlan, SMALL_SPAN } from '../src/store/duckdb/aggregation-sql.js';

function query(startIso: string, endIso: string, timezone: string, period?: Period) {
  return aggregationQuery({
    farm: { farmId: 'farm-00000000000000000000000000000000', costScaleFactor: 1 },
    resourceKind: 'queue',
    resourceIds: ['queue-00000000000000000000000000000000'],
    startMs: Date.parse(startIso),
    endMs: Date.parse(endIso),
    zone: parseTimezone(timezone, false) as TimeZone,
    period,
    groupBy: ['QUEUE_ID'],
    asOfMs: Date.parse(endIso),
    rateCard: DEFAULT_RATE_CARD,
  });
}

describe('chooseAggregationPlan', () => {
  test('uniform buckets in a fixed offset: arithmetic, split by a range join while records span few buckets', () => {
    const daily = query('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'UTC+05:30', 'DAILY');
    assert.deepEqual(chooseAggregationPlan(daily, 2), { edges: 'uniform-grid', split: { by: 'range-join', k: 2 } });
    assert.deepEqual(chooseAggregationPlan(daily, SMALL_SPAN), { edges: 'uniform-grid', split: { by: 'range-join', k: SMALL_SPAN } });
    assert.deepEqual(chooseAggregationPlan(daily, SMALL_SPAN + 1), { edges: 'uniform-grid', split: { by: 'index-list' } });
    assert.deepEqual(chooseAggregationPlan(daily, undefined), { edges: 'uniform-grid', split: { by: 'index-list' } });
    for (const period of ['HOURLY', 'WEEKLY'] as const) {
      assert.equal(chooseAggregationPlan(query('2025-01-01T00:00:00Z', '2025-03-01T00:00:00Z', 'UTC-03:30', period), 1).edges, 'uniform-grid', period);
    }
  });

  test('MONTHLY in a fixed offset: a day lookup, or month numbers past about 110 years', () => {
    const year = query('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'UTC+08:00', 'MONTHLY');
    assert.deepEqual(chooseAggregationPlan(year, 3), { edges: 'day-lookup', split: { by: 'range-join', k: 3 } });
    assert.deepEqual(chooseAggregationPlan(year, 13), { edges: 'day-lookup', split: { by: 'index-list' } });
    const centuries = query('1950-01-01T00:00:00Z', '2070-01-01T00:00:00Z', 'UTC-03:00', 'MONTHLY');
    assert.deepEqual(chooseAggregationPlan(centuries, 1), { edges: 'month-numbers' });
  });

  test('IANA zones (buckets of varying length): ASOF joins on the bucket edges, whatever the spans', () => {
    for (const period of ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'] as const) {
      assert.deepEqual(chooseAggregationPlan(query('2025-01-01T00:00:00Z', '2025-06-01T00:00:00Z', 'America/New_York', period), 1), { edges: 'asof-buckets' }, period);
    }
  });

  test('the trace names the plan', () => {
    assert.equal(describePlan({ edges: 'uniform-grid', split: { by: 'range-join', k: 3 } }), 'uniform-grid, range join (k 3)');
    assert.equal(describePlan({ edges: 'day-lookup', split: { by: 'index-list' } }), 'day-lookup, index list');
    assert.equal(describePlan({ edges: 'asof-buckets' }), 'asof-buckets');
  });
});
