// Jobs and sessions exist once session records are ingested (POST /ingest/v1/...); these
// tests put records in through that route and read them back through the SDK.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, DeleteFarmCommand, DeleteFleetCommand, DeleteQueueCommand, GetFarmCommand,
  GetFleetCommand, GetJobCommand, GetQueueCommand, GetSessionCommand, ListJobsCommand, ListSessionsCommand, ValidationException,
  paginateListSessions, type CreateFleetCommandInput,
} from '@aws-sdk/client-deadline';
import { newId } from '../src/domain/resources.js';
import type { SessionRecordJson } from '../src/domain/session-record.js';
import { absentId, rejectsConflict, rejectsNotFound } from './support/service-errors.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { answerCounts } from './support/session-records.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());


async function ingest(farmId: string, records: SessionRecordJson[]) {
  const res = await http(ft.url, 'POST', `/ingest/v1/farms/${farmId}/sessions`, {
    body: records.map((r) => JSON.stringify(r)).join('\n') + '\n',
    headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(res.status, 200, res.text);
  return answerCounts(res.body);
}

const fleetInput = (farmId: string, kind: 'service' | 'customer'): CreateFleetCommandInput => ({
  farmId,
  displayName: `${kind} fleet`,
  roleArn: 'arn:aws:iam::123456789012:role/FleetRole',
  maxWorkerCount: 10,
  configuration:
    kind === 'service'
      ? { serviceManagedEc2: { instanceCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' }, instanceMarketOptions: { type: 'spot' } } }
      : { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
});

/** A farm with two queues and two fleets, and sessions of three jobs (one with 250 sessions). */
async function farmWithSessions() {
  const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'sessions' }));
  const queueA = (await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'A' }))).queueId!;
  const queueB = (await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'B' }))).queueId!;
  const serviceFleet = (await ft.client.send(new CreateFleetCommand(fleetInput(farmId!, 'service')))).fleetId!;
  const customerFleet = (await ft.client.send(new CreateFleetCommand(fleetInput(farmId!, 'customer')))).fleetId!;
  const small = { jobId: newId('job'), name: 'shot_010 comp', userId: 'ana' };
  const big = { jobId: newId('job'), name: 'shot_020 lighting', userId: 'ben' };
  const other = { jobId: newId('job'), name: 'sim cache', userId: 'cy' };
  const worker = newId('worker');
  const ended: SessionRecordJson = {
    sessionId: newId('session'), queueId: queueA, jobId: small.jobId, jobName: small.name, userId: small.userId, fleetId: serviceFleet,
    workerId: worker, instanceType: 'g6.xlarge', startedAt: '2025-03-01T10:00:00Z', endedAt: '2025-03-01T11:30:00.250Z', licenseProducts: ['nuke'],
  };
  const running: SessionRecordJson = {
    sessionId: newId('session'), queueId: queueA, jobId: small.jobId, jobName: small.name, userId: small.userId, fleetId: customerFleet,
    workerId: newId('worker'), startedAt: '2025-03-01T09:00:00Z',
  };
  // Start times are shuffled so that listing in start order is the store's doing, not the batch's.
  const bigStart = Date.parse('2025-03-02T00:00:00Z');
  const bigSessions: SessionRecordJson[] = Array.from({ length: 250 }, (_, i) => {
    const minute = (i * 97) % 250;
    return {
      sessionId: newId('session'), queueId: queueA, jobId: big.jobId, jobName: big.name, userId: big.userId, fleetId: serviceFleet, workerId: worker,
      instanceType: 'c5.4xlarge', startedAt: new Date(bigStart + minute * 60_000).toISOString(), endedAt: new Date(bigStart + minute * 60_000 + 45_000).toISOString(),
    };
  });
  const otherSession: SessionRecordJson = {
    sessionId: newId('session'), queueId: queueB, jobId: other.jobId, jobName: other.name, userId: other.userId, fleetId: customerFleet,
    workerId: newId('worker'), startedAt: '2025-03-03T00:00:00Z', endedAt: '2025-03-03T01:00:00Z',
  };
  const counts = await ingest(farmId!, [ended, running, ...bigSessions, otherSession]);
  assert.deepEqual(counts, { received: 253, created: 253, updated: 0, unchanged: 0 });
  return { farmId: farmId!, queueA, queueB, serviceFleet, customerFleet, small, big, other, ended, running, bigSessions, otherSession };
}

