// Budgets through the SDK against a real server: the five operations, their validation,
// idempotent create, not-found cases, the usage (equal to the statistics' cost SUM over the
// budget's queue and window), boto3 and the AWS CLI. Their raw answers are checked against the
// API model's output shapes in model-outputs.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  CreateBudgetCommand, CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, DeleteBudgetCommand, DeleteFarmCommand, DeleteQueueCommand,
  GetBudgetCommand, ListBudgetsCommand, UpdateBudgetCommand, type CreateBudgetCommandInput,
} from '@aws-sdk/client-deadline';
import { boto3Gate, runBoto3Script } from './support/boto3.js';
import { absentId, rejectsConflict, rejectsNaming, rejectsNotFound } from './support/service-errors.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { postSessions, runAggregation } from './support/statistics-farm.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FAR = new Date(Date.UTC(2099, 0, 1));
const PAST = new Date(Date.UTC(2020, 0, 1));

async function farmWithQueue(costScaleFactor?: number) {
  const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'budgets', costScaleFactor }));
  const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  return { farmId: farmId!, queueId: queueId! };
}

const input = (farmId: string, queueId: string, overrides: Partial<CreateBudgetCommandInput> = {}): CreateBudgetCommandInput => ({
  farmId,
  displayName: 'Show budget',
  usageTrackingResource: { queueId },
  approximateDollarLimit: 1000,
  actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80, description: 'slow down' }],
  schedule: { fixed: { startTime: PAST, endTime: FAR } },
  ...overrides,
});

