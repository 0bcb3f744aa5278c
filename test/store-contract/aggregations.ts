// The contract's aggregations: run through the Store interface alone on a generated farm,
// every row equal to the independent reference (test/reference), read back in any pages,
// held to their row and time limits, and swept when expired.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { GroupByField, Statistic } from '../../src/domain/aggregation-rules.js';
import type { Period } from '../../src/domain/buckets.js';
import { newId } from '../../src/domain/resources.js';
import { parseTimezone, type TimeZone } from '../../src/domain/timezone.js';
import { aggregationQuery } from '../../src/operations/statistics/aggregation-query.js';
import { toStatistics } from '../../src/operations/statistics/statistics-output.js';
import type { AggregationLimits } from '../../src/store/aggregation-store.js';
import type { Store } from '../../src/store/store.js';
import { generateFarm, referenceAggregate, type GeneratedFarm, type RefRow } from '../reference/aggregate-reference.js';
import { assertSameRows } from '../support/same-rows.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { begin, fleet, ingest, parents, queue, record, SHORT_LEASE, tick } from './fixtures.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NO_LIMITS: AggregationLimits = { maxRows: 1_000_000, timeoutMs: 60_000 };

interface Case {
  what: string;
  kind: 'queue' | 'fleet';
  from?: number;
  to?: number;
  timezone?: string;
  period?: Period;
  groupBy: GroupByField[];
  statistics: Statistic[];
}

/** The generated farm's resources and sessions, put in through the store; the farm's own IDs are kept. */
export async function storeGeneratedFarm(store: Store, farm: GeneratedFarm): Promise<void> {
  await store.createFarm({ farmId: farm.farmId, displayName: 'generated', costScaleFactor: farm.costScaleFactor, createdAt: tick(), createdBy: 'contract' });
  for (const q of farm.queues) await store.createQueue(queue(farm.farmId, { queueId: q.queueId, displayName: q.displayName }));
  for (const f of farm.fleets) await store.createFleet(fleet(farm.farmId, f.kind, { fleetId: f.fleetId, displayName: f.displayName }));
  const staged = await store.stageSessions(farm.farmId);
  await staged.append(farm.sessions.map(({ fleetKind: _kind, ...record }) => record));
  await staged.commit(tick());
}

const wire = (row: ReturnType<typeof toStatistics>): RefRow => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== undefined) out[k] = v instanceof Date ? v.toISOString() : v;
  return out as unknown as RefRow;
};

