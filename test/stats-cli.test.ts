// `farmtally stats` as a user runs it: a child process against a real server holding a few
// sessions whose totals are worked out by hand below, judged by its exit code, its stdout
// (only the data: CSV, JSON or a table) and its stderr (progress, notes, errors).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand, ListQueuesCommand } from '@aws-sdk/client-deadline';
import { parse } from 'csv-parse/sync';
import { BIN, startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, sessionRecord, type FarmParents } from './support/session-records.js';
import { postSessions, runAggregation } from './support/statistics-farm.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `farmtally stats ARGS`; with `stdoutFile`, stdout goes to that file as `> FILE` would send it. */
function stats(args: string[], options: { env?: NodeJS.ProcessEnv; stdoutFile?: string } = {}): Promise<Run> {
  const fd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
  const child = spawn(process.execPath, [BIN, 'stats', ...args], { stdio: ['ignore', fd ?? 'pipe', 'pipe'], env: options.env ?? process.env });
  if (fd !== undefined) closeSync(fd);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: options.stdoutFile ? readFileSync(options.stdoutFile, 'utf8') : stdout, stderr })),
  );
}

const HOUR = 3600;
const RANGE = { start: '2025-03-01T00:00:00Z', end: '2025-03-03T00:00:00Z' };
const DAY1 = { start: '2025-03-01T00:00:00.000Z', end: '2025-03-02T00:00:00.000Z' };
const DAY2 = { start: '2025-03-02T00:00:00.000Z', end: '2025-03-03T00:00:00.000Z' };

let ft: Farmtally;
let farm: FarmParents;
let queueB: string;
let dir: string;

/**
 * The sessions, all on the farm's customer-managed fleet (1 USD per worker-hour by default,
 * no rate card, cost scale 1) and without an instance type:
 *   A1 queue A  03-01 10:00 to 11:00              3600 s on day 1
 *   A2 queue A  03-01 23:30 to 03-02 00:30        1800 s on day 1, 1800 s on day 2
 *   B1 queue B  03-02 12:00 to 12:30, uses nuke   1800 s on day 2, as COMPUTE and as LICENSE
 *   A3 queue A  03-03 00:00 to 01:00              at the range's (exclusive) end: nothing
 *   A4 queue A  02-28 22:00 to 03-01 00:00        ends where the range starts: nothing
 * nuke has no rate, so its LICENSE usage costs 0 and the aggregation says so.
 */
function sessions() {
  const a = farm;
  const b = { ...farm, queueId: queueB };
  const at = (startedAt: string, endedAt: string) => ({ startedAt, endedAt, instanceType: undefined });
  return [
    sessionRecord(a, at('2025-03-01T10:00:00Z', '2025-03-01T11:00:00Z')),
    sessionRecord(a, at('2025-03-01T23:30:00Z', '2025-03-02T00:30:00Z')),
    sessionRecord(b, { ...at('2025-03-02T12:00:00Z', '2025-03-02T12:30:00Z'), licenseProducts: ['nuke'] }),
    sessionRecord(a, at('2025-03-03T00:00:00Z', '2025-03-03T01:00:00Z')),
    sessionRecord(a, at('2025-02-28T22:00:00Z', '2025-03-01T00:00:00Z')),
  ];
}

interface Expected {
  start: string;
  end: string;
  queueId: string;
  usageType: string;
  count: number;
  runtimeSum: number;
  costSum: number;
}

/** The table above, DAILY by QUEUE_ID and USAGE_TYPE, in the API's row order (bucket, then queue ID, then usage type). */
function expectedDaily(): Expected[] {
  const rows: Expected[] = [
    { ...DAY1, queueId: farm.queueId, usageType: 'COMPUTE', count: 2, runtimeSum: HOUR + HOUR / 2, costSum: 1 + 0.5 },
    { ...DAY2, queueId: farm.queueId, usageType: 'COMPUTE', count: 1, runtimeSum: HOUR / 2, costSum: 0.5 },
    { ...DAY2, queueId: queueB, usageType: 'COMPUTE', count: 1, runtimeSum: HOUR / 2, costSum: 0.5 },
    { ...DAY2, queueId: queueB, usageType: 'LICENSE', count: 1, runtimeSum: HOUR / 2, costSum: 0 },
  ];
  const ordinal = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return rows.sort((x, y) => ordinal(x.start, y.start) || ordinal(x.queueId, y.queueId) || ordinal(x.usageType, y.usageType));
}

