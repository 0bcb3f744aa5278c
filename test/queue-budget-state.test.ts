// A queue's budget state through the SDK (domain/queue-budget.ts queueBudgetBlock, applied by
// GetQueue and ListQueues): a queue with a default budget action and no ACTIVE budget reads
// SCHEDULING_BLOCKED / NO_BUDGET_CONFIGURED until a budget runs on it or the action is NONE.
// BUDGET_THRESHOLD_REACHED needs the budget tracker (queueStoppedAt): its cases are in
// domain-queue-budget.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateBudgetCommand, CreateFarmCommand, CreateQueueCommand, DeleteBudgetCommand, GetQueueCommand, ListQueuesCommand, UpdateBudgetCommand, UpdateQueueCommand,
  paginateListQueues, type QueueStatus,
} from '@aws-sdk/client-deadline';
import { startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());

const DAY = 86_400_000;
const STOP = 'STOP_SCHEDULING_AND_COMPLETE_TASKS';

const newFarm = async () => (await ft.client.send(new CreateFarmCommand({ displayName: 'farm' }))).farmId!;

test('NO_BUDGET_CONFIGURED: blocked without an ACTIVE budget, unblocked by one whose window holds now or by defaultBudgetAction NONE', async () => {
  const farmId = await newFarm();
  const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Lighting', defaultBudgetAction: STOP }));
  const state = async () => {
    const got = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    const listed = (await ft.client.send(new ListQueuesCommand({ farmId }))).queues!.find((q) => q.queueId === queueId)!;
    assert.deepEqual([listed.status, listed.blockedReason], [got.status, got.blockedReason], 'ListQueues reads as GetQueue');
    return [got.status, got.blockedReason];
  };
  const blocked = ['SCHEDULING_BLOCKED', 'NO_BUDGET_CONFIGURED'];
  const free = ['IDLE', undefined];
  assert.deepEqual(await state(), blocked);

  const now = Date.now();
  const { budgetId } = await ft.client.send(new CreateBudgetCommand({
    farmId, displayName: 'b', usageTrackingResource: { queueId: queueId! }, approximateDollarLimit: 100, actions: [],
    schedule: { fixed: { startTime: new Date(now - DAY), endTime: new Date(now + DAY) } },
  }));
  assert.deepEqual(await state(), free, 'an ACTIVE budget');

  // Its window ended: no budget is ACTIVE, so the queue is blocked again.
  await ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, schedule: { fixed: { startTime: new Date(now - 3 * DAY), endTime: new Date(now - DAY) } } }));
  assert.deepEqual(await state(), blocked, 'a budget whose window ended');
  await ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, schedule: { fixed: { startTime: new Date(now - DAY), endTime: new Date(now + DAY) } } }));
  assert.deepEqual(await state(), free);
  await ft.client.send(new UpdateBudgetCommand({ farmId, budgetId, status: 'INACTIVE' }));
  assert.deepEqual(await state(), blocked, 'a budget set INACTIVE');

  await ft.client.send(new UpdateQueueCommand({ farmId, queueId, defaultBudgetAction: 'NONE' }));
  assert.deepEqual(await state(), free, 'defaultBudgetAction NONE');
  await ft.client.send(new UpdateQueueCommand({ farmId, queueId, defaultBudgetAction: 'STOP_SCHEDULING_AND_CANCEL_TASKS' }));
  assert.deepEqual(await state(), blocked);
  await ft.client.send(new DeleteBudgetCommand({ farmId, budgetId }));
  assert.deepEqual(await state(), blocked);

  // Another queue's budget is not this queue's.
  const { queueId: other } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Other' }));
  await ft.client.send(new CreateBudgetCommand({
    farmId, displayName: 'other', usageTrackingResource: { queueId: other! }, approximateDollarLimit: 100, actions: [],
    schedule: { fixed: { startTime: new Date(now - DAY), endTime: new Date(now + DAY) } },
  }));
  assert.deepEqual(await state(), blocked);
});

test("ListQueues' status filter reads the budget state, page by page in creation order, tokens kept to the filter", async () => {
  const farmId = await newFarm();
  const blocked: string[] = [];
  const idle: string[] = [];
  for (let i = 0; i < 9; i++) {
    const stops = i % 3 !== 1; // six blocked, three idle, interleaved
    const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: `q-${i}`, defaultBudgetAction: stops ? STOP : 'NONE' }));
    (stops ? blocked : idle).push(queueId!);
  }
  const listed = async (status: QueueStatus, pageSize: number) => {
    const ids: string[] = [];
    for await (const page of paginateListQueues({ client: ft.client, pageSize }, { farmId, status })) {
      assert.ok(page.queues!.length <= pageSize);
      for (const q of page.queues!) {
        assert.equal(q.status, status);
        assert.equal(q.blockedReason, status === 'SCHEDULING_BLOCKED' ? 'NO_BUDGET_CONFIGURED' : undefined);
      }
      ids.push(...page.queues!.map((q) => q.queueId!));
    }
    return ids;
  };
  for (const pageSize of [1, 2, 4, 100]) {
    assert.deepEqual(await listed('SCHEDULING_BLOCKED', pageSize), blocked, `pages of ${pageSize}`);
    assert.deepEqual(await listed('IDLE', pageSize), idle, `pages of ${pageSize}`);
  }
  assert.deepEqual(await listed('SCHEDULING', 2), []);
  const first = await ft.client.send(new ListQueuesCommand({ farmId, status: 'IDLE', maxResults: 2 }));
  assert.deepEqual(first.queues!.map((q) => q.queueId), idle.slice(0, 2));
  await assert.rejects(ft.client.send(new ListQueuesCommand({ farmId, status: 'SCHEDULING_BLOCKED', nextToken: first.nextToken })), /nextToken/);
});