describe('budgets through the SDK', () => {
  test('create, get, list, update and delete a budget', async () => {
    const { farmId, queueId } = await farmWithQueue();
    const before = Date.now();
    const { budgetId } = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { description: 'shots 10-40', tags: { show: 'x' } })));
    assert.match(budgetId!, /^budget-[0-9a-f]{32}$/);

    const got = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.equal(got.budgetId, budgetId);
    assert.deepEqual(got.usageTrackingResource, { queueId });
    assert.equal(got.status, 'ACTIVE', 'a new budget is ACTIVE (CreateBudget has no status)');
    assert.equal(got.displayName, 'Show budget');
    assert.equal(got.description, 'shots 10-40');
    assert.equal(got.approximateDollarLimit, 1000);
    assert.deepEqual(got.usages, { approximateDollarUsage: 0 });
    assert.deepEqual(got.actions, [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80, description: 'slow down' }]);
    assert.deepEqual(got.schedule, { fixed: { startTime: PAST, endTime: FAR } });
    assert.equal(got.createdBy, 'farmtally');
    assert.ok(got.createdAt!.getTime() >= before - 1000 && got.createdAt!.getTime() <= Date.now() + 1000);
    assert.equal(got.updatedAt, undefined);

    const listed = await ft.client.send(new ListBudgetsCommand({ farmId }));
    assert.deepEqual(listed.budgets!.map((b) => [b.budgetId, b.displayName, b.status, b.approximateDollarLimit, b.usages?.approximateDollarUsage]), [
      [budgetId, 'Show budget', 'ACTIVE', 1000, 0],
    ]);
    assert.equal(listed.nextToken, undefined);

    const start = new Date(Date.UTC(2025, 5, 1));
    await ft.client.send(new UpdateBudgetCommand({
      farmId, budgetId, displayName: 'Renamed', description: 'd2', approximateDollarLimit: 99.5,
      actionsToAdd: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }],
      actionsToRemove: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80 }],
      schedule: { fixed: { startTime: start, endTime: FAR } },
    }));
    const updated = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.equal(updated.displayName, 'Renamed');
    assert.equal(updated.description, 'd2');
    assert.equal(updated.approximateDollarLimit, 99.5);
    assert.deepEqual(updated.actions, [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }]);
    assert.deepEqual(updated.schedule, { fixed: { startTime: start, endTime: FAR } });
    assert.equal(updated.updatedBy, 'farmtally');
    assert.ok(updated.updatedAt instanceof Date);
    assert.deepEqual(updated.createdAt, got.createdAt);

    // Removing is by type and threshold (a description is not compared); adding one that is there replaces its description.
    await ft.client.send(new UpdateBudgetCommand({
      farmId, budgetId,
      actionsToAdd: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100, description: 'hard stop' }, { type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 }],
      actionsToRemove: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 75 }],
    }));
    assert.deepEqual((await ft.client.send(new GetBudgetCommand({ farmId, budgetId }))).actions, [
      { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100, description: 'hard stop' },
      { type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 },
    ]);

    await ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, status: 'INACTIVE' }));
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId }))).status, 'INACTIVE');
    await ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, status: 'ACTIVE' }));
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId }))).status, 'ACTIVE');

    await ft.client.send(new DeleteBudgetCommand({ farmId, budgetId }));
    await rejectsNotFound(ft.client.send(new GetBudgetCommand({ farmId, budgetId })), 'budget', budgetId!);
    await rejectsNotFound(ft.client.send(new DeleteBudgetCommand({ farmId, budgetId })), 'budget', budgetId!);
    assert.deepEqual((await ft.client.send(new ListBudgetsCommand({ farmId }))).budgets, []);
  });

  test('a budget reads INACTIVE before its window begins and after it ends; ListBudgets pages and filters by that status', async () => {
    const { farmId, queueId } = await farmWithQueue();
    const now = Date.now();
    const make = async (displayName: string, startMs: number, endMs: number) =>
      (await ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { displayName, schedule: { fixed: { startTime: new Date(startMs), endTime: new Date(endMs) } } })))).budgetId!;
    const running = await make('running', now - DAY, now + 30 * DAY);
    const ended = await make('ended', now - 30 * DAY, now - DAY);
    const notBegun = await make('not begun', now + DAY, now + 30 * DAY);
    const setInactive = await make('set inactive', now - DAY, now + 30 * DAY);
    await ft.client.send(new UpdateBudgetCommand({ farmId, budgetId: setInactive, status: 'INACTIVE' }));
    const running2 = await make('running 2', now - DAY, now + 30 * DAY);

    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId: ended }))).status, 'INACTIVE');
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId: notBegun }))).status, 'INACTIVE');

    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await ft.client.send(new ListBudgetsCommand({ farmId, maxResults: 2, nextToken }));
      pages.push(page.budgets!.map((b) => b.budgetId!));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(pages, [[running, ended], [notBegun, setInactive], [running2]]);

    const active = await ft.client.send(new ListBudgetsCommand({ farmId, status: 'ACTIVE' }));
    assert.deepEqual(active.budgets!.map((b) => b.budgetId), [running, running2]);
    const inactive = await ft.client.send(new ListBudgetsCommand({ farmId, status: 'INACTIVE', maxResults: 2 }));
    assert.deepEqual(inactive.budgets!.map((b) => b.budgetId), [ended, notBegun]);
    const rest = await ft.client.send(new ListBudgetsCommand({ farmId, status: 'INACTIVE', maxResults: 2, nextToken: inactive.nextToken }));
    assert.deepEqual(rest.budgets!.map((b) => b.budgetId), [setInactive]);
    // A token is bound to its filter.
    await rejectsNaming(ft.client.send(new ListBudgetsCommand({ farmId, status: 'ACTIVE', nextToken: inactive.nextToken })), ['nextToken']);
  });

  test('every kind of constraint of the model is checked, and every failure named in one ValidationException', async () => {
    const { farmId, queueId } = await farmWithQueue();
    const create = (overrides: Record<string, unknown>) => ft.client.send(new CreateBudgetCommand(input(farmId, queueId, overrides as Partial<CreateBudgetCommandInput>)));
    // Lengths, ranges, enums and patterns, all at once.
    await rejectsNaming(
      create({
        displayName: '', description: 'x'.repeat(101), approximateDollarLimit: 0.001,
        actions: [{ type: 'STOP_EVERYTHING', thresholdPercentage: 101 }, { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: -1, description: 'y'.repeat(101) }],
        usageTrackingResource: { queueId: 'queue-XYZ' },
      }),
      ['displayName', 'description', 'approximateDollarLimit', 'actions.1.type', 'actions.1.thresholdPercentage', 'actions.2.thresholdPercentage', 'actions.2.description', 'usageTrackingResource.queueId'],
    );
    // Required members (the SDK sends what it is given).
    await rejectsNaming(create({ displayName: undefined, approximateDollarLimit: undefined, actions: undefined, schedule: undefined, usageTrackingResource: undefined }), [
      'displayName', 'approximateDollarLimit', 'actions', 'schedule', 'usageTrackingResource',
    ]);
    // List bounds, unions with no member, a window that ends before it starts.
    const eleven = Array.from({ length: 11 }, (_, i) => ({ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: i }));
    await rejectsNaming(create({ actions: eleven, usageTrackingResource: {}, schedule: {} }), ['actions', 'usageTrackingResource', 'schedule']);
    await rejectsNaming(create({ schedule: { fixed: { startTime: FAR, endTime: PAST } } }), ['schedule.fixed.endTime']);
    await rejectsNaming(create({ schedule: { fixed: { startTime: PAST } } }), ['schedule.fixed.endTime']);
    // The client token's length (a header).
    await rejectsNaming(create({ clientToken: 'x'.repeat(65) }), ['clientToken']);
    // IDs in the path, and the list's query members.
    await rejectsNaming(ft.client.send(new GetBudgetCommand({ farmId, budgetId: 'budget-1' })), ['budgetId']);
    await rejectsNaming(ft.client.send(new ListBudgetsCommand({ farmId, maxResults: 101, status: 'EXPIRED' as never })), ['maxResults', 'status']);
    // Update: each member's constraints, and more actions than a budget may hold.
    const { budgetId } = await create({});
    await rejectsNaming(
      ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, displayName: '', status: 'DELETED' as never, approximateDollarLimit: 0, actionsToRemove: [{ type: 'X' as never, thresholdPercentage: 100.5 }] })),
      ['displayName', 'status', 'approximateDollarLimit', 'actionsToRemove.1.type', 'actionsToRemove.1.thresholdPercentage'],
    );
    await rejectsNaming(ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, actionsToAdd: eleven.slice(1) as never })), ['actionsToAdd']);
    const failure = await rejectsNaming(ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, schedule: { fixed: { startTime: FAR, endTime: FAR } } })), ['schedule.fixed.endTime']);
    assert.match(failure.message, /must be later than/);
  });

  test('unknown farm, budget, or a queue not in the farm: ResourceNotFoundException naming it', async () => {
    const { farmId, queueId } = await farmWithQueue();
    const noFarm = absentId('farm');
    const noBudget = absentId('budget');
    const noQueue = absentId('queue');
    await rejectsNotFound(ft.client.send(new CreateBudgetCommand(input(noFarm, queueId))), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new GetBudgetCommand({ farmId: noFarm, budgetId: noBudget })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new ListBudgetsCommand({ farmId: noFarm })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new UpdateBudgetCommand({ farmId: noFarm, budgetId: noBudget })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new DeleteBudgetCommand({ farmId: noFarm, budgetId: noBudget })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new GetBudgetCommand({ farmId, budgetId: noBudget })), 'budget', noBudget);
    await rejectsNotFound(ft.client.send(new UpdateBudgetCommand({ farmId, budgetId: noBudget, displayName: 'x' })), 'budget', noBudget);
    await rejectsNotFound(ft.client.send(new CreateBudgetCommand(input(farmId, noQueue))), 'queue', noQueue);
    // Another farm's queue is not this farm's; another farm's budget is not found here.
    const other = await farmWithQueue();
    await rejectsNotFound(ft.client.send(new CreateBudgetCommand(input(farmId, other.queueId))), 'queue', other.queueId);
    const { budgetId } = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId)));
    await rejectsNotFound(ft.client.send(new GetBudgetCommand({ farmId: other.farmId, budgetId })), 'budget', budgetId!);
  });

  test('a client token makes CreateBudget idempotent within its farm', async () => {
    const { farmId, queueId } = await farmWithQueue();
    const first = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { clientToken: 'budget-token-1' })));
    const again = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { clientToken: 'budget-token-1' })));
    assert.equal(again.budgetId, first.budgetId);
    assert.equal((await ft.client.send(new ListBudgetsCommand({ farmId }))).budgets!.length, 1);
    await rejectsConflict(ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { clientToken: 'budget-token-1', displayName: 'other' }))), 'CONFLICT_EXCEPTION', 'clientToken', 'budget-token-1');
    // The same token in another farm is another request.
    const other = await farmWithQueue();
    const elsewhere = await ft.client.send(new CreateBudgetCommand(input(other.farmId, other.queueId, { clientToken: 'budget-token-1' })));
    assert.notEqual(elsewhere.budgetId, first.budgetId);
  });

  test('deleting a queue deletes the budgets that track it; deleting the farm deletes all of them', async () => {
    const { farmId, queueId } = await farmWithQueue();
    const { queueId: kept } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'kept' }));
    const { budgetId: onQueue } = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId)));
    const { budgetId: onKept } = await ft.client.send(new CreateBudgetCommand(input(farmId, kept!)));
    await ft.client.send(new DeleteQueueCommand({ farmId, queueId }));
    await rejectsNotFound(ft.client.send(new GetBudgetCommand({ farmId, budgetId: onQueue })), 'budget', onQueue!);
    assert.deepEqual((await ft.client.send(new ListBudgetsCommand({ farmId }))).budgets!.map((b) => b.budgetId), [onKept]);
    await ft.client.send(new DeleteFarmCommand({ farmId }));
    await rejectsNotFound(ft.client.send(new GetBudgetCommand({ farmId, budgetId: onKept })), 'farm', farmId);
  });

  test("usage is the statistics' cost SUM for the budget's queue and window, the farm's costScaleFactor applied, running sessions counted", async () => {
    const { farmId, queueId } = await farmWithQueue(1.75);
    const { queueId: otherQueue } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'other' }));
    const { fleetId } = await ft.client.send(new CreateFleetCommand({
      farmId, displayName: 'workstations', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
      configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
    }));
    const now = Date.now();
    const windowStart = now - 10 * DAY;
    const session = (n: number, queue: string, startMs: number, endMs?: number) => ({
      sessionId: `session-${n.toString(16).padStart(32, '0')}`, queueId: queue, fleetId, jobId: `job-${'a'.repeat(32)}`, jobName: 'shot', userId: 'ana',
      workerId: `worker-${'b'.repeat(32)}`, startedAt: new Date(startMs).toISOString(), endedAt: endMs === undefined ? undefined : new Date(endMs).toISOString(),
    });
    await postSessions(ft.url, farmId, [
      session(1, queueId, windowStart - 2 * HOUR, windowStart + 3 * HOUR), // cut by the window's start
      session(2, queueId, now - 5 * DAY, now - 5 * DAY + 7 * HOUR),
      session(3, queueId, now - 3 * HOUR), // running
      session(4, otherQueue!, now - 4 * DAY, now - 3 * DAY), // another queue's
      session(5, queueId, windowStart - 5 * DAY, windowStart - 4 * DAY), // before the window
    ]);
    const statistics = async (startMs: number, endMs: number) => {
      const result = await runAggregation(ft.client, {
        farmId, resourceIds: { queueIds: [queueId] }, startTime: new Date(startMs), endTime: new Date(endMs), groupBy: ['QUEUE_ID'], statistics: ['SUM'],
      });
      assert.equal(result.status, 'COMPLETED', result.statusMessage);
      return result.rows.reduce((s, r) => s + r.costInUsd.sum!, 0);
    };
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

    // A window that has ended: the running session counts up to its end, so usage does not move.
    const endedAt = now - HOUR;
    const { budgetId: ended } = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { schedule: { fixed: { startTime: new Date(windowStart), endTime: new Date(endedAt) } } })));
    const endedUsage = (await ft.client.send(new GetBudgetCommand({ farmId, budgetId: ended }))).usages!.approximateDollarUsage!;
    close(endedUsage, await statistics(windowStart, endedAt), 'ended window');
    // 3 h + 7 h + 2 h of the running one, 1 USD per customer-managed worker hour (the default rates), times 1.75.
    close(endedUsage, (3 + 7 + 2) * 1.75, 'ended window by hand');

    // A current window: the running session counts up to now, so usage lies between two aggregations taken around it.
    const { budgetId: current } = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { schedule: { fixed: { startTime: new Date(windowStart), endTime: FAR } } })));
    const before = await statistics(windowStart, FAR.getTime());
    const usage = (await ft.client.send(new GetBudgetCommand({ farmId, budgetId: current }))).usages!.approximateDollarUsage!;
    const listed = (await ft.client.send(new ListBudgetsCommand({ farmId }))).budgets!.find((b) => b.budgetId === current)!.usages!.approximateDollarUsage!;
    const afterwards = await statistics(windowStart, FAR.getTime());
    // (Within the last bits: the engine sums in parallel.)
    const atMost = (a: number, b: number) => a <= b + 1e-9 * Math.abs(b);
    assert.ok(atMost(before, usage) && atMost(usage, listed) && atMost(listed, afterwards), `${before} <= ${usage} <= ${listed} <= ${afterwards}`);
    assert.ok(usage > endedUsage);

    // A window not begun has used nothing.
    const { budgetId: future } = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId, { schedule: { fixed: { startTime: new Date(now + DAY), endTime: FAR } } })));
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId: future }))).usages!.approximateDollarUsage, 0);
  });
});

