// Deleting sessions (DeleteSessions, an extension): by the batch that wrote them, by queue,
// by start time; a dry run; jobs left empty go, the others keep the span of what is left;
// DeleteFarm/DeleteQueue/DeleteFleet with withSessions=true; none of it under --strict.
// What is left is read as a client reads it: aggregations through the SDK, compared with
// counts made from the records the test sent, GetJob, GetQueue.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand, DeleteQueueCommand, GetFarmCommand, GetFleetCommand, GetJobCommand, GetQueueCommand } from '@aws-sdk/client-deadline';
import { deleteSessions, expectedPerQueue, HOUR, sessionAt, sessionsPerQueue, T0 } from './support/deletions.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { rejectsConflict, rejectsNotFound } from './support/service-errors.js';
import { answerCounts, farmWithParents, postSessions, toNdjson, type FarmParents, type IngestRecord } from './support/session-records.js';

let ft: Farmtally;
before(async () => {
  ft = await startFarmtally({ env: { FARMTALLY_INGEST_TRACE: '1' } });
});
after(async () => ft.stop());

/** A farm with two queues (and one fleet). */
async function twoQueues(name: string): Promise<{ p: FarmParents; q2: FarmParents; queueIds: string[] }> {
  const p = await farmWithParents(ft.client, name);
  const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId: p.farmId, displayName: `${name} 2` }));
  return { p, q2: { ...p, queueId: queueId! }, queueIds: [p.queueId, queueId!] };
}

/** Posts one batch; answers its counts and batch ID. */
async function ingest(farmId: string, records: readonly IngestRecord[]): Promise<{ batchId: string; created: number; updated: number; unchanged: number }> {
  const res = await postSessions(ft.url, farmId, toNdjson(records));
  assert.equal(res.status, 200, res.text);
  answerCounts(res.body);
  return res.body;
}

