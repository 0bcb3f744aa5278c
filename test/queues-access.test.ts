// UpdateQueue in sigv4 mode and under --strict: granted as deadline:UpdateQueue on a
// principal's farms like every other operation, updatedBy the principal's name, and routed by a
// --strict server (it is the service's own operation).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, CreateQueueCommand, GetQueueCommand, UpdateQueueCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import { eventually } from './support/eventually.js';
import { startFarmtally } from './support/server.js';
import { clientAs, principal, sdkError, startSigv4, writeCredentials, type Sigv4Server, type TestPrincipal } from './support/sigv4.js';

const admin = principal('admin', ['deadline:*'], ['*']);
let server: Sigv4Server;

async function queueIn(client: DeadlineClient) {
  const { farmId } = await client.send(new CreateFarmCommand({ displayName: 'f' }));
  const { queueId } = await client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  return { farmId: farmId!, queueId: queueId! };
}

before(async () => (server = await startSigv4([admin], ['--strict'])));
after(() => server.ft.stop());

test('sigv4: deadline:UpdateQueue on a farm updates its queues and no other farm\'s; updatedBy names the principal', async () => {
  const asAdmin = clientAs(server.ft.url, admin);
  const a = await queueIn(asAdmin);
  const b = await queueIn(asAdmin);
  const reader: TestPrincipal = principal('queue-reader', ['deadline:GetQueue'], [a.farmId]);
  const editor: TestPrincipal = principal('queue-editor', ['deadline:UpdateQueue', 'deadline:GetQueue'], [a.farmId]);
  writeCredentials(server.credentialsFile, [admin, reader, editor]);
  const asReader = clientAs(server.ft.url, reader);
  const asEditor = clientAs(server.ft.url, editor);
  await eventually('the new principals taken', async () => (await asEditor.send(new GetQueueCommand(a)).catch(() => undefined)) !== undefined, 10_000);

  const denied = async (call: Promise<unknown>, farmId: string) => {
    const err = await sdkError(call);
    assert.deepEqual([err.name, err.status], ['AccessDeniedException', 403]);
    assert.match(err.message, new RegExp(`not authorized to perform: deadline:UpdateQueue on resource: farm/${farmId}`));
  };
  await denied(asReader.send(new UpdateQueueCommand({ ...a, displayName: 'mine' })), a.farmId);
  await denied(asEditor.send(new UpdateQueueCommand({ ...b, displayName: 'mine' })), b.farmId);
  assert.equal((await asAdmin.send(new GetQueueCommand(b))).displayName, 'q');

  await asEditor.send(new UpdateQueueCommand({ ...a, displayName: 'renamed' }));
  const updated = await asReader.send(new GetQueueCommand(a));
  assert.deepEqual([updated.displayName, updated.createdBy, updated.updatedBy], ['renamed', 'admin', 'queue-editor']);
});

test('--strict serves UpdateQueue', async () => {
  const strict = await startFarmtally({ args: ['--strict'] });
  try {
    const { farmId, queueId } = await queueIn(strict.client);
    await strict.client.send(new UpdateQueueCommand({ farmId, queueId, description: 'strict' }));
    assert.equal((await strict.client.send(new GetQueueCommand({ farmId, queueId }))).description, 'strict');
  } finally {
    await strict.stop();
  }
});
