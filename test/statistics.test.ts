// Every number the server returns, checked: a seeded farm with the edge cases goes in
// through the SDK and ingest, and each aggregation's rows (through the SDK, every page) are
// compared field by field with the independent reference in test/reference/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StartSessionsStatisticsAggregationCommandInput } from '@aws-sdk/client-deadline';
import { generateFarm, type GeneratedFarm, type RefGroupBy, type RefPeriod, type RefRow, type RefStatistic } from './reference/aggregate-reference.js';
import type { Farmtally } from './support/server.js';
import { checkWithReference, readAggregation, runAggregation, serveGeneratedFarm, type ReferenceCase } from './support/statistics-farm.js';
import { RESULT_CHUNK_ROWS } from '../src/store/duckdb/result-chunks.js';
import { close } from './support/same-rows.js';

let ft: Farmtally;
let farm: GeneratedFarm;
before(async () => ({ ft, farm } = await serveGeneratedFarm(generateFarm(20251126, { sessions: 400 }))));
after(async () => ft.stop());

const DAY = 86_400_000;

/** The case's rows through the SDK, every page, checked against the reference. */
const check = (c: ReferenceCase): Promise<RefRow[]> => checkWithReference(ft.client, farm, c);

const ALL_STATS: RefStatistic[] = ['SUM', 'MIN', 'MAX', 'AVG'];