/** The CSV's columns: each bucket time in UTC, then on the zone's clock (UTC here, the default zone); a queue's name after its ID. */
const HEADER = ['start', 'start_local', 'end', 'end_local', 'queueId', 'queueName', 'usageType', 'count', 'runtime_sum_s', 'runtime_avg_s', 'cost_sum_usd', 'cost_avg_usd'];
const TEXT_COLUMNS = 7;
const utcLocal = (iso: string) => iso.replace('.000Z', '+00:00');
const queueName = (id: string) => (id === farm.queueId ? 'stats queue' : 'stats queue B');
const asCells = (e: Expected) => [
  e.start, utcLocal(e.start), e.end, utcLocal(e.end), e.queueId, queueName(e.queueId), e.usageType, e.count, e.runtimeSum, e.runtimeSum / e.count, e.costSum, e.costSum / e.count,
];
/** The table's columns: a queue's name beside its ID, before it (JSON keeps IDs only). */
const TABLE_HEADER = ['start', 'end', 'queue', 'queueId', 'usageType', 'count', 'runtime_sum_s', 'runtime_avg_s', 'cost_sum_usd', 'cost_avg_usd'];
/** The table's bucket times: the zone's wall clock with its offset (UTC here, the default zone). */
const inUtc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC+00:00`;
const tableCells = (e: Expected, names: Map<string, string>) => [
  inUtc(e.start), inUtc(e.end), names.get(e.queueId)!, e.queueId, e.usageType, e.count, e.runtimeSum, e.runtimeSum / e.count, e.costSum, e.costSum / e.count,
];
const queueNames = async () => new Map((await ft.client.send(new ListQueuesCommand({ farmId: farm.farmId }))).queues!.map((q) => [q.queueId!, q.displayName!]));

const common = () => ['--endpoint', ft.url, '--farm', farm.farmId, '--start', RANGE.start, '--end', RANGE.end];
const daily = (format: string) => [...common(), '--queues', `${farm.queueId},${queueB}`, '--period', 'DAILY', '--group-by', 'QUEUE_ID,USAGE_TYPE', '--statistics', 'SUM,AVG', '--format', format];

/** Exit 0; progress and the missing-rate note on stderr. */
function assertSucceeded(run: Run, rows: number): void {
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`aggregation: ${rows} rows in `));
}

/** A failure a user can read: non-zero exit, nothing on stdout, one `farmtally:`/`error:` line and no stack trace. */
function assertFailed(run: Run, message: RegExp): void {
  assert.notEqual(run.code, 0, `expected a failure:\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, message);
  assert.doesNotMatch(run.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
}

