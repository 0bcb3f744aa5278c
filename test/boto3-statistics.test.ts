// boto3 (a second, independent client: SPEC section 10) runs the statistics operations end
// to end (Start, poll Get, then botocore's own paginator over several pages) and gets the
// same rows, field by field, as the JS SDK gets for the same request; botocore also parses
// farmtally's ValidationException (fieldList) and ThrottlingException (Retry-After header)
// into its modeled exceptions.
// Skipped, saying why, when no boto3 can talk to Deadline Cloud, unless FARMTALLY_REQUIRE_BOTO3=1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StartSessionsStatisticsAggregationCommandInput } from '@aws-sdk/client-deadline';
import { generateFarm, mulberry32 } from './reference/generate-farm.js';
import type { GeneratedFarm, RefRow } from './reference/aggregate-reference.js';
import { boto3Gate, runBoto3Script } from './support/boto3.js';
import type { Farmtally } from './support/server.js';
import { farmWithParents } from './support/session-records.js';
import { postSessions, runAggregation, serveGeneratedFarm, type AggregationResult } from './support/statistics-farm.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const boto3 = boto3Gate();

/** What boto3_statistics.py prints for one aggregation. */
interface Boto3Aggregation {
  name: string;
  aggregationId: string;
  polls: number;
  status: string;
  statusMessage: string | null;
  pages: { status: string; rows: number; hasNextToken: boolean }[];
  rows: RefRow[];
}

interface Boto3Error {
  status: number;
  headers: Record<string, string>;
  exceptionClass: string;
  Code: string;
  Message: string;
  [member: string]: unknown;
}

interface Boto3Output {
  aggregations: Boto3Aggregation[];
  badTimezone: Boto3Error | null;
  throttle: { firstId: string; firstStatus: string; throttled: Boto3Error | null; againId: string; againStatus: string };
}

interface Plan {
  name: string;
  input: StartSessionsStatisticsAggregationCommandInput;
  pageSize: number;
}

/** The request as JSON carries it (times as ISO strings), for the Python side. */
const asJson = (input: StartSessionsStatisticsAggregationCommandInput) => ({
  ...input,
  startTime: (input.startTime as Date).toISOString(),
  endTime: (input.endTime as Date).toISOString(),
});

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Row by row, field by field: the same keys, the same strings, numbers to 1e-9 relative. */
function assertSameRows(boto: RefRow[], js: RefRow[], what: string): void {
  assert.equal(boto.length, js.length, `${what}: boto3 has ${boto.length} rows, the JS SDK ${js.length}`);
  for (let i = 0; i < js.length; i++) {
    const [b, j] = [boto[i]!, js[i]!];
    const show = `${what}: row ${i}\n  boto3:  ${JSON.stringify(b)}\n  JS SDK: ${JSON.stringify(j)}`;
    assert.deepEqual(Object.keys(b).sort(), Object.keys(j).sort(), show);
    for (const k of Object.keys(j) as (keyof RefRow)[]) {
      const [x, y]: unknown[] = [b[k], j[k]];
      if (typeof y === 'object' && y !== null) {
        const [xs, ys] = [x as Record<string, number>, y as Record<string, number>];
        assert.deepEqual(Object.keys(xs).sort(), Object.keys(ys).sort(), `${show}\n  field ${k}`);
        for (const s of Object.keys(ys)) {
          assert.equal(typeof xs[s], 'number', `${show}\n  field ${k}.${s}`);
          assert.ok(close(xs[s]!, ys[s]!), `${show}\n  field ${k}.${s}`);
        }
      } else if (typeof y === 'number') {
        assert.equal(typeof x, 'number', `${show}\n  field ${k}`);
        assert.ok(close(x as number, y), `${show}\n  field ${k}`);
      } else assert.equal(x, y, `${show}\n  field ${k}`);
    }
  }
}

