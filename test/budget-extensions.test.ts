// Budgets on a fleet, a user or the whole farm (extensions, off with --strict), through a real
// server: CreateBudget takes usageTrackingResource { fleetId }, { userId } or { farmId } as raw
// JSON (the SDK has only the model's queueId), GetBudget and ListBudgets answer it as stored,
// and the usage equals the statistics' cost SUM over the fleet ({ fleetIds }), over every
// queue of the farm by USER_ID (the user's rows), or over every queue of the farm after every
// wave of a seeded feed (whose fresh draws move sessions between users, queues and fleets). A farm budget's crossing is an event (logged)
// and blocks no queue; --strict refuses both members as it refuses any member the model's
// union does not have. A recurring window (schedule.recurring, also an extension) counts the
// current calendar month's usage only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateFarmCommand, CreateQueueCommand, DeleteFleetCommand, CreateFleetCommand, GetQueueCommand, ListQueuesCommand } from '@aws-sdk/client-deadline';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { sessionChurn } from './support/session-churn.js';
import { postSessions } from './support/statistics-farm.js';
import { assertClose, budgetFarm, budgetsPath, churnPricingFile, createBudgetAsJson, HOUR, statisticsSumOfUser, statisticsSumOver, usageOf, wire } from './support/budget-feed.js';

let ft: Farmtally;
before(async () => {
  ft = await startFarmtally({ args: ['--pricing', churnPricingFile()], env: { FARMTALLY_BUDGET_CHECK_MS: '200' } });
});
after(() => ft?.stop());