before(async () => {
  ft = await startFarmtally();
  farm = await farmWithParents(ft.client, 'stats');
  queueB = (await ft.client.send(new CreateQueueCommand({ farmId: farm.farmId, displayName: 'stats queue B' }))).queueId!;
  await postSessions(ft.url, farm.farmId, sessions());
  dir = mkdtempSync(join(tmpdir(), 'farmtally-stats-'));
});
after(async () => {
  await ft?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('farmtally stats prints the rows', () => {
  test('CSV to a file (> file.csv): the header and the hand-computed values, progress and notes on stderr', async () => {
    const file = join(dir, 'daily.csv');
    const run = await stats(daily('csv'), { stdoutFile: file });
    assertSucceeded(run, 4);
    assert.match(run.stderr, /note: .*nuke/);
    const text = readFileSync(file, 'utf8');
    const [header, ...records] = parse(text) as string[][];
    assert.deepEqual(header, HEADER);
    const expected = expectedDaily();
    assert.equal(records.length, expected.length, text);
    records.forEach((cells, i) => {
      const want = asCells(expected[i]!);
      assert.deepEqual(cells.slice(0, TEXT_COLUMNS), want.slice(0, TEXT_COLUMNS), `row ${i}`);
      assert.deepEqual(cells.slice(TEXT_COLUMNS).map(Number), want.slice(TEXT_COLUMNS), `row ${i}: ${cells.join(',')}`);
    });
  });

  test('JSON: exactly the rows the SDK gets for the same request', async () => {
    const run = await stats(daily('json'));
    assertSucceeded(run, 4);
    const printed = JSON.parse(run.stdout);
    const sdk = await runAggregation(ft.client, {
      farmId: farm.farmId, resourceIds: { queueIds: [farm.queueId, queueB] }, startTime: new Date(RANGE.start), endTime: new Date(RANGE.end),
      period: 'DAILY', groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'AVG'],
    });
    assert.equal(sdk.status, 'COMPLETED');
    assert.deepEqual(printed, sdk.rows);
    // And they are the hand-computed ones.
    assert.deepEqual(
      printed.map((r: any) => [r.aggregationStartTime, r.queueId, r.usageType, r.count, r.runtimeInSeconds.sum, r.costInUsd.avg]),
      expectedDaily().map((e) => [e.start, e.queueId, e.usageType, e.count, e.runtimeSum, e.costSum / e.count]),
    );
  });

  test('table: a header, a rule, one line per row; text columns left-aligned, numbers right-aligned', async () => {
    const run = await stats(daily('table'));
    assertSucceeded(run, 4);
    const lines = run.stdout.replace(/\n$/, '').split('\n');
    const expected = expectedDaily();
    assert.equal(lines.length, 2 + expected.length, run.stdout);
    // The rule under the header marks each column's extent.
    const spans = [...lines[1]!.matchAll(/-+/g)].map((m) => [m.index!, m.index! + m[0].length] as const);
    assert.equal(spans.length, TABLE_HEADER.length, lines[1]);
    const cellsOf = (line: string) => spans.map(([from, to]) => line.padEnd(to).slice(from, to));
    const numeric = TABLE_HEADER.map((_, i) => i >= 5);
    const names = await queueNames();
    assert.equal(names.size, 2);
    const check = (line: string, want: (string | number)[], what: string) => {
      const cells = cellsOf(line);
      cells.forEach((cell, i) => {
        const value = String(want[i]);
        assert.equal(cell.trim(), value, `${what}, column ${TABLE_HEADER[i]}: ${JSON.stringify(line)}`);
        if (numeric[i]) assert.ok(cell.endsWith(value), `${what}: ${TABLE_HEADER[i]} should be right-aligned: ${JSON.stringify(cell)}`);
        else assert.ok(cell.startsWith(value), `${what}: ${TABLE_HEADER[i]} should be left-aligned: ${JSON.stringify(cell)}`);
      });
      // Columns are separated: nothing is written between two spans.
      for (let i = 1; i < spans.length; i++) assert.equal(line.slice(spans[i - 1]![1], spans[i]![0]).trim(), '', `${what}: ${JSON.stringify(line)}`);
    };
    check(lines[0]!, TABLE_HEADER, 'header');
    expected.forEach((e, i) => check(lines[2 + i]!, tableCells(e, names), `row ${i}`));
  });

  test('table: bucket times on --timezone\'s clock; a local time in a daylight-saving gap gets a note', async () => {
    const run = await stats([...common(), '--queues', farm.queueId, '--timezone', 'UTC+08:00', '--period', 'DAILY', '--group-by', 'QUEUE_ID']);
    assertSucceeded(run, 2);
    assert.match(run.stdout.split('\n')[2]!, /^2025-03-01 08:00 UTC\+08:00  2025-03-02 00:00 UTC\+08:00  /);
    const gap = await stats([...common().slice(0, 4), '--start', '2025-03-09T02:30', '--end', '2025-03-10', '--timezone', 'America/New_York', '--queues', farm.queueId, '--group-by', 'QUEUE_ID']);
    assert.equal(gap.code, 0, gap.stderr);
    assert.match(gap.stderr, /note: --start 2025-03-09T02:30 does not exist in America\/New_York \(the clocks went forward over it\); it was read as 2025-03-09 03:00 UTC-04:00/);
    const noGap = await stats([...common().slice(0, 4), '--start', '2025-03-09T01:30', '--end', '2025-03-10', '--timezone', 'America/New_York', '--queues', farm.queueId, '--group-by', 'QUEUE_ID']);
    assert.doesNotMatch(noGap.stderr, /does not exist/);
  });

  test('CSV columns follow the request, not the data: order, names beside IDs, absent values, no rows', async () => {
    // USAGE_TYPE first: rows are ordered by usage type, and so are the columns.
    const swapped = await stats([...common(), '--queues', farm.queueId, '--group-by', 'usage_type,QUEUE_ID', '--format', 'csv']);
    assertSucceeded(swapped, 1);
    assert.deepEqual(parse(swapped.stdout), [
      ['start', 'start_local', 'end', 'end_local', 'usageType', 'queueId', 'queueName', 'count', 'runtime_sum_s', 'cost_sum_usd'],
      ['2025-03-01T00:00:00.000Z', '2025-03-01T00:00:00+00:00', '2025-03-03T00:00:00.000Z', '2025-03-03T00:00:00+00:00', 'COMPUTE', farm.queueId, 'stats queue', '2', String(2 * HOUR), '2'],
    ]);
    // A fleet's name after its ID; bucket times on --timezone's clock beside UTC.
    const byFleet = await stats([...common(), '--fleets', farm.fleetId, '--timezone', 'UTC+08:00', '--group-by', 'FLEET_ID', '--format', 'csv']);
    assertSucceeded(byFleet, 1);
    assert.deepEqual(parse(byFleet.stdout, { columns: true }), [{
      start: '2025-03-01T00:00:00.000Z', start_local: '2025-03-01T08:00:00+08:00', end: '2025-03-03T00:00:00.000Z', end_local: '2025-03-03T08:00:00+08:00',
      fleetId: farm.fleetId, fleetName: 'stats fleet', count: '4', runtime_sum_s: String(HOUR + HOUR + HOUR / 2 + HOUR / 2), cost_sum_usd: '2.5',
    }]);
    // No session has an instance type: the column is there, empty.
    const WHOLE_RANGE = { start: '2025-03-01T00:00:00.000Z', start_local: '2025-03-01T00:00:00+00:00', end: '2025-03-03T00:00:00.000Z', end_local: '2025-03-03T00:00:00+00:00' };
    const byInstance = await stats([...common(), '--fleets', farm.fleetId, '--group-by', 'INSTANCE_TYPE,USAGE_TYPE', '--statistics', 'MAX', '--format', 'csv']);
    assertSucceeded(byInstance, 2);
    assert.deepEqual(parse(byInstance.stdout, { columns: true }), [
      { ...WHOLE_RANGE, instanceType: '', usageType: 'COMPUTE', count: '3', runtime_max_s: String(HOUR), cost_max_usd: '1' },
      { ...WHOLE_RANGE, instanceType: '', usageType: 'LICENSE', count: '1', runtime_max_s: String(HOUR / 2), cost_max_usd: '0' },
    ]);
    const byJob = await stats([...common(), '--queues', queueB, '--group-by', 'JOB_ID', '--format', 'csv']);
    assertSucceeded(byJob, 1);
    const [jobHeader, jobRow] = parse(byJob.stdout) as string[][];
    assert.deepEqual(jobHeader, ['start', 'start_local', 'end', 'end_local', 'jobId', 'jobName', 'count', 'runtime_sum_s', 'cost_sum_usd']);
    assert.deepEqual(jobRow!.slice(5, 7), ['shot_010 comp', '2']);
    // A range with no sessions: the header alone, so a script still finds its columns.
    const empty = await stats(['--endpoint', ft.url, '--farm', farm.farmId, '--queues', farm.queueId, '--start', '2026-01-01', '--end', '2026-01-02', '--group-by', 'QUEUE_ID', '--format', 'csv']);
    assertSucceeded(empty, 0);
    assert.deepEqual(parse(empty.stdout), [['start', 'start_local', 'end', 'end_local', 'queueId', 'queueName', 'count', 'runtime_sum_s', 'cost_sum_usd']]);
  });

  test('times without an offset are UTC without --timezone, whatever the machine\'s time zone', async () => {
    const inUtc = await stats(daily('csv'));
    assertSucceeded(inUtc, 4);
    const args = daily('csv');
    args[args.indexOf('--start') + 1] = '2025-03-01T00:00:00';
    args[args.indexOf('--end') + 1] = '2025-03-03T00:00';
    const local = await stats(args, { env: { ...process.env, TZ: 'Asia/Kolkata' } });
    assertSucceeded(local, 4);
    assert.equal(local.stdout, inUtc.stdout);
    // A bare date too.
    args[args.indexOf('--start') + 1] = '2025-03-01';
    assert.equal((await stats(args, { env: { ...process.env, TZ: 'America/New_York' } })).stdout, inUtc.stdout);
  });
});

describe('farmtally stats reads dates in --timezone', () => {
  /** JSON rows of queue A, DAILY, from `start` to `end` in UTC+08:00. */
  const inPlus8 = (start: string, end: string) =>
    stats(['--endpoint', ft.url, '--farm', farm.farmId, '--queues', farm.queueId, '--timezone', 'UTC+08:00', '--start', start, '--end', end, '--period', 'DAILY', '--group-by', 'QUEUE_ID', '--format', 'json']);

  test('a date is local midnight in the zone, so the first bucket is a whole local day', async () => {
    const local = await inPlus8('2025-03-01', '2025-03-03');
    assertSucceeded(local, 2);
    // Local 03-01 is 02-28T16:00Z to 03-01T16:00Z: A4 (its last 2 hours) and A1 fall in it, A2 in 03-02.
    assert.deepEqual(
      JSON.parse(local.stdout).map((r: any) => [r.aggregationStartTime, r.aggregationEndTime, r.count, r.runtimeInSeconds.sum]),
      [
        ['2025-02-28T16:00:00.000Z', '2025-03-01T16:00:00.000Z', 2, 3 * HOUR],
        ['2025-03-01T16:00:00.000Z', '2025-03-02T16:00:00.000Z', 1, HOUR],
      ],
    );
    // The same instants written with their offset give the same rows.
    const explicit = await inPlus8('2025-03-01T00:00:00+08:00', '2025-03-03T00:00:00+08:00');
    assertSucceeded(explicit, 2);
    assert.equal(explicit.stdout, local.stdout);
  });

  test('a local date-time is that wall-clock time in the zone; Z or an offset names the instant', async () => {
    // 08:00 local is 00:00Z: the range starts where A4 ends, so only A1 is on the first day.
    const run = await inPlus8('2025-03-01T08:00', '2025-03-02T00:00:00Z');
    assertSucceeded(run, 2);
    assert.deepEqual(
      JSON.parse(run.stdout).map((r: any) => [r.aggregationStartTime, r.aggregationEndTime, r.runtimeInSeconds.sum]),
      [
        ['2025-03-01T00:00:00.000Z', '2025-03-01T16:00:00.000Z', HOUR],
        ['2025-03-01T16:00:00.000Z', '2025-03-02T00:00:00.000Z', HOUR / 2],
      ],
    );
  });
});

describe('farmtally stats says what went wrong', () => {
  test('both --queues and --fleets is refused; neither is the whole farm (its queues); --period in any case', async () => {
    const both = await stats([...common(), '--queues', farm.queueId, '--fleets', farm.fleetId, '--group-by', 'QUEUE_ID']);
    assertFailed(both, /one of --queues or --fleets, not both/);
    const named = await stats(daily('json'));
    const neither = await stats([...common(), '--period', 'daily', '--group-by', 'QUEUE_ID,USAGE_TYPE', '--statistics', 'sum,avg', '--format', 'json']);
    assertSucceeded(neither, 4);
    assert.deepEqual(JSON.parse(neither.stdout), JSON.parse(named.stdout), 'the farm has the two queues named in the other run');
    // A farm of more queues than one request names: the whole farm as its fleets.
    const many = await farmWithParents(ft.client, 'many queues');
    for (let i = 0; i < 10; i++) await ft.client.send(new CreateQueueCommand({ farmId: many.farmId, displayName: `extra ${i}` }));
    await postSessions(ft.url, many.farmId, [sessionRecord(many, { startedAt: '2025-03-01T10:00:00Z', endedAt: '2025-03-01T11:00:00Z' })]);
    const wide = await stats(['--endpoint', ft.url, '--farm', many.farmId, '--start', RANGE.start, '--end', RANGE.end, '--group-by', 'USAGE_TYPE', '--format', 'json']);
    assertSucceeded(wide, 1);
    assert.match(wide.stderr, /has 11 queues, more than one request names \(10\), so the whole farm is asked for as its 1 fleets/);
    assert.equal(JSON.parse(wide.stdout)[0].count, 1);
    const badPeriod = await stats([...common(), '--queues', farm.queueId, '--period', 'fortnightly', '--group-by', 'QUEUE_ID']);
    assertFailed(badPeriod, /fortnightly is not one of HOURLY, DAILY, WEEKLY, MONTHLY/);
  });

  test('a group-by field that does not exist: the message lists the valid ones', async () => {
    const run = await stats([...common(), '--queues', farm.queueId, '--group-by', 'QUEUE_ID,PROJECT']);
    assertFailed(run, /PROJECT/);
    for (const field of ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT']) assert.match(run.stderr, new RegExp(`\\b${field}\\b`));
  });

  test('an endpoint where nothing listens: start the server', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const run = await stats(['--endpoint', `http://127.0.0.1:${port}`, '--farm', farm.farmId, '--queues', farm.queueId, '--start', RANGE.start, '--end', RANGE.end, '--group-by', 'QUEUE_ID']);
    assertFailed(run, /cannot reach the server/);
    assert.match(run.stderr, /farmtally serve/);
    assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  test('the server refuses the request: its error, readably', async () => {
    const backwards = await stats(['--endpoint', ft.url, '--farm', farm.farmId, '--queues', farm.queueId, '--start', RANGE.end, '--end', RANGE.start, '--group-by', 'QUEUE_ID']);
    assertFailed(backwards, /^farmtally: ValidationException: .*endTime.*startTime/m);
    const unknown = `queue-${'0'.repeat(32)}`;
    const missing = await stats([...common(), '--queues', unknown, '--group-by', 'QUEUE_ID']);
    assertFailed(missing, new RegExp(`^farmtally: ResourceNotFoundException: .*${unknown}`, 'm'));
  });
});

describe('farmtally stats reads every page', () => {
  // One session over 300 hours: 300 HOURLY rows. farmtally serves up to 1000 rows a page;
  // a --strict server, like the service, refuses more than 100, and the command then asks
  // for 100 at a time. Either way it prints exactly the SDK's rows.
  const long = { start: '2025-05-01T00:00:00Z', end: '2025-05-14T12:00:00Z' };
  for (const mode of ['extended', 'strict'] as const) {
    test(`300 rows from a${mode === 'strict' ? ' --strict' : 'n extended'} server`, async () => {
      const server = mode === 'strict' ? await startFarmtally({ args: ['--strict'] }) : ft;
      try {
        const p = await farmWithParents(server.client, `pages ${mode}`);
        await postSessions(server.url, p.farmId, [sessionRecord(p, { startedAt: '2025-05-01T00:00:00Z', endedAt: '2025-05-13T12:00:00Z' })]);
        const run = await stats(['--endpoint', server.url, '--farm', p.farmId, '--queues', p.queueId, '--start', long.start, '--end', long.end,
          '--period', 'HOURLY', '--group-by', 'QUEUE_ID', '--format', 'json']);
        assertSucceeded(run, 300);
        const sdk = await runAggregation(server.client, {
          farmId: p.farmId, resourceIds: { queueIds: [p.queueId] }, startTime: new Date(long.start), endTime: new Date(long.end),
          period: 'HOURLY', groupBy: ['QUEUE_ID'], statistics: ['SUM'],
        });
        assert.deepEqual(JSON.parse(run.stdout), sdk.rows);
      } finally {
        if (server !== ft) await server.stop();
      }
    });
  }
});
