// The request log: one JSON line per request on stderr through Fastify's logger (time,
// request ID, principal, operation, farm, status, duration), stdout left to the listening
// line, --log-level honoured, and nothing secret in it: no keys, signatures, Authorization
// header, record contents or query strings.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, GetFarmCommand, ListFarmsCommand } from '@aws-sdk/client-deadline';
import { startFarmtally } from './support/server.js';
import { farmWithParents, sessionRecord, toNdjson } from './support/session-records.js';
import { eventually } from './support/eventually.js';
import { clientAs, principal, signedFetch, startSigv4, type Sigv4Server } from './support/sigv4.js';

const admin = principal('admin');
let server: Sigv4Server;

before(async () => {
  server = await startSigv4([admin]);
});
after(() => server.ft.stop());

/** The log's request lines (JSON, msg "request"). */
const requestLines = (output: string): Record<string, unknown>[] =>
  output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');

async function lineOf(requestId: string): Promise<Record<string, unknown>[]> {
  await eventually(`the log line of request ${requestId}`, async () => requestLines(server.ft.output()).some((l) => l.requestId === requestId), 5000);
  return requestLines(server.ft.output()).filter((l) => l.requestId === requestId);
}

test('each request makes one line: time, request ID, principal, operation, farm, status, duration', async () => {
  const client = clientAs(server.ft.url, admin);
  const created = await client.send(new CreateFarmCommand({ displayName: 'logged' }));
  const [createLine, ...more] = await lineOf(created.$metadata.requestId!);
  assert.equal(more.length, 0);
  assert.match(String(createLine!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(
    { ...createLine, time: undefined, durationMs: undefined, pid: undefined, level: undefined },
    { ...createLine, time: undefined, durationMs: undefined, pid: undefined, level: undefined, method: 'POST', path: '/2023-10-12/farms', principal: 'admin', operation: 'CreateFarm', farmId: null, status: 200 },
  );
  assert.equal(typeof createLine!.durationMs, 'number');

  const got = await client.send(new GetFarmCommand({ farmId: created.farmId }));
  const [getLine] = await lineOf(got.$metadata.requestId!);
  assert.deepEqual([getLine!.operation, getLine!.farmId, getLine!.principal, getLine!.status], ['GetFarm', created.farmId, 'admin', 200]);

  const refused = await fetch(`${server.ft.url}/2023-10-12/farms`);
  const [refusedLine] = await lineOf(refused.headers.get('x-amzn-requestid')!);
  assert.deepEqual([refusedLine!.operation, refusedLine!.principal, refusedLine!.status], ['ListFarms', null, 403]);
});

test('an ingest request is logged as IngestSessions with its farm; stdout holds only the listening line', async () => {
  const farm = await farmWithParents(clientAs(server.ft.url, admin), 'logged ingest');
  const res = await signedFetch(server.ft.url, admin, {
    method: 'POST',
    path: `/ingest/v1/farms/${farm.farmId}/sessions`,
    body: toNdjson([sessionRecord(farm, { jobName: 'secret-project-shot-7' })]),
    headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(res.status, 200, res.text);
  const [line] = await lineOf(res.headers.get('x-amzn-requestid')!);
  assert.deepEqual([line!.operation, line!.farmId, line!.principal, line!.status], ['IngestSessions', farm.farmId, 'admin', 200]);
  assert.doesNotMatch(server.ft.output(), /secret-project-shot-7/, 'a record reached the log');
  assert.match(server.ft.stdout(), /^farmtally listening on http:\/\/\S+\n$/);
});

test('signed requests leave no secret, signature, Authorization header or query string in the log', async () => {
  const client = clientAs(server.ft.url, admin);
  for (let i = 0; i < 3; i++) await client.send(new CreateFarmCommand({ displayName: `page ${i}` }));
  const first = await client.send(new ListFarmsCommand({ maxResults: 1 }));
  const second = await client.send(new ListFarmsCommand({ maxResults: 1, nextToken: first.nextToken }));
  const [line] = await lineOf(second.$metadata.requestId!);
  assert.equal(line!.path, '/2023-10-12/farms');
  const { requestId, authorization } = await signedRequest();
  await lineOf(requestId);
  const signature = /Signature=(\w+)/.exec(authorization)![1]!;
  const output = server.ft.output();
  for (const secret of [admin.secretAccessKey, first.nextToken!, signature, 'Signature=', 'AWS4-HMAC-SHA256', 'authorization']) {
    assert.ok(!output.toLowerCase().includes(secret.toLowerCase()), `the log holds ${secret}`);
  }
});

/** A signed request, and the Authorization header it went with, to look for its signature in the log. */
async function signedRequest(): Promise<{ requestId: string; authorization: string }> {
  let authorization = '';
  const res = await signedFetch(server.ft.url, admin, { method: 'GET', path: '/2023-10-12/farms' }, (r) => (authorization = r.headers.authorization!));
  assert.equal(res.status, 200, res.text);
  return { requestId: res.headers.get('x-amzn-requestid')!, authorization };
}

test('--log-level warn leaves requests out of the log', async () => {
  const quiet = await startFarmtally({ args: ['--log-level', 'warn'] });
  const listed = await quiet.client.send(new ListFarmsCommand({})).finally(() => quiet.stop());
  assert.ok(listed.$metadata.requestId);
  // Stopped: everything it would have written is in.
  assert.deepEqual(requestLines(quiet.output()), []);
});