describe('fleet, user and farm budgets', () => {
  test("after every wave of a feed, a fleet budget's usage is the statistics' SUM over its fleet, a user's over the user's rows of every queue, a farm budget's over every queue", async () => {
    const f = await budgetFarm(ft.client, 1.5);
    // A third queue: the farm's budget reads every queue, not the first two.
    f.queueIds.push((await ft.client.send(new CreateQueueCommand({ farmId: f.farmId, displayName: 'comp' }))).queueId!);
    const churn = sessionChurn(31, f);
    const window = { startsAt: churn.t0 + 6 * HOUR, endsAt: churn.t0 + 40 * HOUR };
    const budgets: { budgetId: string; statistics: () => Promise<number>; resource: Record<string, string> }[] = [];
    for (const fleetId of f.fleetIds) {
      const res = await createBudgetAsJson(ft.url, f.farmId, { fleetId }, window);
      assert.equal(res.status, 200, res.text);
      budgets.push({ budgetId: res.body.budgetId, statistics: () => statisticsSumOver(ft.client, f.farmId, { fleetIds: [fleetId] }, window.startsAt, window.endsAt), resource: { fleetId } });
    }
    // The churn's users; 'cy' has no session: a budget on a user to come reads 0.
    for (const userId of ['ana', 'ben', 'cy']) {
      const res = await createBudgetAsJson(ft.url, f.farmId, { userId }, window);
      assert.equal(res.status, 200, res.text);
      budgets.push({ budgetId: res.body.budgetId, statistics: () => statisticsSumOfUser(ft.client, f.farmId, f.queueIds, userId, window.startsAt, window.endsAt), resource: { userId } });
    }
    const whole = await createBudgetAsJson(ft.url, f.farmId, { farmId: f.farmId }, window);
    assert.equal(whole.status, 200, whole.text);
    budgets.push({ budgetId: whole.body.budgetId, statistics: () => statisticsSumOver(ft.client, f.farmId, { queueIds: f.queueIds }, window.startsAt, window.endsAt), resource: { farmId: f.farmId } });
    const usageOfBudget = (key: string, id: string) => usageOf(ft.client, f.farmId, budgets.find((b) => b.resource[key] === id)!.budgetId);

    const check = async (what: string) => {
      for (const b of budgets) assertClose(await usageOf(ft.client, f.farmId, b.budgetId), await b.statistics(), `${what}, ${JSON.stringify(b.resource)}`);
    };
    await check('empty');
    for (let wave = 0; wave < 8; wave++) {
      await Promise.all(churn.wave(4).map((batch) => postSessions(ft.url, f.farmId, batch.map(wire))));
      await check(`wave ${wave}`);
    }
    for (const b of budgets) {
      const usage = await usageOf(ft.client, f.farmId, b.budgetId);
      assert.ok(b.resource.userId === 'cy' ? usage === 0 : usage > 0, `${JSON.stringify(b.resource)} cost ${usage}`);
    }
    const farmUsage = await usageOf(ft.client, f.farmId, whole.body.budgetId);
    const fleetSums = await Promise.all(f.fleetIds.map((id) => usageOfBudget('fleetId', id)));
    assertClose(fleetSums[0]! + fleetSums[1]!, farmUsage, 'the two fleets make the farm');
    const userSums = await Promise.all(['ana', 'ben'].map((id) => usageOfBudget('userId', id)));
    assertClose(userSums[0]! + userSums[1]!, farmUsage, 'the two users make the farm');

    // Answered as stored, by GetBudget and ListBudgets.
    for (const b of budgets) {
      const got = await http(ft.url, 'GET', `${budgetsPath(f.farmId)}/${b.budgetId}`);
      assert.deepEqual(got.body.usageTrackingResource, b.resource);
      assert.equal(got.body.queueStoppedAt, undefined);
    }
    const listed = await http(ft.url, 'GET', budgetsPath(f.farmId));
    assert.deepEqual(listed.body.budgets.map((b: any) => b.usageTrackingResource), budgets.map((b) => b.resource));

    // Budgets made now are read from the stored sessions at once (the ones above were built empty and moved by each change).
    for (const resource of [{ userId: 'ana' }, { fleetId: f.fleetIds[1]! }, { farmId: f.farmId }] as Record<string, string>[]) {
      const late = await createBudgetAsJson(ft.url, f.farmId, resource, window);
      assert.equal(late.status, 200, late.text);
      const [key, id] = Object.entries(resource)[0]!;
      assertClose(await usageOf(ft.client, f.farmId, late.body.budgetId), await usageOfBudget(key, id), `a budget on ${key} ${id} built after the feed`);
    }
  });

  test('a fleet of another farm is not found, a farmId other than the path is invalid, and deleting a fleet deletes its budgets', async () => {
    const f = await budgetFarm(ft.client, 1);
    const other = await budgetFarm(ft.client, 1);
    const window = { startsAt: Date.now() - HOUR, endsAt: Date.now() + HOUR };
    const missing = await createBudgetAsJson(ft.url, f.farmId, { fleetId: other.fleetIds[0]! }, window);
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.headers.get('x-amzn-errortype')?.split(':')[0] ?? missing.body.__type, 'ResourceNotFoundException');
    assert.deepEqual([missing.body.resourceType, missing.body.resourceId], ['fleet', other.fleetIds[0]]);
    const elsewhere = await createBudgetAsJson(ft.url, f.farmId, { farmId: other.farmId }, window);
    assert.equal(elsewhere.status, 400, elsewhere.text);
    assert.match(elsewhere.text, /usageTrackingResource\.farmId/);

    const { fleetId } = await ft.client.send(new CreateFleetCommand({
      farmId: f.farmId, displayName: 'spare', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 1,
      configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
    }));
    const created = await createBudgetAsJson(ft.url, f.farmId, { fleetId: fleetId! }, window);
    assert.equal(created.status, 200, created.text);
    await ft.client.send(new DeleteFleetCommand({ farmId: f.farmId, fleetId }));
    assert.equal((await http(ft.url, 'GET', `${budgetsPath(f.farmId)}/${created.body.budgetId}`)).status, 404, 'the budget went with its fleet');
  });

  test("a farm budget's crossing is published (the notifier's log line) and blocks no queue", async () => {
    const { farmId = '' } = await ft.client.send(new CreateFarmCommand({ displayName: 'farm budget crossing' }));
    const f = await budgetFarmOf(farmId);
    const now = Date.now();
    const windowStart = now - 24 * HOUR;
    const res = await createBudgetAsJson(ft.url, farmId, { farmId }, { startsAt: windowStart, endsAt: now + 24 * HOUR }, {
      approximateDollarLimit: 1, actions: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 50 }],
    });
    assert.equal(res.status, 200, res.text);
    const budgetId = res.body.budgetId as string;
    // Two hours of the customer-managed fleet (0.3 USD an hour in the churn's card), in two queues: 0.6 USD, past 50 % of 1 USD.
    await postSessions(ft.url, farmId, f.queueIds.map((queueId, i) => ({
      sessionId: `session-${String(i + 1).repeat(32)}`, queueId, fleetId: f.fleetIds[0], jobId: `job-${'a'.repeat(32)}`, jobName: 'shot', userId: 'ana',
      workerId: `worker-${'b'.repeat(32)}`, startedAt: new Date(now - 3 * HOUR).toISOString(), endedAt: new Date(now - 2 * HOUR).toISOString(),
    })));
    const eventId = `${budgetId}:${new Date(windowStart).toISOString()}:50%:1`;
    const deadline = Date.now() + 10_000;
    while (!ft.output().includes(eventId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const line = ft.output().split('\n').find((l) => l.includes(eventId) && l.includes('reached 50%'));
    assert.ok(line, `the notifier logged the crossing:\n${ft.output().slice(-2000)}`);
    assert.match(line, /"scope":"farm"/);
    const budget = await http(ft.url, 'GET', `${budgetsPath(farmId)}/${budgetId}`);
    assertClose(budget.body.usages.approximateDollarUsage, 0.6, 'usage');
    assert.equal(budget.body.queueStoppedAt, undefined, 'a farm budget stops no queue');
    for (const queueId of f.queueIds) {
      const queue = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
      assert.notEqual(queue.status, 'SCHEDULING_BLOCKED');
      assert.equal(queue.blockedReason, undefined);
    }
    const listed = await ft.client.send(new ListQueuesCommand({ farmId }));
    assert.ok(listed.queues!.every((q) => q.status !== 'SCHEDULING_BLOCKED'));
  });
});