describe('aggregations agree with the reference, row by row', () => {
  test('every period in UTC over the whole span, grouped by each field', async () => {
    const fields: RefGroupBy[] = ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'];
    const periods: (RefPeriod | undefined)[] = [undefined, 'DAILY', 'WEEKLY', 'MONTHLY'];
    for (const [i, field] of fields.entries()) {
      await check({ period: periods[i % periods.length], groupBy: [field], statistics: ALL_STATS, startMs: farm.spanStartMs, endMs: farm.spanEndMs });
    }
  });

  test('half-hour, negative and DST time zones, with ranges that cut buckets', async () => {
    const zones = ['UTC+05:30', 'UTC-03:30', 'UTC+08:00', 'UTC-09:00', 'America/New_York', 'Europe/London', 'UTC+05:45'];
    const cut = { startMs: farm.spanStartMs + 3 * DAY + 17 * 60_000 + 1234, endMs: farm.spanEndMs - 5 * DAY - 41 * 60_000 };
    for (const [i, timezone] of zones.entries()) {
      for (const period of ['DAILY', 'WEEKLY', 'MONTHLY'] as const) {
        const groupBy: RefGroupBy[] = i % 2 ? ['USAGE_TYPE', 'QUEUE_ID'] : ['FLEET_ID', 'LICENSE_PRODUCT'];
        await check({ period, timezone, groupBy, statistics: i % 2 ? ['SUM', 'AVG'] : ['MIN', 'MAX'], ...cut });
      }
    }
  });

  test('hourly buckets across the autumn DST changes, in New York, London and fixed offsets', async () => {
    const londonBack = Date.UTC(2024, 9, 26, 12);
    const newYorkBack = Date.UTC(2024, 10, 2, 12);
    for (const timezone of ['Europe/London', 'UTC+05:30', 'UTC']) await check({ period: 'HOURLY', timezone, groupBy: ['USAGE_TYPE'], statistics: ALL_STATS, startMs: londonBack, endMs: londonBack + 2 * DAY });
    for (const timezone of ['America/New_York', 'UTC-03:30']) await check({ period: 'HOURLY', timezone, groupBy: ['INSTANCE_TYPE'], statistics: ['SUM'], startMs: newYorkBack, endMs: newYorkBack + 2 * DAY });
  });

  test('short ranges, where each record spans few buckets (the engine then joins a small range)', async () => {
    // Clipped to a short range, no record spans more than a few buckets: the plan the engine
    // picks then differs from the one for long spans, and must agree with the reference too.
    const from = farm.spanStartMs + 40 * DAY + 7 * 3_600_000 + 123;
    for (const [period, timezone, days] of [['DAILY', 'UTC+05:30', 3], ['WEEKLY', 'UTC-03:30', 10], ['HOURLY', 'UTC+08:00', 0.1], [undefined, undefined, 2]] as const) {
      await check({ period, timezone, groupBy: ['USAGE_TYPE', 'FLEET_ID'], statistics: ALL_STATS, startMs: from, endMs: from + Math.round(days * DAY) });
    }
  });

  test('two fields, in both orders (order decides the row order), with jobName beside JOB_ID', async () => {
    const span = { startMs: farm.spanStartMs, endMs: farm.spanEndMs };
    await check({ period: 'MONTHLY', groupBy: ['JOB_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MAX'], ...span });
    await check({ period: 'MONTHLY', groupBy: ['USAGE_TYPE', 'JOB_ID'], statistics: ['SUM', 'MAX'], ...span });
    await check({ period: 'WEEKLY', timezone: 'UTC+08:00', groupBy: ['INSTANCE_TYPE', 'LICENSE_PRODUCT'], statistics: ALL_STATS, ...span });
    await check({ period: 'DAILY', timezone: 'UTC-03:30', groupBy: ['USER_ID', 'FLEET_ID'], statistics: ['AVG'], ...span });
  });

  test('selections by queue and by fleet, and more than two group-by fields (an extension)', async () => {
    const span = { startMs: farm.spanStartMs, endMs: farm.spanEndMs };
    await check({ period: 'WEEKLY', groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ALL_STATS, queues: [0, 2], ...span });
    await check({ period: 'MONTHLY', groupBy: ['FLEET_ID', 'INSTANCE_TYPE'], statistics: ALL_STATS, fleets: [1, 2], ...span });
    await check({ groupBy: ['FLEET_ID'], statistics: ['SUM'], fleets: [3], ...span });
    await check({ period: 'MONTHLY', groupBy: ['QUEUE_ID', 'FLEET_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT', 'JOB_ID'], statistics: ALL_STATS, ...span });
  });

  test('MONTHLY over more than a century of range, in fixed offsets (months counted by arithmetic, not looked up by day)', async () => {
    // Past 40 000 days of range the engine finds a record's months from its local year and
    // month instead of a per-day list; the range starts mid-month, so its first bucket is cut.
    const range = { startMs: Date.UTC(1909, 6, 14, 5, 17, 3), endMs: farm.spanEndMs - 3 * DAY - 1234 };
    assert.ok((range.endMs - range.startMs) / DAY > 40_000);
    for (const [timezone, groupBy] of [['UTC+05:30', ['USAGE_TYPE', 'FLEET_ID']], ['UTC-03:30', ['QUEUE_ID']], [undefined, ['LICENSE_PRODUCT']]] as const) {
      await check({ period: 'MONTHLY', timezone, groupBy: [...groupBy], statistics: ALL_STATS, ...range });
    }
  });

  test('bucket sums add up exactly to the whole-range total', async () => {
    const range = { startMs: farm.spanStartMs + 12_345, endMs: farm.spanEndMs - 67_890 };
    const whole = await check({ groupBy: ['USAGE_TYPE'], statistics: ['SUM'], ...range });
    for (const [period, timezone] of [['HOURLY', 'UTC+05:30'], ['DAILY', 'America/New_York'], ['WEEKLY', 'UTC-03:30'], ['MONTHLY', 'UTC+08:00']] as const) {
      const rows = await check({ period, timezone, groupBy: ['USAGE_TYPE'], statistics: ['SUM'], ...range });
      for (const total of whole) {
        const parts = rows.filter((r) => r.usageType === total.usageType);
        const runtime = parts.reduce((a, r) => a + r.runtimeInSeconds.sum!, 0);
        const cost = parts.reduce((a, r) => a + r.costInUsd.sum!, 0);
        assert.ok(close(runtime, total.runtimeInSeconds.sum!), `${period} runtime ${runtime} vs ${total.runtimeInSeconds.sum}`);
        assert.ok(Math.abs(cost - total.costInUsd.sum!) < 1e-6, `${period} cost ${cost} vs ${total.costInUsd.sum}`);
        // Whole seconds in, so whole milliseconds out: the split loses nothing.
        assert.ok(Number.isInteger(Math.round(runtime * 1000)));
      }
    }
  });

  test('paging with any maxResults returns each row once, in order', async () => {
    const input: StartSessionsStatisticsAggregationCommandInput = {
      farmId: farm.farmId,
      resourceIds: { queueIds: farm.queues.map((q) => q.queueId) },
      startTime: new Date(farm.spanStartMs),
      endTime: new Date(farm.spanEndMs),
      period: 'WEEKLY',
      groupBy: ['JOB_ID', 'USAGE_TYPE'],
      statistics: ['SUM'],
    };
    const all = await runAggregation(ft.client, input, 100);
    assert.ok(all.rows.length > 150, `want several pages, got ${all.rows.length} rows`);
    for (const size of [1, 7, 64]) {
      const paged = await readAggregation(ft.client, farm.farmId, all.aggregationId, size);
      assert.equal(paged.pages, Math.ceil(all.rows.length / size));
      assert.deepEqual(paged.rows, all.rows, `maxResults ${size}`);
    }
  });

  test('a result longer than one engine read pages every row once, as the reference has them', async () => {
    const rows = await check({ period: 'HOURLY', groupBy: ['JOB_ID'], statistics: ['SUM', 'MAX'], startMs: farm.spanStartMs, endMs: farm.spanEndMs });
    assert.ok(rows.length > 2 * RESULT_CHUNK_ROWS, `want rows from three chunks, got ${rows.length}`);
  });
});