describe('budgets through other clients', () => {
  const boto3 = boto3Gate();
  test('boto3 creates a budget and reads it back', { skip: boto3.skip }, () => {
    boto3.assertAvailable();
    const seen = runBoto3Script('boto3_budgets.py', [ft.url]);
    assert.match(seen.budgetId, /^budget-[0-9a-f]{32}$/);
    const b = seen.budget;
    assert.deepEqual([b.budgetId, b.displayName, b.status, b.approximateDollarLimit, b.createdBy], [seen.budgetId, 'boto3 budget', 'ACTIVE', 250.5, 'farmtally']);
    assert.deepEqual(b.usageTrackingResource, { queueId: seen.queueId });
    assert.deepEqual(b.usages, { approximateDollarUsage: 0 });
    assert.deepEqual(b.actions, [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 90, description: 'slow down' }]);
    assert.deepEqual(b.schedule.startTime, { iso: '2026-01-01T00:00:00+00:00', aware: true });
    assert.deepEqual(b.schedule.endTime, { iso: '2099-01-01T00:00:00+00:00', aware: true });
    assert.equal(b.createdAt.aware, true);
  });

  const aws = spawnSync('aws', ['deadline', 'help'], { encoding: 'utf8' });
  const awsSkip = aws.status === 0 && aws.stdout.includes('list-budgets') ? false : 'no AWS CLI with Deadline Cloud budgets on PATH';
  test('the AWS CLI lists a farm\'s budgets', { skip: awsSkip }, async () => {
    const { farmId, queueId } = await farmWithQueue();
    const { budgetId } = await ft.client.send(new CreateBudgetCommand(input(farmId, queueId)));
    const run = spawnSync('aws', ['deadline', 'list-budgets', '--farm-id', farmId, '--status', 'ACTIVE', '--endpoint-url', ft.url, '--region', 'us-west-2', '--output', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, AWS_DISABLE_HOST_PREFIX_INJECTION: 'true', AWS_ACCESS_KEY_ID: 'any', AWS_SECRET_ACCESS_KEY: 'any', AWS_PAGER: '' },
    });
    assert.equal(run.status, 0, run.stderr);
    const listed = JSON.parse(run.stdout) as { budgets: { budgetId: string; status: string; usages: { approximateDollarUsage: number } }[] };
    assert.deepEqual(listed.budgets.map((b) => [b.budgetId, b.status, b.usages.approximateDollarUsage]), [[budgetId, 'ACTIVE', 0]]);
  });
});