describe('recurring windows', () => {
  test("a monthly budget started three months ago reads this month's usage: the statistics' SUM from the first of the month (UTC) to now", async () => {
    const { farmId = '' } = await ft.client.send(new CreateFarmCommand({ displayName: 'monthly budget', costScaleFactor: 1.25 }));
    const f = await budgetFarmOf(farmId);
    const now = Date.now();
    const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
    const span = now - monthStart;
    const startTime = new Date(now - 91 * 24 * HOUR).toISOString();
    const res = await http(ft.url, 'POST', budgetsPath(farmId), {
      body: JSON.stringify({ displayName: 'every month', usageTrackingResource: { queueId: f.queueIds[0] }, approximateDollarLimit: 1e6, actions: [], schedule: { recurring: { period: 'MONTHLY', startTime } } }),
    });
    assert.equal(res.status, 200, res.text);
    const budgetId = res.body.budgetId as string;
    // Last month only, across the month's start, this month only; all ended before now.
    const spans: [number, number][] = [[monthStart - 30 * HOUR, monthStart - 20 * HOUR], [monthStart - 2 * HOUR, monthStart + span / 4], [monthStart + span / 2, monthStart + (3 * span) / 4]];
    await postSessions(ft.url, farmId, spans.map(([from, to], i) => ({
      sessionId: `session-${String(i + 1).repeat(32)}`, queueId: f.queueIds[0], fleetId: f.fleetIds[0], jobId: `job-${'a'.repeat(32)}`, jobName: 'shot', userId: 'ana',
      workerId: `worker-${'b'.repeat(32)}`, startedAt: new Date(Math.round(from)).toISOString(), endedAt: new Date(Math.round(to)).toISOString(),
    })));
    const usage = await usageOf(ft.client, farmId, budgetId);
    const thisMonth = await statisticsSumOver(ft.client, farmId, { queueIds: [f.queueIds[0]!] }, monthStart, Date.now());
    assertClose(usage, thisMonth, 'this month');
    const sinceStart = await statisticsSumOver(ft.client, farmId, { queueIds: [f.queueIds[0]!] }, Date.parse(startTime), Date.now());
    assert.ok(usage > 0 && usage < sinceStart - 1, `last month's cost is not this month's (${usage} of ${sinceStart})`);
    const got = await http(ft.url, 'GET', `${budgetsPath(farmId)}/${budgetId}`);
    assert.deepEqual(got.body.schedule, { recurring: { period: 'MONTHLY', startTime } });
    assert.equal(got.body.status, 'ACTIVE');

    // Given an end, it is answered; a window that ends before it starts is refused, naming the member.
    const endTime = new Date(now + 24 * HOUR).toISOString();
    const patched = await http(ft.url, 'PATCH', `${budgetsPath(farmId)}/${budgetId}`, { body: JSON.stringify({ schedule: { recurring: { period: 'QUARTERLY', startTime, endTime } } }) });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual((await http(ft.url, 'GET', `${budgetsPath(farmId)}/${budgetId}`)).body.schedule, { recurring: { period: 'QUARTERLY', startTime, endTime } });
    const backwards = await http(ft.url, 'PATCH', `${budgetsPath(farmId)}/${budgetId}`, { body: JSON.stringify({ schedule: { recurring: { period: 'MONTHLY', startTime: endTime, endTime: startTime } } }) });
    assert.equal(backwards.status, 400, backwards.text);
    assert.match(backwards.text, /schedule\.recurring\.endTime/);
  });
});