async function deleted(farmId: string, body: object): Promise<{ matched: number; deleted: number; jobsDeleted: number }> {
  const res = await deleteSessions(ft.url, farmId, body);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

const jobExists = async (farmId: string, queueId: string, jobId: string) =>
  ft.client.send(new GetJobCommand({ farmId, queueId, jobId })).then(
    () => true,
    (err) => (err.name === 'ResourceNotFoundException' ? false : Promise.reject(err)),
  );

describe('DeleteSessions', () => {
  test('small and large ingest answers carry a batchId; deleting by one removes that batch\'s sessions only, and the jobs it leaves empty', async () => {
    const { p, q2, queueIds } = await twoQueues('by batch');
    const [shared, solo] = [sessionAt(p, 0).jobId, sessionAt(p, 0).jobId];
    const small = Array.from({ length: 20 }, (_, i) => sessionAt(p, i, { jobId: i < 10 ? shared : solo }));
    // Past --group-commit-bytes (1 MiB): staged and merged in SQL, not group-committed.
    const large = Array.from({ length: 4000 }, (_, i) => sessionAt(q2, 100 + i, { jobId: i < 5 ? shared : `job-${(i % 40).toString(16).padStart(32, 'a')}`, jobName: 'x'.repeat(60) }));
    const smallAnswer = await ingest(p.farmId, small);
    const largeAnswer = await ingest(p.farmId, large);
    assert.match(ft.output(), /4000 records staged by the bulk load/);
    assert.notEqual(smallAnswer.batchId, largeAnswer.batchId);
    assert.ok(Number(largeAnswer.batchId) > Number(smallAnswer.batchId), 'batch IDs grow');
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue([...small, ...large], queueIds));

    assert.deepEqual(await deleted(p.farmId, { batchId: smallAnswer.batchId, dryRun: true }), { matched: 20, deleted: 0, jobsDeleted: 0 });
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue([...small, ...large], queueIds), 'a dry run deletes nothing');
    assert.deepEqual(await deleted(p.farmId, { batchId: smallAnswer.batchId }), { matched: 20, deleted: 20, jobsDeleted: 1 });
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue(large, queueIds));
    assert.equal(await jobExists(p.farmId, p.queueId, solo), false, 'a job left with no session is gone');
    // The shared job keeps the large batch's sessions: its span is theirs now, and its queue theirs.
    const job = await ft.client.send(new GetJobCommand({ farmId: p.farmId, queueId: q2.queueId, jobId: shared }));
    assert.deepEqual([job.startedAt?.getTime(), job.endedAt?.getTime()], [T0 + 100 * HOUR, T0 + 105 * HOUR]);

    assert.deepEqual(await deleted(p.farmId, { batchId: '999999999' }), { matched: 0, deleted: 0, jobsDeleted: 0 }, 'an unknown batch matches nothing');
    assert.deepEqual(await deleted(p.farmId, { batchId: largeAnswer.batchId }), { matched: 4000, deleted: 4000, jobsDeleted: 41 });
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue([], queueIds));
    // Sent again, the sessions are new: nothing of them was left behind (a stale key would say unchanged).
    const again = await ingest(p.farmId, small);
    assert.deepEqual([again.created, again.unchanged], [20, 0]);
    assert.ok(Number(again.batchId) > Number(largeAnswer.batchId), 'a batch ID is never given again');
  });

  test('a batch names only what it created or changed: an unchanged record keeps the batch that wrote it', async () => {
    const { p, queueIds } = await twoQueues('retag');
    const first = Array.from({ length: 10 }, (_, i) => sessionAt(p, i));
    const a = await ingest(p.farmId, first);
    const changed = first.map((r, i) => (i < 2 ? { ...r, endedAt: new Date(T0 + i * HOUR + 2 * HOUR).toISOString() } : r));
    const b = await ingest(p.farmId, changed);
    assert.deepEqual([b.created, b.updated, b.unchanged], [0, 2, 8]);
    assert.deepEqual(await deleted(p.farmId, { batchId: a.batchId, dryRun: true }), { matched: 8, deleted: 0, jobsDeleted: 0 });
    assert.deepEqual(await deleted(p.farmId, { batchId: b.batchId }), { matched: 2, deleted: 2, jobsDeleted: 2 });
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue(first.slice(2), queueIds));
  });

  test('by queue and by start time ([start, end)), running sessions too; aggregations after it no longer count them', async () => {
    const { p, q2, queueIds } = await twoQueues('by time');
    const records = [
      ...Array.from({ length: 10 }, (_, h) => sessionAt(p, h)),
      ...Array.from({ length: 10 }, (_, h) => sessionAt(q2, h)),
      sessionAt(p, 5, { running: true }),
    ];
    await ingest(p.farmId, records);
    const startsIn = (from: number, to: number) => (r: IngestRecord) => Date.parse(r.startedAt) >= T0 + from * HOUR && Date.parse(r.startedAt) < T0 + to * HOUR;
    const range = (from: number, to: number) => ({ startedAtOrAfter: new Date(T0 + from * HOUR).toISOString(), startedBefore: new Date(T0 + to * HOUR).toISOString() });

    assert.deepEqual(await deleted(p.farmId, { ...range(2, 5), dryRun: true }), { matched: 6, deleted: 0, jobsDeleted: 0 });
    assert.deepEqual(await deleted(p.farmId, range(2, 5)), { matched: 6, deleted: 6, jobsDeleted: 6 });
    let kept = records.filter((r) => !startsIn(2, 5)(r));
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue(kept, queueIds));
    // The session starting at the range's end stays; one hour on, the running one goes with the others of that hour.
    assert.deepEqual(await deleted(p.farmId, range(5, 6)), { matched: 3, deleted: 3, jobsDeleted: 3 });
    kept = kept.filter((r) => !startsIn(5, 6)(r));
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue(kept, queueIds));

    assert.deepEqual(await deleted(p.farmId, { queueId: q2.queueId }), { matched: 6, deleted: 6, jobsDeleted: 6 });
    kept = kept.filter((r) => r.queueId !== q2.queueId);
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue(kept, queueIds));
    assert.equal(kept.length, 6);
  });

  test('a job keeps the span of the sessions it has left: first start, last end, or none while one runs', async () => {
    const p = await farmWithParents(ft.client, 'spans');
    const jobId = sessionAt(p, 0).jobId;
    await ingest(p.farmId, [sessionAt(p, 0, { jobId }), sessionAt(p, 2, { jobId }), sessionAt(p, 4, { jobId, running: true })]);
    const span = async () => {
      const job = await ft.client.send(new GetJobCommand({ farmId: p.farmId, queueId: p.queueId, jobId }));
      return [job.startedAt?.getTime(), job.endedAt?.getTime()];
    };
    assert.deepEqual(await span(), [T0, undefined]);
    const hours = (from: number, to: number) => ({ startedAtOrAfter: new Date(T0 + from * HOUR).toISOString(), startedBefore: new Date(T0 + to * HOUR).toISOString() });
    assert.deepEqual(await deleted(p.farmId, hours(4, 5)), { matched: 1, deleted: 1, jobsDeleted: 0 });
    assert.deepEqual(await span(), [T0, T0 + 3 * HOUR], 'the running session gone, the job has ended');
    assert.deepEqual(await deleted(p.farmId, hours(0, 1)), { matched: 1, deleted: 1, jobsDeleted: 0 });
    assert.deepEqual(await span(), [T0 + 2 * HOUR, T0 + 3 * HOUR]);
    // The writer's memory followed: a new running session of the job, then its end, are counted right.
    const next = sessionAt(p, 6, { jobId, running: true });
    assert.deepEqual([(await ingest(p.farmId, [next])).created], [1]);
    assert.deepEqual(await span(), [T0 + 2 * HOUR, undefined]);
    assert.deepEqual([(await ingest(p.farmId, [{ ...next, endedAt: new Date(T0 + 7 * HOUR).toISOString() }])).updated], [1]);
    assert.deepEqual(await span(), [T0 + 2 * HOUR, T0 + 7 * HOUR]);
  });

  test('exactly one selector, a whole range, well-formed IDs; an unknown farm or queue is ResourceNotFoundException', async () => {
    const { p } = await twoQueues('errors');
    const fields = async (body: object) => {
      const res = await deleteSessions(ft.url, p.farmId, body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
      return res.body.fieldList.map((f: { name: string }) => f.name);
    };
    assert.deepEqual(await fields({}), ['body']);
    assert.deepEqual(await fields({ dryRun: true }), ['body']);
    assert.deepEqual(await fields({ batchId: '1', queueId: p.queueId }), ['body']);
    assert.deepEqual(await fields({ batchId: '1', startedAtOrAfter: '2025-01-01T00:00:00Z', startedBefore: '2025-02-01T00:00:00Z' }), ['body']);
    assert.deepEqual(await fields({ startedAtOrAfter: '2025-01-01T00:00:00Z' }), ['startedBefore']);
    assert.deepEqual(await fields({ startedBefore: '2025-01-01T00:00:00Z' }), ['startedAtOrAfter']);
    assert.deepEqual(await fields({ startedAtOrAfter: '2025-01-01T00:00:00Z', startedBefore: '2025-01-01T00:00:00Z' }), ['startedBefore']);
    assert.deepEqual(await fields({ batchId: 'batch-1' }), ['batchId']);
    assert.deepEqual(await fields({ batchId: 7 }), ['batchId']);
    assert.deepEqual(await fields({ queueId: 'queue-1' }), ['queueId']);
    assert.deepEqual(await fields({ batchId: '1', dryRun: 'yes' }), ['dryRun']);
    assert.deepEqual(await fields({ startedAtOrAfter: 1735689600, startedBefore: '2025-01-01T00:00:00Z' }), ['startedAtOrAfter']);
    const notJson = await http(ft.url, 'POST', `/ingest/v1/farms/${p.farmId}/sessions/delete`, { body: '{"batchId":' });
    assert.deepEqual([notJson.status, notJson.body.reason], [400, 'CANNOT_PARSE']);

    const unknownQueue = await deleteSessions(ft.url, p.farmId, { queueId: `queue-${'0'.repeat(32)}` });
    assert.deepEqual([unknownQueue.status, unknownQueue.headers.get('x-amzn-errortype'), unknownQueue.body.resourceType], [404, 'ResourceNotFoundException', 'queue']);
    const other = await farmWithParents(ft.client, 'another');
    const foreignQueue = await deleteSessions(ft.url, p.farmId, { queueId: other.queueId });
    assert.deepEqual([foreignQueue.status, foreignQueue.body.resourceId], [404, other.queueId], "another farm's queue is not this farm's");
    const unknownFarm = await deleteSessions(ft.url, `farm-${'0'.repeat(32)}`, { batchId: '1' });
    assert.deepEqual([unknownFarm.status, unknownFarm.body.resourceType], [404, 'farm']);
    const badFarm = await deleteSessions(ft.url, 'farm-x', { batchId: '1' });
    assert.deepEqual([badFarm.status, badFarm.body.fieldList?.[0]?.name], [400, 'farmId']);
    assert.doesNotMatch(ft.output(), /internal error/);
  });
});

