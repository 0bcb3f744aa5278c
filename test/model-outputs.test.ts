// The answers of the resource operations, as raw JSON off the wire, against the output shapes
// of the published API model (test/support/model-output.ts): every required member, no member
// the model lacks, each value of its type and enum. The SDK would hide a missing or extra
// member; boto3 and other clients may not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertModelOutput, modelSkip } from './support/model-output.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());

const CAPS = { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' };

test('farms, queues, fleets and budgets answer in the shapes of the model', { skip: modelSkip }, async () => {
  const call = async (operation: string, method: string, path: string, body?: object) => {
    const answer = await http(ft.url, method, path, { body: body && JSON.stringify(body) });
    assert.equal(answer.status, 200, `${operation}: ${answer.text}`);
    assertModelOutput(operation, answer.body);
    return answer.body;
  };
  const { farmId } = await call('CreateFarm', 'POST', '/2023-10-12/farms', { displayName: 'f', description: 'd', tags: { a: 'b' } });
  const farm = `/2023-10-12/farms/${farmId}`;
  await call('GetFarm', 'GET', farm);
  await call('ListFarms', 'GET', '/2023-10-12/farms?maxResults=1');
  await call('UpdateFarm', 'PATCH', farm, { costScaleFactor: 2 });
  const { queueId } = await call('CreateQueue', 'POST', `${farm}/queues`, { displayName: 'q', jobRunAsUser: { runAs: 'WORKER_AGENT_USER' } });
  await call('GetQueue', 'GET', `${farm}/queues/${queueId}`);
  await call('ListQueues', 'GET', `${farm}/queues`);
  await call('UpdateQueue', 'PATCH', `${farm}/queues/${queueId}`, { defaultBudgetAction: 'STOP_SCHEDULING_AND_CANCEL_TASKS', requiredFileSystemLocationNamesToAdd: ['A'] });
  // Blocked (a budget action and no budget): blockedReason is in both answers.
  assert.equal((await call('GetQueue', 'GET', `${farm}/queues/${queueId}`)).blockedReason, 'NO_BUDGET_CONFIGURED');
  assert.equal((await call('ListQueues', 'GET', `${farm}/queues?status=SCHEDULING_BLOCKED`)).queues[0].blockedReason, 'NO_BUDGET_CONFIGURED');
  for (const configuration of [
    { customerManaged: { mode: 'NO_SCALING', workerCapabilities: CAPS } },
    { serviceManagedEc2: { instanceCapabilities: CAPS, instanceMarketOptions: { type: 'spot' } } },
  ]) {
    const { fleetId } = await call('CreateFleet', 'POST', `${farm}/fleets`, { displayName: 'fl', roleArn: 'arn:aws:iam::123456789012:role/R', maxWorkerCount: 2, configuration });
    await call('GetFleet', 'GET', `${farm}/fleets/${fleetId}`);
  }
  await call('ListFleets', 'GET', `${farm}/fleets`);
  const { budgetId } = await call('CreateBudget', 'POST', `${farm}/budgets`, {
    displayName: 'b', usageTrackingResource: { queueId }, approximateDollarLimit: 10, actions: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100, description: 'stop' }],
    schedule: { fixed: { startTime: '2026-01-01T00:00:00Z', endTime: '2099-01-01T00:00:00Z' } },
  });
  await call('GetBudget', 'GET', `${farm}/budgets/${budgetId}`);
  await call('ListBudgets', 'GET', `${farm}/budgets?maxResults=1&status=ACTIVE`);
  await call('UpdateBudget', 'PATCH', `${farm}/budgets/${budgetId}`, { status: 'INACTIVE', actionsToRemove: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }] });
  await call('GetBudget', 'GET', `${farm}/budgets/${budgetId}`);
  await call('DeleteBudget', 'DELETE', `${farm}/budgets/${budgetId}`);
});
