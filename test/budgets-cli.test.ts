// `farmtally budgets create|list|show|update|delete` run as a user runs them against a real server: a budget
// created through the CLI, listed with its queue's name and its usage against the limit (from
// sessions of a known cost), shown with its actions crossed or not, the JSON equal to the API's
// answer through the SDK, a budget changed (its window turned recurring and back, an extension
// a --strict server refuses) and deleted, and bad options refused as usage errors before any
// request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateBudgetCommand, CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, GetBudgetCommand, ListBudgetsCommand } from '@aws-sdk/client-deadline';
import { progressBar } from '../src/cli/budgets.js';
import { closedPort, farmtally, type CliRun } from './support/cli.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { postSessions, runAggregation } from './support/statistics-farm.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let ft: Farmtally;
let farmId: string;
let queueId: string;
/** The cost of the queue's sessions over the window (an ended window, so it does not move). */
let usage: number;
let fleetId: string;
const windowStart = new Date(Date.UTC(2025, 4, 1));
const windowEnd = new Date(Date.UTC(2025, 5, 1));

before(async () => {
  ft = await startFarmtally();
  const c = ft.client;
  farmId = (await c.send(new CreateFarmCommand({ displayName: 'Budget farm' }))).farmId!;
  queueId = (await c.send(new CreateQueueCommand({ farmId, displayName: 'Lighting shots' }))).queueId!;
  ({ fleetId } = await c.send(new CreateFleetCommand({
    farmId, displayName: 'workstations', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
    configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
  })) as { fleetId: string });
  const session = (n: number, startMs: number, endMs: number) => ({
    sessionId: `session-${n.toString(16).padStart(32, '0')}`, queueId, fleetId, jobId: `job-${'a'.repeat(32)}`, jobName: 'shot', userId: 'ana',
    workerId: `worker-${'b'.repeat(32)}`, startedAt: new Date(startMs).toISOString(), endedAt: new Date(endMs).toISOString(),
  });
  const t = windowStart.getTime();
  await postSessions(ft.url, farmId, [session(1, t + DAY, t + DAY + 30 * HOUR), session(2, t + 5 * DAY, t + 5 * DAY + 7 * HOUR)]);
  const result = await runAggregation(c, {
    farmId, resourceIds: { queueIds: [queueId] }, startTime: windowStart, endTime: windowEnd, groupBy: ['QUEUE_ID'], statistics: ['SUM'],
  });
  assert.equal(result.status, 'COMPLETED', result.statusMessage);
  usage = result.rows.reduce((s, r) => s + r.costInUsd.sum!, 0);
  assert.ok(usage > 0, 'the sessions cost something');
});
after(() => ft?.stop());

