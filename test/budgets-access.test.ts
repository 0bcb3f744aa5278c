// The budget operations in sigv4 mode and under --strict: granted as deadline:<Operation> on
// a principal's farms like every other operation, created and updated by the principal's
// name, and routed by a --strict server (they are the service's own operations).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateBudgetCommand, CreateFarmCommand, CreateQueueCommand, GetBudgetCommand, ListBudgetsCommand, UpdateBudgetCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import { eventually } from './support/eventually.js';
import { startFarmtally } from './support/server.js';
import { clientAs, principal, sdkError, startSigv4, writeCredentials, type Sigv4Server, type TestPrincipal } from './support/sigv4.js';

const admin = principal('admin', ['deadline:*'], ['*']);
let server: Sigv4Server;

async function budgetIn(client: DeadlineClient) {
  const { farmId } = await client.send(new CreateFarmCommand({ displayName: 'f' }));
  const { queueId } = await client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  const { budgetId } = await client.send(new CreateBudgetCommand({
    farmId, displayName: 'b', usageTrackingResource: { queueId: queueId! }, approximateDollarLimit: 10, actions: [],
    schedule: { fixed: { startTime: new Date('2026-01-01T00:00:00Z'), endTime: new Date('2099-01-01T00:00:00Z') } },
  }));
  return { farmId: farmId!, budgetId: budgetId! };
}

before(async () => (server = await startSigv4([admin], ['--strict'])));
after(() => server.ft.stop());

test('sigv4: deadline:GetBudget and deadline:ListBudgets on a farm read its budgets and nothing more; createdBy and updatedBy name the principal', async () => {
  const asAdmin = clientAs(server.ft.url, admin);
  const a = await budgetIn(asAdmin);
  const b = await budgetIn(asAdmin);
  const reader: TestPrincipal = principal('budget-reader', ['deadline:GetBudget', 'deadline:ListBudgets'], [a.farmId]);
  writeCredentials(server.credentialsFile, [admin, reader]);
  const asReader = clientAs(server.ft.url, reader);
  await eventually('the new principal taken', async () => (await asReader.send(new ListBudgetsCommand({ farmId: a.farmId })).catch(() => undefined)) !== undefined, 10_000);

  const got = await asReader.send(new GetBudgetCommand(a));
  assert.equal(got.createdBy, 'admin');
  const denied = async (call: Promise<unknown>, action: string, farmId: string) => {
    const err = await sdkError(call);
    assert.deepEqual([err.name, err.status], ['AccessDeniedException', 403]);
    assert.match(err.message, new RegExp(`not authorized to perform: ${action} on resource: farm/${farmId}`));
  };
  await denied(asReader.send(new UpdateBudgetCommand({ ...a, displayName: 'mine' })), 'deadline:UpdateBudget', a.farmId);
  await denied(asReader.send(new GetBudgetCommand(b)), 'deadline:GetBudget', b.farmId);

  await asAdmin.send(new UpdateBudgetCommand({ ...a, displayName: 'renamed' }));
  const updated = await asReader.send(new GetBudgetCommand(a));
  assert.deepEqual([updated.displayName, updated.updatedBy], ['renamed', 'admin']);
});

test('--strict serves the budget operations', async () => {
  const strict = await startFarmtally({ args: ['--strict'] });
  try {
    const { farmId, budgetId } = await budgetIn(strict.client);
    assert.equal((await strict.client.send(new GetBudgetCommand({ farmId, budgetId }))).status, 'ACTIVE');
  } finally {
    await strict.stop();
  }
});