describe('DeleteFarm, DeleteQueue, DeleteFleet with withSessions=true', () => {
  test('without it a resource with sessions is ConflictException and nothing goes; with it, the resource and every session naming it, in one go', async () => {
    const { p, q2, queueIds } = await twoQueues('resources');
    const records = [...Array.from({ length: 6 }, (_, h) => sessionAt(p, h)), ...Array.from({ length: 4 }, (_, h) => sessionAt(q2, h))];
    const sharedJob = records[0]!.jobId;
    records.push(sessionAt(q2, 8, { jobId: sharedJob }));
    await ingest(p.farmId, records);

    await rejectsConflict(ft.client.send(new DeleteQueueCommand({ farmId: p.farmId, queueId: p.queueId })), 'RESOURCE_IN_USE', 'queue', p.queueId);
    const refused = await http(ft.url, 'DELETE', `/2023-10-12/farms/${p.farmId}/queues/${p.queueId}?withSessions=false`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /withSessions=true/, 'the conflict says how to delete it anyway');
    const bad = await http(ft.url, 'DELETE', `/2023-10-12/farms/${p.farmId}/queues/${p.queueId}?withSessions=yes`);
    assert.deepEqual([bad.status, bad.body.fieldList?.[0]?.name], [400, 'withSessions']);
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, queueIds), expectedPerQueue(records, queueIds));

    const gone = await http(ft.url, 'DELETE', `/2023-10-12/farms/${p.farmId}/queues/${p.queueId}?withSessions=true`);
    assert.equal(gone.status, 200, gone.text);
    await rejectsNotFound(ft.client.send(new GetQueueCommand({ farmId: p.farmId, queueId: p.queueId })), 'queue', p.queueId);
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, [q2.queueId]), expectedPerQueue(records.filter((r) => r.queueId === q2.queueId), [q2.queueId]));
    // The job the two queues shared lives on in the other queue.
    const shared = await ft.client.send(new GetJobCommand({ farmId: p.farmId, queueId: q2.queueId, jobId: sharedJob }));
    assert.equal(shared.startedAt?.getTime(), T0 + 8 * HOUR);
    assert.match(ft.output(), /"sessionsDeleted":6,"jobsDeleted":5,"msg":"queue deleted with its sessions"/);

    // A fleet: with its sessions, the farm's others stay.
    const fleetGone = await http(ft.url, 'DELETE', `/2023-10-12/farms/${p.farmId}/fleets/${p.fleetId}?withSessions=true`);
    assert.equal(fleetGone.status, 200, fleetGone.text);
    await rejectsNotFound(ft.client.send(new GetFleetCommand({ farmId: p.farmId, fleetId: p.fleetId })), 'fleet', p.fleetId);
    assert.deepEqual(await sessionsPerQueue(ft.client, p.farmId, [q2.queueId]), { [q2.queueId]: 0 });

    // A farm, with everything of it; a second time it is not found.
    const farm = await farmWithParents(ft.client, 'whole farm');
    await ingest(farm.farmId, [sessionAt(farm, 1), sessionAt(farm, 2, { running: true })]);
    const farmGone = await http(ft.url, 'DELETE', `/2023-10-12/farms/${farm.farmId}?withSessions=true`);
    assert.equal(farmGone.status, 200, farmGone.text);
    await rejectsNotFound(ft.client.send(new GetFarmCommand({ farmId: farm.farmId })), 'farm', farm.farmId);
    const again = await http(ft.url, 'DELETE', `/2023-10-12/farms/${farm.farmId}?withSessions=true`);
    assert.deepEqual([again.status, again.body.resourceType], [404, 'farm']);
    // Its sessions are no longer stored: sent to a farm of the same queue IDs they would be new, but here the farm is gone.
    const ingestGone = await postSessions(ft.url, farm.farmId, toNdjson([sessionAt(farm, 3)]));
    assert.equal(ingestGone.status, 404);
  });
});