/** Two queues and a customer-managed fleet in an existing farm (default costScaleFactor). */
async function budgetFarmOf(farmId: string) {
  const queueIds: string[] = [];
  for (const name of ['lighting', 'fx']) queueIds.push((await ft.client.send(new CreateQueueCommand({ farmId, displayName: name }))).queueId!);
  const { fleetId } = await ft.client.send(new CreateFleetCommand({
    farmId, displayName: 'on-prem', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
    configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
  }));
  return { queueIds, fleetIds: [fleetId!] };
}

describe('--strict', () => {
  let strict: Farmtally;
  before(async () => (strict = await startFarmtally({ args: ['--strict'] })));
  after(() => strict?.stop());

  test('refuses fleetId, userId and farmId as it refuses any member the model does not have', async () => {
    const { farmId = '' } = await strict.client.send(new CreateFarmCommand({ displayName: 'strict budgets' }));
    const { fleetId = '' } = await strict.client.send(new CreateFleetCommand({
      farmId, displayName: 'on-prem', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
      configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
    }));
    const window = { startsAt: Date.now() - HOUR, endsAt: Date.now() + HOUR };
    const unknown = await createBudgetAsJson(strict.url, farmId, { jobId: `job-${'a'.repeat(32)}` }, window);
    assert.equal(unknown.status, 400, unknown.text);
    for (const resource of [{ fleetId }, { userId: 'ana' }, { farmId }] as Record<string, string>[]) {
      const res = await createBudgetAsJson(strict.url, farmId, resource, window);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body, unknown.body, `${JSON.stringify(resource)} is refused as an unknown member is`);
    }
    assert.match(unknown.body.message, /exactly one of \[queueId\] must be set/);
    const listed = await http(strict.url, 'GET', budgetsPath(farmId));
    assert.deepEqual(listed.body.budgets, [], 'nothing was created');
  });

  test('refuses a recurring schedule as it refuses any member the model does not have', async () => {
    const { farmId = '' } = await strict.client.send(new CreateFarmCommand({ displayName: 'strict recurring' }));
    const { queueId = '' } = await strict.client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
    const create = (schedule: unknown) => http(strict.url, 'POST', budgetsPath(farmId), {
      body: JSON.stringify({ displayName: 'b', usageTrackingResource: { queueId }, approximateDollarLimit: 5, actions: [], schedule }),
    });
    const unknown = await create({ weekly: { startTime: new Date().toISOString() } });
    const recurring = await create({ recurring: { period: 'MONTHLY', startTime: new Date().toISOString() } });
    assert.equal(recurring.status, 400, recurring.text);
    assert.deepEqual(recurring.body, unknown.body);
    assert.match(recurring.body.message, /exactly one of \[fixed\] must be set/);
  });
});
