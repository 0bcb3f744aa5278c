// ListRunningSessions (an extension): a farm's sessions with no endedAt, of the queues or
// fleets named as the statistics name them, with the fields a usage record is made of; the
// resources checked as the statistics check them; not served under --strict.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateQueueCommand } from '@aws-sdk/client-deadline';
import { HOUR, sessionAt, T0 } from './support/deletions.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, postSessions, toNdjson } from './support/session-records.js';

let ft: Farmtally;
before(async () => {
  ft = await startFarmtally();
});
after(async () => ft.stop());

const listRunning = (url: string, farmId: string, resourceIds: object) =>
  http(url, 'POST', `/ingest/v1/farms/${farmId}/sessions/running`, { body: JSON.stringify({ resourceIds }) });

test('the running sessions of queues or fleets, earliest started first, with what their usage records are made of', async () => {
  const p = await farmWithParents(ft.client, 'running');
  const other = await ft.client.send(new CreateQueueCommand({ farmId: p.farmId, displayName: 'other' }));
  const q2 = { ...p, queueId: other.queueId! };
  const late = sessionAt(p, 5, { running: true, licenseProducts: ['nuke', 'maya'], userId: 'bo', jobName: 'shot_030 comp' });
  const early = sessionAt(p, 2, { running: true, instanceType: undefined });
  const elsewhere = sessionAt(q2, 3, { running: true });
  const records = [late, sessionAt(p, 1), early, elsewhere, sessionAt(q2, 0)];
  const posted = await postSessions(ft.url, p.farmId, toNdjson(records));
  assert.equal(posted.status, 200, posted.text);

  const before = Date.now();
  const res = await listRunning(ft.url, p.farmId, { queueIds: [p.queueId] });
  assert.equal(res.status, 200, res.text);
  const { asOf, ...rest } = res.body;
  assert.ok(Date.parse(asOf) >= before - 1000 && Date.parse(asOf) <= Date.now() + 1000, asOf);
  const shape = (r: typeof late) => ({
    sessionId: r.sessionId, queueId: r.queueId, fleetId: r.fleetId, jobId: r.jobId, jobName: r.jobName, userId: r.userId,
    ...(r.instanceType !== undefined && { instanceType: r.instanceType }), ...(r.licenseProducts && { licenseProducts: [...r.licenseProducts].sort() }), // kept as a set
    startedAt: new Date(Date.parse(r.startedAt)).toISOString(),
  });
  assert.deepEqual(rest, { sessions: [shape(early), shape(late)], truncated: false });

  const both = await listRunning(ft.url, p.farmId, { queueIds: [q2.queueId, p.queueId] });
  assert.deepEqual(both.body.sessions.map((s: { sessionId: string }) => s.sessionId), [early.sessionId, elsewhere.sessionId, late.sessionId]);
  const byFleet = await listRunning(ft.url, p.farmId, { fleetIds: [p.fleetId] });
  assert.equal(byFleet.body.sessions.length, 3);

  // One ends: no longer listed.
  const ended = await postSessions(ft.url, p.farmId, toNdjson([{ ...early, endedAt: new Date(T0 + 9 * HOUR).toISOString() }]));
  assert.equal(ended.status, 200, ended.text);
  const after = await listRunning(ft.url, p.farmId, { queueIds: [p.queueId] });
  assert.deepEqual(after.body.sessions.map((s: { sessionId: string }) => s.sessionId), [late.sessionId]);
});

test('the resources are checked as the statistics check them: 1 to 10 IDs of one kind, each of the farm', async () => {
  const p = await farmWithParents(ft.client, 'running-checks');
  const eleven = Array.from({ length: 11 }, (_, i) => `queue-${String(i).padStart(32, '0')}`);
  const tooMany = await listRunning(ft.url, p.farmId, { queueIds: eleven });
  assert.deepEqual([tooMany.status, tooMany.headers.get('x-amzn-errortype')], [400, 'ValidationException']);
  const twoKinds = await listRunning(ft.url, p.farmId, { queueIds: [p.queueId], fleetIds: [p.fleetId] });
  assert.deepEqual([twoKinds.status, twoKinds.headers.get('x-amzn-errortype')], [400, 'ValidationException']);
  const none = await http(ft.url, 'POST', `/ingest/v1/farms/${p.farmId}/sessions/running`, { body: '{}' });
  assert.deepEqual([none.status, none.headers.get('x-amzn-errortype')], [400, 'ValidationException']);
  const unknown = await listRunning(ft.url, p.farmId, { queueIds: [`queue-${'0'.repeat(32)}`] });
  assert.deepEqual([unknown.status, unknown.headers.get('x-amzn-errortype')], [404, 'ResourceNotFoundException']);
  const noFarm = await listRunning(ft.url, `farm-${'0'.repeat(32)}`, { queueIds: [p.queueId] });
  assert.deepEqual([noFarm.status, noFarm.headers.get('x-amzn-errortype')], [404, 'ResourceNotFoundException']);
});

test('--strict does not serve it: an unknown operation', async () => {
  const strict = await startFarmtally({ args: ['--strict'] });
  try {
    const p = await farmWithParents(strict.client, 'strict');
    const res = await listRunning(strict.url, p.farmId, { queueIds: [p.queueId] });
    assert.deepEqual([res.status, res.headers.get('x-amzn-errortype'), res.body.reason], [400, 'ValidationException', 'UNKNOWN_OPERATION']);
  } finally {
    await strict.stop();
  }
});
