// In sigv4 mode the deletion extensions are actions like any other: deadline:DeleteSessions
// and deadline:ForgetUser (names a credentials file may grant: the server knows them), on the
// farms a principal is granted; DeleteQueue?withSessions=true needs deadline:DeleteQueue.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, CreateFleetCommand, CreateQueueCommand } from '@aws-sdk/client-deadline';
import { sessionAt } from './support/deletions.js';
import { eventually } from './support/eventually.js';
import { clientAs, principal, signedFetch, startSigv4, writeCredentials, type Sigv4Server, type TestPrincipal } from './support/sigv4.js';
import { toNdjson, type FarmParents } from './support/session-records.js';

const admin = principal('admin', ['deadline:*'], ['*']);
let server: Sigv4Server;
let farms: FarmParents[] = [];
let clerk: TestPrincipal;
let deleter: TestPrincipal;

async function farm(name: string): Promise<FarmParents> {
  const client = clientAs(server.ft.url, admin);
  const { farmId } = await client.send(new CreateFarmCommand({ displayName: name }));
  const { queueId } = await client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  const { fleetId } = await client.send(
    new CreateFleetCommand({
      farmId, displayName: 'f', roleArn: 'arn:aws:iam::123456789012:role/F', maxWorkerCount: 1,
      configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
    }),
  );
  return { farmId: farmId!, queueId: queueId!, fleetId: fleetId! };
}

const post = (keys: TestPrincipal, path: string, body: object) => signedFetch(server.ft.url, keys, { method: 'POST', path, body: JSON.stringify(body) });

before(async () => {
  server = await startSigv4([admin]);
  farms = [await farm('A'), await farm('B')];
  // Everything on farm A but deleting; deleting and forgetting, but on farm B only.
  clerk = principal('clerk', ['deadline:IngestSessions', 'deadline:Get*', 'deadline:List*', 'deadline:DeleteQueue'], [farms[0]!.farmId]);
  deleter = principal('deleter', ['deadline:DeleteSessions', 'deadline:ForgetUser'], [farms[1]!.farmId]);
  writeCredentials(server.credentialsFile, [admin, clerk, deleter]);
  await eventually('the new principals taken', async () => (await post(deleter, `/ingest/v1/farms/${farms[1]!.farmId}/sessions/delete`, { batchId: '1', dryRun: true })).status === 200, 10_000);
  for (const p of farms) {
    const res = await signedFetch(server.ft.url, admin, { method: 'POST', path: `/ingest/v1/farms/${p.farmId}/sessions`, body: toNdjson([sessionAt(p, 0)]), headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(res.status, 200, res.text);
  }
});
after(() => server.ft.stop());

test('a principal without deadline:DeleteSessions or deadline:ForgetUser is refused, as is one granted them on another farm', async () => {
  const [a, b] = farms as [FarmParents, FarmParents];
  const denied = async (keys: TestPrincipal, path: string, action: string, farmId: string) => {
    const res = await post(keys, path, { batchId: '1' });
    assert.deepEqual([res.status, res.headers.get('x-amzn-errortype')], [403, 'AccessDeniedException'], res.text);
    assert.match(res.body.message, new RegExp(`^User: ${keys.name} is not authorized to perform: ${action} on resource: farm/${farmId} because`));
    assert.deepEqual(res.body.context, { principal: keys.name, action, resource: `farm/${farmId}` });
  };
  await denied(clerk, `/ingest/v1/farms/${a.farmId}/sessions/delete`, 'deadline:DeleteSessions', a.farmId);
  await denied(clerk, `/ingest/v1/farms/${a.farmId}/users/ana/forget`, 'deadline:ForgetUser', a.farmId);
  await denied(deleter, `/ingest/v1/farms/${a.farmId}/sessions/delete`, 'deadline:DeleteSessions', a.farmId);
  await denied(deleter, `/ingest/v1/farms/${a.farmId}/users/ana/forget`, 'deadline:ForgetUser', a.farmId);

  // Granted, on its farm: it works (and the farm the others were refused on kept its session).
  const ok = await post(deleter, `/ingest/v1/farms/${b.farmId}/sessions/delete`, { queueId: b.queueId });
  assert.deepEqual([ok.status, ok.body], [200, { matched: 1, deleted: 1, jobsDeleted: 1 }]);
  const forgot = await post(deleter, `/ingest/v1/farms/${b.farmId}/users/ana/forget`, {});
  assert.equal(forgot.status, 200, forgot.text);
  const still = await post(admin, `/ingest/v1/farms/${a.farmId}/sessions/delete`, { queueId: a.queueId, dryRun: true });
  assert.deepEqual(still.body, { matched: 1, deleted: 0, jobsDeleted: 0 });
  // The request log names the operation like any other.
  assert.match(server.ft.output(), /"principal":"deleter","operation":"DeleteSessions"/);
});

test('withSessions=true is DeleteQueue\'s own grant: a principal allowed DeleteQueue on the farm may use it', async () => {
  const [a] = farms as [FarmParents];
  const res = await signedFetch(server.ft.url, clerk, { method: 'DELETE', path: `/2023-10-12/farms/${a.farmId}/queues/${a.queueId}`, query: { withSessions: 'true' } });
  assert.equal(res.status, 200, res.text);
  const gone = await signedFetch(server.ft.url, clerk, { method: 'GET', path: `/2023-10-12/farms/${a.farmId}/queues/${a.queueId}` });
  assert.equal(gone.status, 404);
});

const curl = spawnSync('curl', ['--version']).status === 0;

test("the README's curl recipe: curl --aws-sigv4 deletes a queue with its sessions", { skip: curl ? false : 'no curl command here' }, async () => {
  const b = farms[1]!;
  const client = clientAs(server.ft.url, admin);
  const { queueId } = await client.send(new CreateQueueCommand({ farmId: b.farmId, displayName: 'for curl' }));
  const res = await signedFetch(server.ft.url, admin, { method: 'POST', path: `/ingest/v1/farms/${b.farmId}/sessions`, body: toNdjson([sessionAt({ ...b, queueId: queueId! }, 3)]), headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(res.status, 200, res.text);
  const run = spawnSync('curl', [
    '-s', '-w', '%{http_code}', '--aws-sigv4', 'aws:amz:us-west-2:deadline', '--user', `${admin.accessKeyId}:${admin.secretAccessKey}`,
    '-X', 'DELETE', `${server.ft.url}/2023-10-12/farms/${b.farmId}/queues/${queueId}?withSessions=true`,
  ]);
  assert.equal(run.stdout.toString(), '{}200', run.stderr.toString());
  const gone = await signedFetch(server.ft.url, admin, { method: 'GET', path: `/2023-10-12/farms/${b.farmId}/queues/${queueId}` });
  assert.equal(gone.status, 404);
});