/** A table's cells, column by column as the rule under the header marks them. */
function tableCells(text: string): string[][] {
  const lines = text.replace(/\n$/, '').split('\n');
  const spans = [...lines[1]!.matchAll(/-+/g)].map((m) => [m.index!, m.index! + m[0].length] as const);
  return [lines[0]!, ...lines.slice(2)].map((line) => spans.map(([from, to]) => line.padEnd(to).slice(from, to).trim()));
}
const asJson = (x: unknown) => JSON.parse(JSON.stringify(x));
const dollars = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
function assertDone(run: CliRun): void {
  assert.equal(run.code, 0, run.stderr);
}
function assertUsageError(run: CliRun, message: RegExp, command = 'create'): void {
  assert.equal(run.code, 2, `expected exit 2:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stderr, message);
  assert.match(run.stderr, new RegExp(`farmtally budgets ${command} --help`));
}

describe('farmtally budgets', () => {
  let budgetId: string;
  // A limit the usage is 62 % of.
  const limit = () => Math.round((usage / 0.62) * 100) / 100;

  test('create: prints the new ID and the show command; the budget is as asked', async () => {
    const run = await farmtally([
      'budgets', 'create', '--endpoint', ft.url, '--farm', farmId, '--queue', queueId, '--name', 'May shots', '--limit', String(limit()),
      '--start', '2025-05-01', '--end', '2025-06-01', '--action', 'COMPLETE:50', '--action', 'cancel:100', '--description', 'shots 10-40',
    ]);
    assertDone(run);
    const [id, showLine] = run.stdout.trim().split('\n');
    assert.match(id!, /^budget-[0-9a-f]{32}$/);
    budgetId = id!;
    assert.match(showLine!, new RegExp(`farmtally budgets show --farm ${farmId} --budget ${budgetId}$`));
    const got = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.equal(got.displayName, 'May shots');
    assert.equal(got.description, 'shots 10-40');
    assert.equal(got.approximateDollarLimit, limit());
    assert.deepEqual(got.usageTrackingResource, { queueId });
    assert.deepEqual(got.schedule, { fixed: { startTime: windowStart, endTime: windowEnd } });
    assert.deepEqual(got.actions, [
      { type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 },
      { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 },
    ]);
  });

  test("list: every budget's row, its queue by name and its usage as a percentage of the limit; --status filters; json is the API's summaries", async () => {
    const run = await farmtally(['budgets', 'list', '--endpoint', ft.url, '--farm', farmId]);
    assertDone(run);
    assert.deepEqual(tableCells(run.stdout), [
      ['NAME', 'TRACKS', 'WINDOW', 'LIMIT', 'USAGE', 'USED', 'STATUS', 'BUDGET ID'],
      ['May shots', 'Lighting shots', '2025-05-01 → 2025-06-01', dollars(limit()), dollars(usage), '██████░░░░ 62 %', 'INACTIVE', budgetId],
    ]);
    const active = await farmtally(['budgets', 'list', '--endpoint', ft.url, '--farm', farmId, '--status', 'ACTIVE']);
    assertDone(active);
    assert.match(active.stdout, /has no ACTIVE budgets/);
    const json = await farmtally(['budgets', 'list', '--endpoint', ft.url, '--farm', farmId, '--format', 'json']);
    assertDone(json);
    assert.deepEqual(JSON.parse(json.stdout), asJson((await ft.client.send(new ListBudgetsCommand({ farmId }))).budgets));
  });

  test("show: fields, usage against the limit, each action crossed or not; json is GetBudget's answer", async () => {
    const run = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', budgetId]);
    assertDone(run);
    assert.match(run.stdout, /^Name: +May shots$/m);
    assert.match(run.stdout, new RegExp(`^Queue: +Lighting shots \\(${queueId}\\)$`, 'm'));
    assert.match(run.stdout, /^Window: +2025-05-01 → 2025-06-01$/m);
    assert.match(run.stdout, new RegExp(`^Usage: +\\${dollars(usage)} of \\${dollars(limit())}$`, 'm'));
    assert.match(run.stdout, /^Used: +██████░░░░ 62 %$/m);
    // An ended window: its forecast is what was spent.
    assert.match(run.stdout, new RegExp(`^Forecast: +\\${dollars(usage)}, what was spent: the window has ended \\(62 % of the limit\\)$`, 'm'));
    const actions = run.stdout.split('\n\n')[1]!;
    assert.deepEqual(tableCells(actions).map((r) => [r[0], r[1], r[3]]), [
      ['ACTION', 'THRESHOLD', 'CROSSED'],
      ['STOP_SCHEDULING_AND_COMPLETE_TASKS', '50 %', 'yes'],
      ['STOP_SCHEDULING_AND_CANCEL_TASKS', '100 %', 'no'],
    ]);
    const json = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', budgetId, '--format', 'json']);
    assertDone(json);
    const { $metadata: _, ...got } = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.deepEqual(JSON.parse(json.stdout), asJson(got));
  });

  test('an unknown budget fails (exit 1) with the server\'s message', async () => {
    const run = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', `budget-${'0'.repeat(32)}`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ResourceNotFoundException/);
  });

  test("the server's ValidationException passes through: a malformed queue ID", async () => {
    const run = await farmtally([
      'budgets', 'create', '--endpoint', ft.url, '--farm', farmId, '--queue', 'queue-XYZ', '--name', 'n', '--limit', '10', '--start', '2025-05-01', '--end', '2025-06-01',
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /ValidationException: .*queueId/);
  });

  test('bad options are usage errors naming the option, before any request', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const base = ['budgets', 'create', '--endpoint', endpoint, '--farm', farmId, '--queue', queueId, '--name', 'n'];
    const cases: [string[], RegExp][] = [
      [['--limit', 'lots', '--start', '2025-05-01', '--end', '2025-06-01'], /--limit <usd>.*US dollars/],
      [['--limit', '0', '--start', '2025-05-01', '--end', '2025-06-01'], /--limit <usd>.*at least 0\.01/],
      [['--limit', '10', '--start', '2025-05-01', '--end', '2025-06-01', '--action', 'STOP:80'], /--action <type:percent>.*COMPLETE, CANCEL/],
      [['--limit', '10', '--start', '2025-05-01', '--end', '2025-06-01', '--action', 'COMPLETE:120'], /--action <type:percent>.*0 to 100/],
      [['--limit', '10', '--start', 'soon', '--end', '2025-06-01'], /--start soon is not a time/],
      [['--limit', '10', '--start', '2025-06-01', '--end', '2025-05-01'], /--end 2025-05-01 must be later than --start 2025-06-01/],
      [['--start', '2025-05-01', '--end', '2025-06-01'], /required option '--limit <usd>'/],
    ];
    // Independent runs, so at once: each is a Node process starting up.
    const runs = await Promise.all(cases.map(([args]) => farmtally([...base, ...args])));
    cases.forEach(([, message], i) => assertUsageError(runs[i]!, message));
  });

  test("show: an open window's forecast, the spend so far and the last 7 complete days' average to the end (DECISIONS, Budget forecast)", async () => {
    // A queue of its own, sessions on whole hours of past days (the default rate card: $1 a
    // customer-managed worker hour), nothing today; the window from 10 days ago to 20 days on.
    const c = ft.client;
    const q = (await c.send(new CreateQueueCommand({ farmId, displayName: 'Comp' }))).queueId!;
    const today = Math.floor(Date.now() / DAY) * DAY;
    const hoursByDay: [number, number][] = [[-9, 5], [-6, 3], [-2, 4.5], [-1, 2]];
    await postSessions(ft.url, farmId, hoursByDay.map(([day, hours], i) => ({
      sessionId: `session-${(0xf0 + i).toString(16).padStart(32, '0')}`, queueId: q, fleetId, jobId: `job-${'c'.repeat(32)}`, jobName: 'comp', userId: 'bo',
      workerId: `worker-${'d'.repeat(32)}`, startedAt: new Date(today + day * DAY + HOUR).toISOString(), endedAt: new Date(today + day * DAY + HOUR + hours * HOUR).toISOString(),
    })));
    const [start, end] = [new Date(today - 10 * DAY), new Date(today + 20 * DAY)];
    const limit = 50;
    const { budgetId: id } = await c.send(new CreateBudgetCommand({
      farmId, displayName: 'Comp month', usageTrackingResource: { queueId: q }, approximateDollarLimit: limit, actions: [], schedule: { fixed: { startTime: start, endTime: end } },
    }));
    const run = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', id!]);
    assertDone(run);
    assert.equal(new Date(Date.now()).toISOString().slice(0, 10), new Date(today).toISOString().slice(0, 10), 'the day did not change during the test');
    const spent = hoursByDay.reduce((s, [, h]) => s + h, 0);
    const rate = hoursByDay.filter(([day]) => day >= -7).reduce((s, [, h]) => s + h, 0) / 7;
    // Nothing spent today: today counts as the rate, and so does each of the 19 days after it.
    const forecast = spent + rate * 20;
    assert.match(run.stdout, new RegExp(`^Usage: +\\${dollars(spent)} of \\${dollars(limit)}$`, 'm'));
    assert.match(run.stdout, new RegExp(
      `^Forecast: +\\${dollars(forecast)} by ${end.toISOString().slice(0, 10)} \\(${Math.round((forecast / limit) * 100)} % of the limit; \\${dollars(rate)} a day, the average of the last 7 complete days\\)$`, 'm'));
  });

  test('the bar: a cell per 10 %, rounded; full past the limit, empty below 5 %', () => {
    assert.equal(progressBar(62), '██████░░░░ 62 %');
    assert.equal(progressBar(0), '░░░░░░░░░░ 0 %');
    assert.equal(progressBar(4.9), '░░░░░░░░░░ 5 %');
    assert.equal(progressBar(100), '██████████ 100 %');
    assert.equal(progressBar(138.4), '██████████ 138 %');
  });
});

describe('farmtally budgets update and delete', () => {
  const newBudget = async () =>
    (await ft.client.send(new CreateBudgetCommand({
      farmId, displayName: 'June shots', usageTrackingResource: { queueId }, approximateDollarLimit: 100,
      actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80, description: 'slow down' }, { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }],
      schedule: { fixed: { startTime: new Date(Date.UTC(2025, 5, 1)), endTime: new Date(Date.UTC(2025, 6, 1)) } },
    }))).budgetId!;
  const cli = (...args: string[]) => farmtally(['budgets', ...args.slice(0, 1), '--endpoint', ft.url, '--farm', farmId, ...args.slice(1)]);

  test('update: every option changes its member and nothing else; then the budget is shown', async () => {
    const budgetId = await newBudget();
    const run = await cli(
      'update', '--budget', budgetId, '--name', 'June shots v2', '--description', 'more shots', '--limit', '$1,250.50', '--status', 'INACTIVE',
      '--start', '2025-06-02', '--end', '2025-07-15T12:00:00Z', '--add-action', 'cancel:95', '--remove-action', 'CANCEL:100', '--remove-action', 'COMPLETE:50',
    );
    assertDone(run);
    assert.match(run.stdout, /^Name: +June shots v2$/m);
    assert.match(run.stdout, /^Window: +2025-06-02 → 2025-07-15T12:00:00Z$/m);
    assert.match(run.stdout, /^Updated: +\S+ by farmtally$/m);
    const got = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.deepEqual(
      [got.displayName, got.description, got.approximateDollarLimit, got.status, got.schedule, got.actions],
      ['June shots v2', 'more shots', 1250.5, 'INACTIVE', { fixed: { startTime: new Date(Date.UTC(2025, 5, 2)), endTime: new Date(Date.UTC(2025, 6, 15, 12)) } }, [
        { type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80, description: 'slow down' },
        { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 95 },
      ]],
    );

    // One bound alone keeps the other; one option alone changes one member.
    assertDone(await cli('update', '--budget', budgetId, '--end', '2025-08-01'));
    assertDone(await cli('update', '--budget', budgetId, '--limit', '99'));
    const after = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.deepEqual(after.schedule, { fixed: { startTime: new Date(Date.UTC(2025, 5, 2)), endTime: new Date(Date.UTC(2025, 7, 1)) } });
    assert.deepEqual([after.displayName, after.approximateDollarLimit, after.status, after.actions?.length], ['June shots v2', 99, 'INACTIVE', 2]);

    const json = await cli('update', '--budget', budgetId, '--status', 'ACTIVE', '--format', 'json');
    assertDone(json);
    const { $metadata: _, ...answer } = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.deepEqual(JSON.parse(json.stdout), asJson(answer));
  });

  test("update: bad options are usage errors before any request; the server's refusals fail (exit 1)", async () => {
    const budgetId = await newBudget();
    const cases: [string[], RegExp][] = [
      [[], /nothing to change/],
      [['--limit', '0'], /--limit <usd>.*at least 0\.01/],
      [['--status', 'PAUSED'], /--status.*ACTIVE, INACTIVE|Allowed choices are ACTIVE, INACTIVE/],
      [['--add-action', 'STOP:80'], /--add-action <type:percent>.*COMPLETE, CANCEL/],
      [['--remove-action', 'CANCEL:101'], /--remove-action <type:percent>.*0 to 100/],
      [['--start', '2025-07-01', '--end', '2025-06-01'], /--end 2025-06-01 must be later than --start 2025-07-01/],
      [['--start', 'soon'], /--start soon is not a time/],
      // The window's other bound is the budget's own: --start past its end is refused too.
      [['--start', '2025-08-01'], /window would end/],
    ];
    // Independent runs, so at once: each is a Node process starting up.
    const runs = await Promise.all(cases.map(([args]) => cli('update', '--budget', budgetId, ...args)));
    cases.forEach(([, message], i) => assertUsageError(runs[i]!, message, 'update'));
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId }))).updatedAt, undefined, 'nothing was changed');

    const unknown = await cli('update', '--budget', `budget-${'0'.repeat(32)}`, '--limit', '5');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /ResourceNotFoundException/);
    const eleven = Array.from({ length: 11 }, (_, i) => ['--add-action', `COMPLETE:${i}`]).flat();
    assertUsageError(await cli('update', '--budget', budgetId, ...eleven), /at most 10/, 'update');
    // Ten more than the two it has: the server says so.
    const ten = Array.from({ length: 10 }, (_, i) => ['--add-action', `COMPLETE:${i}`]).flat();
    const tooMany = await cli('update', '--budget', budgetId, ...ten);
    assert.equal(tooMany.code, 1, tooMany.stderr);
    assert.match(tooMany.stderr, /ValidationException: .*12 actions/);
  });

  test('delete: asks nothing, says what it deleted; the budget is gone; json is the deleted budget', async () => {
    const budgetId = await newBudget();
    const run = await cli('delete', '--budget', budgetId);
    assertDone(run);
    assert.equal(run.stdout.trim(), `Deleted budget ${budgetId} "June shots" on queue ${queueId}: limit $100.00, window 2025-06-01 → 2025-07-01, INACTIVE.`);
    assert.deepEqual((await ft.client.send(new ListBudgetsCommand({ farmId }))).budgets!.filter((b) => b.budgetId === budgetId), []);
    const again = await cli('delete', '--budget', budgetId);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ResourceNotFoundException/);

    const second = await newBudget();
    const { $metadata: _, ...before } = await ft.client.send(new GetBudgetCommand({ farmId, budgetId: second }));
    const json = await cli('delete', '--budget', second, '--format', 'json');
    assertDone(json);
    assert.deepEqual(JSON.parse(json.stdout), asJson(before));
    await assert.rejects(ft.client.send(new GetBudgetCommand({ farmId, budgetId: second })), /ResourceNotFoundException|does not exist/);
  });
});

describe('farmtally budgets create: the extensions (--fleet, --user, --whole-farm, --every)', () => {
  const create = (url: string, farm: string, ...args: string[]) =>
    farmtally(['budgets', 'create', '--endpoint', url, '--farm', farm, '--name', 'ext', '--limit', '100', ...args]);
  const read = async (budgetId: string) => (await http(ft.url, 'GET', `/2023-10-12/farms/${farmId}/budgets/${budgetId}`)).body;

  test('a fleet budget over a fixed window, and a monthly budget on the whole farm without an end, are created as asked', async () => {
    const onFleet = await create(ft.url, farmId, '--fleet', fleetId, '--start', '2025-05-01', '--end', '2025-06-01');
    assertDone(onFleet);
    const fleetBudget = await read(onFleet.stdout.trim().split('\n')[0]!);
    assert.deepEqual(fleetBudget.usageTrackingResource, { fleetId });
    assert.deepEqual(fleetBudget.schedule, { fixed: { startTime: '2025-05-01T00:00:00.000Z', endTime: '2025-06-01T00:00:00.000Z' } });
    // The fleet runs every session of the farm's one queue: the same cost.
    assert.ok(Math.abs(fleetBudget.usages.approximateDollarUsage - usage) < 1e-9, `${fleetBudget.usages.approximateDollarUsage} vs ${usage}`);

    const monthly = await create(ft.url, farmId, '--whole-farm', '--every', 'MONTHLY', '--start', '2025-05-01', '--action', 'COMPLETE:80');
    assertDone(monthly);
    const farmBudget = await read(monthly.stdout.trim().split('\n')[0]!);
    assert.deepEqual(farmBudget.usageTrackingResource, { farmId });
    assert.deepEqual(farmBudget.schedule, { recurring: { period: 'MONTHLY', startTime: '2025-05-01T00:00:00.000Z' } });
    const quarterly = await create(ft.url, farmId, '--queue', queueId, '--every', 'QUARTERLY', '--start', '2025-04-01', '--end', '2026-04-01', '--format', 'json');
    assertDone(quarterly);
    assert.deepEqual((await read(JSON.parse(quarterly.stdout).budgetId)).schedule, { recurring: { period: 'QUARTERLY', startTime: '2025-04-01T00:00:00.000Z', endTime: '2026-04-01T00:00:00.000Z' } });

    // list and show say what each tracks and its window.
    const list = await farmtally(['budgets', 'list', '--endpoint', ft.url, '--farm', farmId]);
    assertDone(list);
    const rows = tableCells(list.stdout);
    const row = (id: string) => rows.find((r) => r[7] === id)!;
    assert.deepEqual(row(fleetBudget.budgetId).slice(1, 3), [`fleet ${fleetId}`, '2025-05-01 → 2025-06-01']);
    assert.deepEqual(row(farmBudget.budgetId).slice(1, 3), ['whole farm', 'monthly from 2025-05-01']);
    const show = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', farmBudget.budgetId]);
    assertDone(show);
    assert.match(show.stdout, /^Tracks: +whole farm$/m);
    assert.match(show.stdout, /^Window: +monthly from 2025-05-01$/m);
    // Its forecast is this month's: to the month's end, from this month's spend (the method's figures are test/domain-budget-forecast.test.ts's).
    const now = new Date();
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
    const forecast = new RegExp(`^Forecast: +\\$([0-9,.]+) by ${nextMonth} \\((\\d+) % of the limit; `, 'm').exec(show.stdout);
    const used = /^Usage: +\$([0-9,.]+) of/m.exec(show.stdout);
    assert.ok(forecast && used, show.stdout);
    const [f, u] = [Number(forecast[1]!.replace(/,/g, '')), Number(used[1]!.replace(/,/g, ''))];
    assert.ok(f >= u && Number(forecast[2]) === Math.round(f), `forecast ${f} from this month's ${u} spent, of a 100 USD limit`);
    // The fleet budget's window has ended: its forecast is what its fleet spent.
    const fleetShow = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', fleetBudget.budgetId]);
    assertDone(fleetShow);
    assert.match(fleetShow.stdout, new RegExp(`^Forecast: +\\${dollars(usage)}, what was spent: the window has ended`, 'm'));
  });

  test("budgets on a user: the user's sessions in every queue; list and show say whose, and show's forecast is that user's spend", async () => {
    const made = await Promise.all(['ana', 'ben'].map(async (user) => {
      const run = await create(ft.url, farmId, '--user', user, '--start', '2025-05-01', '--end', '2025-06-01');
      assertDone(run);
      return read(run.stdout.trim().split('\n')[0]!);
    }));
    assert.deepEqual(made.map((b) => b.usageTrackingResource), [{ userId: 'ana' }, { userId: 'ben' }]);
    // Both sessions are ana's; ben has none.
    assert.ok(Math.abs(made[0].usages.approximateDollarUsage - usage) < 1e-9, `${made[0].usages.approximateDollarUsage} vs ${usage}`);
    assert.equal(made[1].usages.approximateDollarUsage, 0);
    const rows = tableCells((await farmtally(['budgets', 'list', '--endpoint', ft.url, '--farm', farmId])).stdout);
    assert.deepEqual(made.map((b) => rows.find((r) => r[7] === b.budgetId)!.slice(1, 3)), [['user ana', '2025-05-01 → 2025-06-01'], ['user ben', '2025-05-01 → 2025-06-01']]);
    for (const [b, spent] of [[made[0], usage], [made[1], 0]] as const) {
      const show = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', b.budgetId]);
      assertDone(show);
      assert.match(show.stdout, new RegExp(`^Tracks: +user ${b.usageTrackingResource.userId}$`, 'm'));
      assert.match(show.stdout, new RegExp(`^Forecast: +\\${dollars(spent)}, what was spent: the window has ended`, 'm'));
    }
    const deleted = await farmtally(['budgets', 'delete', '--endpoint', ft.url, '--farm', farmId, '--budget', made[1].budgetId]);
    assertDone(deleted);
    assert.equal(deleted.stdout.trim(), `Deleted budget ${made[1].budgetId} "ext" on user ben: limit $100.00, window 2025-05-01 → 2025-06-01, INACTIVE.`);
  });

  test('exactly one of --queue, --fleet, --whole-farm; --end unless --every: usage errors before any request', async () => {
    const cases: [string[], RegExp][] = [
      [['--start', '2025-05-01', '--end', '2025-06-01'], /exactly one of --queue Q, --fleet F, --user U or --whole-farm/],
      [['--queue', queueId, '--whole-farm', '--start', '2025-05-01', '--end', '2025-06-01'], /got --queue and --whole-farm/],
      [['--fleet', fleetId, '--start', '2025-05-01'], /--end is needed/],
      [['--whole-farm', '--every', 'WEEKLY', '--start', '2025-05-01'], /--every/],
    ];
    // Independent runs, so at once: each is a Node process starting up.
    const runs = await Promise.all(cases.map(([args]) => create(ft.url, farmId, ...args)));
    cases.forEach(([, message], i) => assertUsageError(runs[i]!, message));
  });

  test('update --every turns a fixed budget recurring (and changes its period), --start alone keeps it so, --fixed makes it fixed again', async () => {
    const { budgetId } = await ft.client.send(new CreateBudgetCommand({
      farmId, displayName: 'June to monthly', usageTrackingResource: { queueId }, approximateDollarLimit: 100, actions: [],
      schedule: { fixed: { startTime: new Date(Date.UTC(2025, 5, 1)), endTime: new Date(Date.UTC(2025, 6, 1)) } },
    }));
    const update = (...args: string[]) => farmtally(['budgets', 'update', '--endpoint', ft.url, '--farm', farmId, '--budget', budgetId!, ...args]);
    // The SDK hands the extension's member over as $unknown, its times as the wire's text.
    const schedule = async () => (await ft.client.send(new GetBudgetCommand({ farmId, budgetId }))).schedule;

    // The fixed window's end was June's: a window turned recurring goes on without one. The limit changes in the same request.
    const monthly = await update('--every', 'MONTHLY', '--limit', '120');
    assertDone(monthly);
    assert.deepEqual(await schedule(), { $unknown: ['recurring', { period: 'MONTHLY', startTime: '2025-06-01T00:00:00.000Z' }] });
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId }))).approximateDollarLimit, 120);
    assert.match(monthly.stdout, /^Window: +monthly from 2025-06-01$/m, 'update shows the budget as show does');
    const show = await farmtally(['budgets', 'show', '--endpoint', ft.url, '--farm', farmId, '--budget', budgetId!]);
    assertDone(show);
    assert.match(show.stdout, /^Window: +monthly from 2025-06-01$/m);

    assertDone(await update('--every', 'QUARTERLY', '--end', '2026-07-01'));
    assert.deepEqual(await schedule(), { $unknown: ['recurring', { period: 'QUARTERLY', startTime: '2025-06-01T00:00:00.000Z', endTime: '2026-07-01T00:00:00.000Z' }] });
    assertDone(await update('--start', '2025-07-01'));
    assert.deepEqual(await schedule(), { $unknown: ['recurring', { period: 'QUARTERLY', startTime: '2025-07-01T00:00:00.000Z', endTime: '2026-07-01T00:00:00.000Z' }] });

    const fixed = await update('--fixed');
    assertDone(fixed);
    assert.deepEqual(await schedule(), { fixed: { startTime: new Date(Date.UTC(2025, 6, 1)), endTime: new Date(Date.UTC(2026, 6, 1)) } });
    assert.match(fixed.stdout, /^Window: +2025-07-01 → 2026-07-01$/m);

    // Recurring without an end, then --fixed: it needs --end (a usage error after reading the budget, nothing changed); with one, fixed.
    assertDone(await update('--every', 'MONTHLY'));
    const noEnd = await update('--fixed');
    assertUsageError(noEnd, /--fixed needs --end: budget budget-[0-9a-f]{32}'s recurring window has no end/, 'update');
    assert.deepEqual(await schedule(), { $unknown: ['recurring', { period: 'MONTHLY', startTime: '2025-07-01T00:00:00.000Z' }] });
    assertDone(await update('--fixed', '--end', '2025-10-01'));
    assert.deepEqual(await schedule(), { fixed: { startTime: new Date(Date.UTC(2025, 6, 1)), endTime: new Date(Date.UTC(2025, 9, 1)) } });
  });

  test('update --every: a bad period, --every with --fixed, or a bad window are usage errors naming the option, before any request', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const update = (...args: string[]) => farmtally(['budgets', 'update', '--endpoint', endpoint, '--farm', farmId, '--budget', `budget-${'1'.repeat(32)}`, ...args]);
    assertUsageError(await update('--every', 'WEEKLY'), /--every <period>.*WEEKLY.*MONTHLY, QUARTERLY/, 'update');
    assertUsageError(await update('--every'), /--every <period>.*argument missing/, 'update');
    assertUsageError(await update('--every', 'MONTHLY', '--fixed'), /--every MONTHLY and --fixed ask for opposite windows/, 'update');
    assertUsageError(await update('--every', 'MONTHLY', '--start', '2025-07-01', '--end', '2025-07-01'), /--end 2025-07-01 must be later than --start 2025-07-01/, 'update');
    assertUsageError(await update('--every', 'MONTHLY', '--end', 'someday'), /--end someday is not a time/, 'update');
  });

  test("a --strict server's ValidationException is shown, with what refused it", async () => {
    const strict = await startFarmtally({ args: ['--strict'] });
    try {
      const farm = (await strict.client.send(new CreateFarmCommand({ displayName: 'strict' }))).farmId!;
      const queue = (await strict.client.send(new CreateQueueCommand({ farmId: farm, displayName: 'q' }))).queueId!;
      const run = await create(strict.url, farm, '--whole-farm', '--start', '2025-05-01', '--end', '2025-06-01');
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /ValidationException: .*exactly one of \[queueId\] must be set/);
      assert.match(run.stderr, /--whole-farm is a farmtally extension .* this server runs with --strict/);
      const every = await create(strict.url, farm, '--queue', queue, '--every', 'MONTHLY', '--start', '2025-05-01');
      assert.equal(every.code, 1, every.stderr);
      assert.match(every.stderr, /ValidationException: .*exactly one of \[fixed\] must be set/);
      assert.match(every.stderr, /--every is a farmtally extension/);
      assert.deepEqual((await strict.client.send(new ListBudgetsCommand({ farmId: farm }))).budgets, []);

      // update --every: the same refusal, said the same way; nothing changed, not even the limit given with it.
      const fixed = { startTime: new Date(Date.UTC(2025, 4, 1)), endTime: new Date(Date.UTC(2025, 5, 1)) };
      const { budgetId } = await strict.client.send(new CreateBudgetCommand({
        farmId: farm, displayName: 'fixed', usageTrackingResource: { queueId: queue }, approximateDollarLimit: 100, actions: [], schedule: { fixed },
      }));
      const update = await farmtally(['budgets', 'update', '--endpoint', strict.url, '--farm', farm, '--budget', budgetId!, '--every', 'MONTHLY', '--limit', '200']);
      assert.equal(update.code, 1, update.stderr);
      assert.match(update.stderr, /ValidationException: .*exactly one of \[fixed\] must be set/);
      assert.match(update.stderr, /--every MONTHLY asks for a recurring window, a farmtally extension: this server runs with --strict.*the budget is not changed/);
      const after = await strict.client.send(new GetBudgetCommand({ farmId: farm, budgetId }));
      assert.deepEqual([after.schedule, after.approximateDollarLimit, after.updatedAt], [{ fixed }, 100, undefined]);
      // A fixed window is the service's own: --fixed with --start, --end goes through.
      assertDone(await farmtally(['budgets', 'update', '--endpoint', strict.url, '--farm', farm, '--budget', budgetId!, '--fixed', '--start', '2025-05-01', '--end', '2025-07-01']));
      assert.deepEqual((await strict.client.send(new GetBudgetCommand({ farmId: farm, budgetId }))).schedule, { fixed: { ...fixed, endTime: new Date(Date.UTC(2025, 6, 1)) } });
    } finally {
      await strict.stop();
    }
  });
});