export function aggregationContract(store: () => Store): void {
  describe('aggregations', () => {
    const farm = generateFarm(9101, { sessions: 250 });

    before(async () => storeGeneratedFarm(store(), farm));

    async function run(c: Case, limits: AggregationLimits = NO_LIMITS) {
      const zone = parseTimezone(c.timezone ?? 'UTC', false) as TimeZone;
      const resourceIds = c.kind === 'queue' ? farm.queues.map((q) => q.queueId) : farm.fleets.map((f) => f.fleetId);
      const [startMs, endMs] = [c.from ?? farm.spanStartMs, c.to ?? farm.spanEndMs];
      const aggregationId = newId('');
      const now = tick();
      await begin(store(), { aggregationId, farmId: farm.farmId, groupBy: c.groupBy, statistics: c.statistics, createdAt: now, expiresAt: now + 3_600_000 });
      const query = aggregationQuery({
        farm: { farmId: farm.farmId, costScaleFactor: farm.costScaleFactor },
        resourceKind: c.kind,
        resourceIds,
        startMs,
        endMs,
        zone,
        period: c.period,
        groupBy: c.groupBy,
        asOfMs: farm.asOfMs,
        rateCard: farm.rateCard,
      });
      const outcome = await store()
        .runAggregation(aggregationId, query, limits)
        .finally(() => store().releaseFarmSlot(farm.farmId, aggregationId));
      const { record } = outcome;
      const expected = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, {
        startMs, endMs, timezone: c.timezone, period: c.period, groupBy: c.groupBy, statistics: c.statistics, asOfMs: farm.asOfMs,
        ...(c.kind === 'queue' ? { queueIds: resourceIds } : { fleetIds: resourceIds }),
      });
      return { aggregationId, record, outcome, expected };
    }

    const CASES: Case[] = [
      { what: 'DAILY in UTC+05:30 by queue and usage type, every statistic', kind: 'queue', timezone: 'UTC+05:30', period: 'DAILY', groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'] },
      { what: 'HOURLY across a fall-back in America/New_York by job', kind: 'queue', from: Date.UTC(2024, 10, 2), to: Date.UTC(2024, 10, 5), timezone: 'America/New_York', period: 'HOURLY', groupBy: ['JOB_ID'], statistics: ['SUM'] },
      { what: 'WEEKLY in UTC-03:30 by user and license product, over fleets', kind: 'fleet', timezone: 'UTC-03:30', period: 'WEEKLY', groupBy: ['USER_ID', 'LICENSE_PRODUCT'], statistics: ['SUM', 'AVG'] },
      { what: 'MONTHLY in Europe/London by fleet and instance type', kind: 'fleet', timezone: 'Europe/London', period: 'MONTHLY', groupBy: ['FLEET_ID', 'INSTANCE_TYPE'], statistics: ['MIN', 'MAX'] },
      { what: 'MONTHLY in UTC+08:00 by all seven fields', kind: 'queue', timezone: 'UTC+08:00', period: 'MONTHLY', groupBy: ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'], statistics: ['SUM'] },
      { what: 'one bucket (no period) by instance type', kind: 'queue', groupBy: ['INSTANCE_TYPE'], statistics: ['SUM', 'AVG'] },
      { what: 'MONTHLY in UTC-03:00 over 120 years (month numbers) by usage type', kind: 'queue', from: Date.UTC(1950, 0, 1), to: Date.UTC(2070, 0, 1), timezone: 'UTC-03:00', period: 'MONTHLY', groupBy: ['USAGE_TYPE'], statistics: ['SUM', 'MAX'] },
    ];

    for (const c of CASES) {
      test(`${c.what}: every row as the reference has it`, async () => {
        const { aggregationId, record, outcome, expected } = await run(c);
        assert.equal(record.status, 'COMPLETED', record.statusMessage);
        assert.equal(record.rowCount, expected.rows.length);
        assert.ok(expected.rows.length > 0, 'the case has rows');
        // The rows handed back, the rows read while they are being stored, and once stored: the same, as the reference has them.
        const readAtOnce = await store().readAggregationRows(aggregationId, 0, record.rowCount + 5);
        await outcome.stored;
        const readStored = await store().readAggregationRows(aggregationId, 0, record.rowCount + 5);
        assert.deepEqual(readAtOnce, outcome.rows);
        assert.deepEqual(readStored, outcome.rows);
        const rows = readStored.map((r) => wire(toStatistics(r, c.statistics)));
        assertSameRows(rows, expected.rows, c.what);
        for (const name of expected.missingRates) assert.ok(record.statusMessage?.includes(name), `${c.what}: the message names ${name}: ${record.statusMessage}`);
        assert.deepEqual({ ...(await store().getAggregation(aggregationId)) }, { ...record });
      });
    }

    test('rows read in pages of any size are the rows read at once', async () => {
      const { aggregationId, record, outcome } = await run(CASES[0]!);
      await outcome.stored;
      const whole = await store().readAggregationRows(aggregationId, 0, record.rowCount);
      const paged = [];
      for (let offset = 0; offset < record.rowCount; offset += 7) paged.push(...(await store().readAggregationRows(aggregationId, offset, 7)));
      assert.deepEqual(paged, whole);
      assert.deepEqual(await store().readAggregationRows(aggregationId, record.rowCount, 10), []);
    });

    test('past the row limit it ends FAILED with no rows; past the time limit, TIMEOUT', async () => {
      const many = await run(CASES[0]!, { maxRows: 3, timeoutMs: 60_000 });
      assert.equal(many.record.status, 'FAILED');
      assert.match(many.record.statusMessage!, /more than this server's limit of 3/);
      assert.deepEqual(await store().readAggregationRows(many.aggregationId, 0, 10), []);
      const slow = await run(CASES[1]!, { maxRows: 1_000_000, timeoutMs: 1 });
      assert.equal(slow.record.status, 'TIMEOUT');
      assert.deepEqual(await store().readAggregationRows(slow.aggregationId, 0, 10), []);
    });

    test('a started aggregation is IN_PROGRESS; one whose lease expired is FAILED; expired ones are swept with their rows', async () => {
      const id = newId('');
      const now = tick();
      await begin(store(), { aggregationId: id, farmId: farm.farmId, groupBy: ['QUEUE_ID'], statistics: ['SUM'], createdAt: now, expiresAt: now + DAY }, SHORT_LEASE);
      assert.equal((await store().getAggregation(id))!.status, 'IN_PROGRESS');
      await store().releaseFarmSlot(farm.farmId, id);
      await sleep(SHORT_LEASE.ttlMs + 20);
      assert.ok((await store().failExpiredAggregations('stopped; start it again')) >= 1);
      assert.deepEqual([(await store().getAggregation(id))!.status, (await store().getAggregation(id))!.statusMessage], ['FAILED', 'stopped; start it again']);

      const done = await run(CASES[5]!);
      await done.outcome.stored;
      assert.ok(done.record.rowCount > 0);
      assert.ok((await store().deleteExpiredAggregations(done.record.expiresAt + 1)) >= 1);
      assert.equal(await store().getAggregation(done.aggregationId), undefined);
      assert.deepEqual(await store().readAggregationRows(done.aggregationId, 0, 10), []);
    });

    test('a running session counts in every hour it has run, when every finished one is short', async () => {
      // An engine may plan how many buckets a record can span from what it keeps of the
      // farm's sessions; the running one, sent in a batch of its own, must be part of that.
      const p = await parents(store());
      const day = Date.UTC(2025, 5, 1);
      const short = (hour: number) => record(p, { startedAt: day + hour * HOUR, endedAt: day + hour * HOUR + HOUR / 2 });
      await ingest(store(), p.farmId, [short(0), short(3), short(5)]);
      await ingest(store(), p.farmId, [record(p, { startedAt: day + 2 * HOUR, endedAt: undefined })]);
      const asOfMs = day + 12 * HOUR;
      const aggregationId = newId('');
      const now = tick();
      await begin(store(), { aggregationId, farmId: p.farmId, groupBy: ['USAGE_TYPE'], statistics: ['SUM'], createdAt: now, expiresAt: now + DAY });
      const query = aggregationQuery({
        farm: { farmId: p.farmId, costScaleFactor: 1 }, resourceKind: 'queue', resourceIds: [p.queueId], startMs: day, endMs: day + DAY,
        zone: parseTimezone('UTC', false) as TimeZone, period: 'HOURLY', groupBy: ['USAGE_TYPE'], asOfMs, rateCard: farm.rateCard,
      });
      const { record: done } = await store().runAggregation(aggregationId, query, NO_LIMITS);
      assert.equal(done.status, 'COMPLETED', done.statusMessage);
      const rows = await store().readAggregationRows(aggregationId, 0, 100);
      // Three half hours, and the running session's ten hours (02:00 to 12:00), one a bucket.
      assert.equal(rows.reduce((sum, r) => sum + r.runtimeSeconds.sum, 0), 3 * 1800 + 10 * 3600);
      assert.deepEqual(rows.map((r) => (r.bucketStart - day) / HOUR), [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    });
  });
}
