// Budget actions end to end through the SDK: sessions whose cost reaches an action's
// threshold stop the budget's queue (GetQueue and ListQueues read SCHEDULING_BLOCKED /
// BUDGET_THRESHOLD_REACHED, GetBudget's queueStoppedAt is set), a running session reaches
// one with time alone (no request), raising the limit starts the queue again, and each
// crossing is one event in the log, named by its ID.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateBudgetCommand, CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, GetBudgetCommand, GetQueueCommand, ListQueuesCommand, UpdateBudgetCommand,
} from '@aws-sdk/client-deadline';
import { eventually } from './support/eventually.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { postSessions } from './support/statistics-farm.js';

const H = 3_600_000;
const DAY = 24 * H;
let ft: Farmtally;

before(async () => {
  // Thresholds crossed with time alone are looked for every 200 ms here (10 s by default).
  ft = await startFarmtally({ env: { FARMTALLY_BUDGET_CHECK_MS: '200' } });
});
after(() => ft?.stop());

async function farmWithFleet() {
  const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'actions' }));
  const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Lighting' }));
  const { fleetId } = await ft.client.send(new CreateFleetCommand({
    farmId, displayName: 'on-prem', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
    configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
  }));
  return { farmId: farmId!, queueId: queueId!, fleetId: fleetId! };
}

/** A session on the customer-managed fleet: 1 USD per worker hour (the default rate card). */
const session = (f: { queueId: string; fleetId: string }, n: number, startedAt: number, endedAt?: number) => ({
  sessionId: `session-${n.toString(16).padStart(32, '0')}`, queueId: f.queueId, fleetId: f.fleetId, jobId: `job-${'a'.repeat(32)}`, jobName: 'shot', userId: 'ana',
  workerId: `worker-${'b'.repeat(32)}`, startedAt: new Date(startedAt).toISOString(), endedAt: endedAt === undefined ? undefined : new Date(endedAt).toISOString(),
});

/** The queue's status (and reason) as GetQueue and ListQueues both read it (read again while a stop lands between the two reads). */
const queueState = async (farmId: string, queueId: string) => {
  for (let attempt = 0; ; attempt++) {
    const got = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    const listed = (await ft.client.send(new ListQueuesCommand({ farmId }))).queues!.find((q) => q.queueId === queueId)!;
    const [a, b] = [[got.status, got.blockedReason], [listed.status, listed.blockedReason]];
    if (attempt < 3 && JSON.stringify(a) !== JSON.stringify(b)) continue;
    assert.deepEqual(b, a, 'ListQueues reads as GetQueue');
    return `${got.status}${got.blockedReason ? `/${got.blockedReason}` : ''}`;
  }
};
/** The log's lines for the budget's recorded threshold events (budgets/notifications.ts logs each once). */
const eventLines = (budgetId: string) => ft.output().split('\n').filter((l) => l.includes('"eventId"') && l.includes(budgetId) && l.includes('of its limit: event'));

describe('budget actions', () => {
  test('sessions reaching a threshold stop the queue; raising the limit starts it again', async () => {
    const f = await farmWithFleet();
    const now = Date.now();
    const { budgetId = '' } = await ft.client.send(new CreateBudgetCommand({
      farmId: f.farmId, displayName: 'Show', usageTrackingResource: { queueId: f.queueId }, approximateDollarLimit: 10,
      actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80 }],
      schedule: { fixed: { startTime: new Date(now - DAY), endTime: new Date(now + 30 * DAY) } },
    }));
    // 7 worker hours: 70 % of 10 USD, below the threshold.
    await postSessions(ft.url, f.farmId, [session(f, 1, now - 10 * H, now - 3 * H)]);
    await new Promise((r) => setTimeout(r, 600)); // three sweeps
    assert.equal(await queueState(f.farmId, f.queueId), 'IDLE');
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId: f.farmId, budgetId }))).queueStoppedAt, undefined);

    // One more hour: 80 % reached, by the ingest itself.
    const sent = Date.now();
    await postSessions(ft.url, f.farmId, [session(f, 2, now - 5 * H, now - 4 * H)]);
    const stoppedAt = await eventually('queueStoppedAt set', async () => (await ft.client.send(new GetBudgetCommand({ farmId: f.farmId, budgetId }))).queueStoppedAt, 10_000);
    assert.ok(stoppedAt.getTime() >= sent - 5 && stoppedAt.getTime() <= Date.now(), `stopped when the batch came (${stoppedAt.toISOString()})`);
    assert.equal(await queueState(f.farmId, f.queueId), 'SCHEDULING_BLOCKED/BUDGET_THRESHOLD_REACHED');
    const events = eventLines(budgetId);
    assert.equal(events.length, 1, events.join('\n'));
    const event = JSON.parse(events[0]!);
    assert.deepEqual(
      [event.farmId, event.budgetId, event.thresholdPercentage, event.actionType, event.approximateDollarLimit, event.approximateDollarUsage],
      [f.farmId, budgetId, 80, 'STOP_SCHEDULING_AND_COMPLETE_TASKS', 10, 8],
    );
    assert.equal(event.eventId, `${budgetId}:${new Date(now - DAY).toISOString()}:80%:10`);

    // Raised to 20 USD: 40 %, the queue starts again (at the next check) and the stop is forgotten.
    await ft.client.send(new UpdateBudgetCommand({ farmId: f.farmId, budgetId, approximateDollarLimit: 20 }));
    await eventually('the queue runs again', async () => (await queueState(f.farmId, f.queueId)) === 'IDLE', 10_000);
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId: f.farmId, budgetId }))).queueStoppedAt, undefined);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(eventLines(budgetId).length, 1, 'no new crossing');
  });

  test('a running session reaches the threshold with time alone', async () => {
    const f = await farmWithFleet();
    const now = Date.now();
    // 1 USD per hour from an hour ago: 1.0 USD now, 1.001 USD in 3.6 s.
    await postSessions(ft.url, f.farmId, [session(f, 1, now - H)]);
    const { budgetId = '' } = await ft.client.send(new CreateBudgetCommand({
      farmId: f.farmId, displayName: 'Burn', usageTrackingResource: { queueId: f.queueId }, approximateDollarLimit: 1.001,
      actions: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }],
      schedule: { fixed: { startTime: new Date(now - DAY), endTime: new Date(now + DAY) } },
    }));
    const created = Date.now();
    assert.notEqual(await queueState(f.farmId, f.queueId), 'SCHEDULING_BLOCKED/BUDGET_THRESHOLD_REACHED', 'not yet');
    const stoppedAt = await eventually('queueStoppedAt set by time alone', async () => (await ft.client.send(new GetBudgetCommand({ farmId: f.farmId, budgetId }))).queueStoppedAt, 20_000);
    // 1.001 USD is reached 3.6 s after `now`; the check runs every 200 ms.
    assert.ok(stoppedAt.getTime() >= now + 3600 && stoppedAt.getTime() >= created - 50, `stopped at ${stoppedAt.toISOString()}`);
    assert.equal(await queueState(f.farmId, f.queueId), 'SCHEDULING_BLOCKED/BUDGET_THRESHOLD_REACHED');
    assert.equal(eventLines(budgetId).length, 1);
  });
});