test('--strict serves none of it: DeleteSessions is an unknown operation, withSessions=true changes nothing', async () => {
  const strict = await startFarmtally({ args: ['--strict'] });
  try {
    const p = await farmWithParents(strict.client, 'strict');
    const answer = await postSessions(strict.url, p.farmId, toNdjson([sessionAt(p, 0)]));
    assert.equal(answer.status, 200, answer.text);
    const res = await deleteSessions(strict.url, p.farmId, { batchId: answer.body.batchId });
    assert.deepEqual([res.status, res.headers.get('x-amzn-errortype'), res.body.reason], [400, 'ValidationException', 'UNKNOWN_OPERATION']);
    const forget = await http(strict.url, 'POST', `/ingest/v1/farms/${p.farmId}/users/ana/forget`, { body: '{}' });
    assert.deepEqual([forget.status, forget.body.reason], [400, 'UNKNOWN_OPERATION']);
    const conflict = await http(strict.url, 'DELETE', `/2023-10-12/farms/${p.farmId}/queues/${p.queueId}?withSessions=true`);
    assert.deepEqual([conflict.status, conflict.headers.get('x-amzn-errortype')], [409, 'ConflictException']);
    assert.match(conflict.body.message, /--strict/);
    assert.deepEqual(await sessionsPerQueue(strict.client, p.farmId, [p.queueId]), { [p.queueId]: 1 });
  } finally {
    await strict.stop();
  }
});