/** `n` sessions of a week each over 2025 in one queue: HOURLY by job and user keeps an aggregation busy for a while. */
function longSessions(parents: { queueId: string; fleetId: string }, n: number) {
  const rnd = mulberry32(424242);
  const hex = () => Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
  const jobs = Array.from({ length: 200 }, () => `job-${hex()}`);
  return Array.from({ length: n }, (_, i) => {
    const start = Date.UTC(2025, 0, 1) + Math.floor(rnd() * 350) * DAY + Math.floor(rnd() * 24) * HOUR;
    return {
      sessionId: `session-${hex()}`, queueId: parents.queueId, fleetId: parents.fleetId, jobId: jobs[i % jobs.length]!, jobName: `job ${i % jobs.length}`,
      userId: `user${i % 40}`, workerId: `worker-${hex()}`, startedAt: new Date(start).toISOString(), endedAt: new Date(start + 7 * DAY).toISOString(),
    };
  });
}

describe('boto3 and the JS SDK see the same aggregations', { skip: boto3.skip }, () => {
  let ft: Farmtally;
  let farm: GeneratedFarm;
  let plans: Plan[];
  let js: AggregationResult[];
  let seen: Boto3Output;

  before(async () => {
    boto3.assertAvailable();
    ({ ft, farm } = await serveGeneratedFarm(generateFarm(20251127, { sessions: 60 })));
    const queueIds = farm.queues.map((q) => q.queueId);
    const span = { startTime: new Date(farm.spanStartMs), endTime: new Date(farm.spanEndMs) };
    plans = [
      {
        name: 'weekly by queue and usage type, UTC+05:30, all four statistics',
        input: { farmId: farm.farmId, resourceIds: { queueIds }, ...span, period: 'WEEKLY', timezone: 'UTC+05:30', groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'] },
        pageSize: 7,
      },
      {
        name: 'monthly by job (with jobName) and usage type, UTC-03:30',
        input: { farmId: farm.farmId, resourceIds: { queueIds }, ...span, period: 'MONTHLY', timezone: 'UTC-03:30', groupBy: ['JOB_ID', 'USAGE_TYPE'], statistics: ['SUM', 'AVG'] },
        pageSize: 9,
      },
      {
        name: 'daily by instance type and license product over two fleets, a range that cuts days (absent values)',
        input: {
          farmId: farm.farmId, resourceIds: { fleetIds: [farm.fleets[0]!.fleetId, farm.fleets[1]!.fleetId] },
          startTime: new Date(farm.spanStartMs + 2 * DAY + 7 * HOUR + 1234), endTime: new Date(farm.spanStartMs + 40 * DAY - 5 * HOUR),
          period: 'DAILY', groupBy: ['INSTANCE_TYPE', 'LICENSE_PRODUCT'], statistics: ['MIN', 'MAX'],
        },
        pageSize: 25,
      },
    ];
    js = [];
    for (const p of plans) js.push(await runAggregation(ft.client, p.input));

    // A second farm whose aggregation runs long enough for a second Start to meet it.
    const busy = await farmWithParents(ft.client, 'busy');
    await postSessions(ft.url, busy.farmId, longSessions(busy, 400));
    const throttle = {
      farmId: busy.farmId, resourceIds: { queueIds: [busy.queueId] }, startTime: new Date(Date.UTC(2025, 0, 1)), endTime: new Date(Date.UTC(2026, 0, 1)),
      period: 'HOURLY', groupBy: ['JOB_ID', 'USER_ID'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'],
    } satisfies StartSessionsStatisticsAggregationCommandInput;
    const badTimezone = { ...asJson(plans[0]!.input), timezone: 'Mars/Olympus_Mons' };

    const plan = { aggregations: plans.map((p) => ({ name: p.name, request: asJson(p.input), pageSize: p.pageSize })), badTimezone, throttle: asJson(throttle) };
    seen = runBoto3Script('boto3_statistics.py', [ft.url], { input: JSON.stringify(plan) });
  });
  after(async () => {
    await ft?.stop();
  });

  test('one aggregation each, polled to the end and read with the paginator over several pages: the same rows', (t) => {
    assert.equal(seen.aggregations.length, plans.length);
    for (const [i, plan] of plans.entries()) {
      const [b, j] = [seen.aggregations[i]!, js[i]!];
      assert.equal(j.status, 'COMPLETED', `${plan.name}: JS SDK ${j.statusMessage}`);
      assert.equal(b.status, 'COMPLETED', `${plan.name}: boto3 ${b.statusMessage}`);
      assert.equal(b.statusMessage ?? undefined, j.statusMessage, plan.name);
      // Two aggregations, not one read twice.
      assert.match(b.aggregationId, /^[0-9a-f]{32}$/);
      assert.notEqual(b.aggregationId, j.aggregationId);
      assert.ok(b.polls >= 1);

      // The paginator walked every page: full pages then the rest, nextToken on all but the last.
      const n = j.rows.length;
      assert.ok(n > 2 * plan.pageSize, `${plan.name}: ${n} rows is too few to need several pages of ${plan.pageSize}`);
      const expectedPages = Math.ceil(n / plan.pageSize);
      assert.equal(b.pages.length, expectedPages, plan.name);
      b.pages.forEach((p, k) => {
        const last = k === expectedPages - 1;
        assert.deepEqual(p, { status: 'COMPLETED', rows: last ? n - plan.pageSize * (expectedPages - 1) : plan.pageSize, hasNextToken: !last }, `${plan.name}: page ${k}`);
      });
      assertSameRows(b.rows, j.rows, plan.name);
      t.diagnostic(`${plan.name}: ${n} rows, ${b.pages.length} boto3 pages after ${b.polls} polls`);
    }
    // What the requests were chosen to show does show.
    const byJob = seen.aggregations[1]!.rows;
    assert.ok(byJob.every((r) => typeof r.jobId === 'string' && typeof r.jobName === 'string' && r.jobName.length > 0), 'every JOB_ID row has its jobName');
    const byProduct = seen.aggregations[2]!.rows;
    assert.ok(byProduct.some((r) => r.instanceType === undefined) && byProduct.some((r) => r.licenseProduct === undefined), 'some rows lack a group-by value');
    const weekly = seen.aggregations[0]!.rows;
    // UTC+05:30 weeks start on Monday 00:00 local, Sunday 18:30 UTC (the first bucket is clipped to the range).
    const rangeStart = new Date(farm.spanStartMs).toISOString();
    assert.equal(weekly[0]!.aggregationStartTime, rangeStart);
    const later = weekly.filter((r) => r.aggregationStartTime !== rangeStart);
    assert.ok(later.length > 0);
    for (const r of later) assert.ok(r.aggregationStartTime.endsWith('T18:30:00.000Z') && new Date(r.aggregationStartTime).getUTCDay() === 0, JSON.stringify(r));
  });

  test('a bad time zone reaches botocore as a modeled ValidationException naming timezone', () => {
    const err = seen.badTimezone;
    assert.ok(err, 'the bad time zone was accepted');
    assert.equal(err.status, 400);
    assert.equal(err.Code, 'ValidationException');
    assert.equal(err.exceptionClass, 'ValidationException');
    assert.equal(err.reason, 'FIELD_VALIDATION_FAILED');
    assert.deepEqual((err.fieldList as { name: string }[]).map((f) => f.name), ['timezone']);
    assert.match(err.Message, /\S/);
    assert.equal(err.headers['x-amzn-errortype']?.split(':')[0], 'ValidationException');
  });

  test('a second Start while the farm runs one: ThrottlingException with Retry-After, parsed by botocore; then the slot frees', () => {
    const { throttled, firstStatus, againStatus, firstId, againId } = seen.throttle;
    assert.ok(throttled, 'the second Start was not throttled');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.Code, 'ThrottlingException');
    assert.equal(throttled.exceptionClass, 'ThrottlingException');
    // botocore reads retryAfterSeconds from the Retry-After header only (its model location).
    assert.equal(typeof throttled.retryAfterSeconds, 'number');
    assert.ok(Number.isInteger(throttled.retryAfterSeconds) && (throttled.retryAfterSeconds as number) >= 1, String(throttled.retryAfterSeconds));
    assert.equal(throttled.headers['retry-after'], String(throttled.retryAfterSeconds));
    assert.match(throttled.Message, /\S/);
    assert.equal(firstStatus, 'COMPLETED');
    assert.equal(againStatus, 'COMPLETED');
    assert.notEqual(againId, firstId);
  });
});