let farm: Awaited<ReturnType<typeof farmWithSessions>>;

describe('jobs and sessions through the SDK', () => {
  before(async () => (farm = await farmWithSessions()));

  test('GetJob and ListJobs: what the session records say, and the defaults the model requires', async () => {
    const { farmId, queueA, queueB, small, big, other, bigSessions } = farm;
    const job = await ft.client.send(new GetJobCommand({ farmId, queueId: queueA, jobId: small.jobId }));
    assert.equal(job.jobId, small.jobId);
    assert.equal(job.name, small.name);
    assert.equal(job.createdBy, small.userId);
    assert.equal(job.lifecycleStatus, 'CREATE_COMPLETE');
    assert.equal(typeof job.lifecycleStatusMessage, 'string');
    assert.ok(job.lifecycleStatusMessage!.length > 0);
    assert.equal(job.priority, 50);
    assert.ok(job.createdAt instanceof Date && Math.abs(job.createdAt.getTime() - Date.now()) < 120_000);
    // Its earliest session started at 09:00; one is still running, so the job has not ended.
    assert.deepEqual(job.startedAt, new Date('2025-03-01T09:00:00Z'));
    assert.equal(job.endedAt, undefined);

    const bigJob = await ft.client.send(new GetJobCommand({ farmId, queueId: queueA, jobId: big.jobId }));
    const ends = bigSessions.map((s) => Date.parse(s.endedAt!));
    assert.deepEqual(bigJob.endedAt, new Date(Math.max(...ends)));
    assert.deepEqual(bigJob.startedAt, new Date(Math.min(...bigSessions.map((s) => Date.parse(s.startedAt)))));

    const listed = await ft.client.send(new ListJobsCommand({ farmId, queueId: queueA }));
    assert.deepEqual(
      listed.jobs!.map((j) => [j.jobId, j.name, j.createdBy, j.priority, j.lifecycleStatus]).sort(),
      [[small.jobId, small.name, small.userId, 50, 'CREATE_COMPLETE'], [big.jobId, big.name, big.userId, 50, 'CREATE_COMPLETE']].sort(),
    );
    assert.deepEqual((await ft.client.send(new ListJobsCommand({ farmId, queueId: queueB }))).jobs!.map((j) => j.jobId), [other.jobId]);
    const onePerPage = await ft.client.send(new ListJobsCommand({ farmId, queueId: queueA, maxResults: 1 }));
    assert.equal(onePerPage.jobs!.length, 1);
    const rest = await ft.client.send(new ListJobsCommand({ farmId, queueId: queueA, maxResults: 1, nextToken: onePerPage.nextToken }));
    assert.equal(rest.nextToken, undefined);
    assert.deepEqual([onePerPage.jobs![0]!.jobId, rest.jobs![0]!.jobId].sort(), [small.jobId, big.jobId].sort());
  });

  test('GetSession: a running session is STARTED, an ended one ENDED, with its times, host and log settings', async () => {
    const { farmId, queueA, small, ended, running } = farm;
    const done = await ft.client.send(new GetSessionCommand({ farmId, queueId: queueA, jobId: small.jobId, sessionId: ended.sessionId }));
    assert.equal(done.sessionId, ended.sessionId);
    assert.equal(done.fleetId, ended.fleetId);
    assert.equal(done.workerId, ended.workerId);
    assert.equal(done.lifecycleStatus, 'ENDED');
    assert.deepEqual(done.startedAt, new Date('2025-03-01T10:00:00Z'));
    assert.deepEqual(done.endedAt, new Date('2025-03-01T11:30:00.250Z'));
    assert.deepEqual(done.hostProperties, { ec2InstanceType: 'g6.xlarge' });
    // farmtally keeps no logs: the log configuration says so with the `none` driver.
    assert.deepEqual(done.log, { logDriver: 'none' });
    assert.ok(done.updatedAt instanceof Date);

    const live = await ft.client.send(new GetSessionCommand({ farmId, queueId: queueA, jobId: small.jobId, sessionId: running.sessionId }));
    assert.equal(live.lifecycleStatus, 'STARTED');
    assert.equal(live.endedAt, undefined);
    assert.equal(live.hostProperties, undefined);
    assert.equal(live.fleetId, running.fleetId);

    const summaries = await ft.client.send(new ListSessionsCommand({ farmId, queueId: queueA, jobId: small.jobId }));
    // Listed by start time: the running session started first.
    assert.deepEqual(
      summaries.sessions!.map((s) => [s.sessionId, s.lifecycleStatus, s.startedAt?.toISOString(), s.endedAt?.toISOString()]),
      [
        [running.sessionId, 'STARTED', '2025-03-01T09:00:00.000Z', undefined],
        [ended.sessionId, 'ENDED', '2025-03-01T10:00:00.000Z', '2025-03-01T11:30:00.250Z'],
      ],
    );
  });

  test('ListSessions pages 250 sessions with the SDK paginator, each once, in start order', async () => {
    const { farmId, queueA, big, bigSessions } = farm;
    const expected = [...bigSessions].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    for (const pageSize of [100, 37]) {
      const seen: { sessionId?: string; startedAt?: Date; endedAt?: Date; lifecycleStatus?: string }[] = [];
      let pages = 0;
      for await (const page of paginateListSessions({ client: ft.client, pageSize }, { farmId, queueId: queueA, jobId: big.jobId })) {
        pages++;
        assert.ok(page.sessions!.length <= pageSize);
        seen.push(...page.sessions!);
      }
      assert.equal(pages, Math.ceil(250 / pageSize));
      assert.deepEqual(seen.map((s) => s.sessionId), expected.map((s) => s.sessionId));
      assert.deepEqual(seen.map((s) => s.startedAt!.toISOString()), expected.map((s) => s.startedAt));
      assert.ok(seen.every((s) => s.lifecycleStatus === 'ENDED' && s.endedAt instanceof Date));
    }
    // With no maxResults a page holds at most 100.
    const first = await ft.client.send(new ListSessionsCommand({ farmId, queueId: queueA, jobId: big.jobId }));
    assert.equal(first.sessions!.length, 100);
    assert.ok(first.nextToken);
    // A token pages only the list it came from.
    await assert.rejects(ft.client.send(new ListSessionsCommand({ farmId, queueId: queueA, jobId: farm.small.jobId, nextToken: first.nextToken })), (err) => {
      assert.ok(err instanceof ValidationException);
      assert.equal(err.fieldList![0]!.name, 'nextToken');
      return true;
    });
  });

  test('re-sending a running session with endedAt ends it, and its job', async () => {
    // (Runs after the GetSession test, which saw this session still running: node:test runs a suite's tests in order.)
    const { farmId, queueA, small, running, ended } = farm;
    const closed = { ...running, endedAt: '2025-03-01T12:00:00Z' };
    assert.deepEqual(await ingest(farmId, [closed, ended]), { received: 2, created: 0, updated: 1, unchanged: 1 });
    const session = await ft.client.send(new GetSessionCommand({ farmId, queueId: queueA, jobId: small.jobId, sessionId: running.sessionId }));
    assert.equal(session.lifecycleStatus, 'ENDED');
    assert.deepEqual(session.endedAt, new Date('2025-03-01T12:00:00Z'));
    const job = await ft.client.send(new GetJobCommand({ farmId, queueId: queueA, jobId: small.jobId }));
    assert.deepEqual(job.endedAt, new Date('2025-03-01T12:00:00Z'));
  });

  test('unknown or misplaced IDs: ResourceNotFoundException naming the first missing resource', async () => {
    const { farmId, queueA, queueB, small, other, ended } = farm;
    const [noFarm, noQueue, noJob, noSession] = [absentId('farm'), absentId('queue'), absentId('job'), absentId('session')];
    await rejectsNotFound(ft.client.send(new GetJobCommand({ farmId: noFarm, queueId: queueA, jobId: small.jobId })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new ListJobsCommand({ farmId, queueId: noQueue })), 'queue', noQueue);
    await rejectsNotFound(ft.client.send(new GetJobCommand({ farmId, queueId: noQueue, jobId: small.jobId })), 'queue', noQueue);
    await rejectsNotFound(ft.client.send(new GetJobCommand({ farmId, queueId: queueA, jobId: noJob })), 'job', noJob);
    // A job is found only in its own queue.
    await rejectsNotFound(ft.client.send(new GetJobCommand({ farmId, queueId: queueA, jobId: other.jobId })), 'job', other.jobId);
    await rejectsNotFound(ft.client.send(new ListSessionsCommand({ farmId, queueId: queueB, jobId: small.jobId })), 'job', small.jobId);
    await rejectsNotFound(ft.client.send(new GetSessionCommand({ farmId, queueId: queueA, jobId: noJob, sessionId: ended.sessionId })), 'job', noJob);
    await rejectsNotFound(ft.client.send(new GetSessionCommand({ farmId, queueId: queueA, jobId: small.jobId, sessionId: noSession })), 'session', noSession);
    await rejectsNotFound(
      ft.client.send(new GetSessionCommand({ farmId, queueId: queueA, jobId: farm.big.jobId, sessionId: ended.sessionId })),
      'session',
      ended.sessionId,
    );
  });

  test('a queue, fleet or farm with sessions is not deleted (ConflictException), and nothing of it goes', async () => {
    const { farmId, queueA, queueB, serviceFleet, customerFleet, big } = farm;
    await rejectsConflict(ft.client.send(new DeleteQueueCommand({ farmId, queueId: queueA })), 'RESOURCE_IN_USE', 'queue', queueA);
    await rejectsConflict(ft.client.send(new DeleteQueueCommand({ farmId, queueId: queueB })), 'RESOURCE_IN_USE', 'queue', queueB);
    await rejectsConflict(ft.client.send(new DeleteFleetCommand({ farmId, fleetId: serviceFleet })), 'RESOURCE_IN_USE', 'fleet', serviceFleet);
    await rejectsConflict(ft.client.send(new DeleteFleetCommand({ farmId, fleetId: customerFleet })), 'RESOURCE_IN_USE', 'fleet', customerFleet);
    await rejectsConflict(ft.client.send(new DeleteFarmCommand({ farmId })), 'RESOURCE_IN_USE', 'farm', farmId);

    assert.equal((await ft.client.send(new GetFarmCommand({ farmId }))).farmId, farmId);
    assert.equal((await ft.client.send(new GetQueueCommand({ farmId, queueId: queueA }))).queueId, queueA);
    assert.equal((await ft.client.send(new GetQueueCommand({ farmId, queueId: queueB }))).queueId, queueB);
    assert.equal((await ft.client.send(new GetFleetCommand({ farmId, fleetId: serviceFleet }))).fleetId, serviceFleet);
    assert.equal((await ft.client.send(new GetFleetCommand({ farmId, fleetId: customerFleet }))).fleetId, customerFleet);
    assert.equal((await ft.client.send(new GetJobCommand({ farmId, queueId: queueA, jobId: big.jobId }))).jobId, big.jobId);
    let sessions = 0;
    for await (const page of paginateListSessions({ client: ft.client }, { farmId, queueId: queueA, jobId: big.jobId })) sessions += page.sessions!.length;
    assert.equal(sessions, 250);

    // A queue and a fleet that no session names delete as usual in the same farm.
    const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'unused' }));
    const { fleetId } = await ft.client.send(new CreateFleetCommand(fleetInput(farmId, 'service')));
    await ft.client.send(new DeleteQueueCommand({ farmId, queueId }));
    await ft.client.send(new DeleteFleetCommand({ farmId, fleetId }));
    await rejectsNotFound(ft.client.send(new GetQueueCommand({ farmId, queueId })), 'queue', queueId!);
    await rejectsNotFound(ft.client.send(new GetFleetCommand({ farmId, fleetId })), 'fleet', fleetId!);
  });
});
