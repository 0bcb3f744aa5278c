// The contract's ingest: a batch staged and committed whole or not at all, keyed by farm and
// sessionId (the last record of a session in a batch wins), unchanged records left alone,
// jobs kept spanning their sessions, and nothing written by a discarded or failed batch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MissingParentsError, type SessionRecordRules, type Store } from '../../src/store/store.js';
import { memberRules } from '../../src/operations/validation/member-rules.js';
import { SessionRecordShape } from '../../src/operations/sessions/session-record-shape.js';
import { countsOf, ingest as stageAndCommit, parents, queue, record, tick } from './fixtures.js';
import type { SessionRecord } from '../../src/domain/resources.js';
import type { IngestCounts } from '../../src/store/store.js';

const HOUR = 3_600_000;

/** How a contract case writes one batch: staged then committed, or from memory (writeSessions, group commit). */
export type WriteBatch = (store: Store, farmId: string, records: readonly SessionRecord[], nowMs?: number) => Promise<Omit<IngestCounts, 'received'>>;

export const writeFromMemory: WriteBatch = async (store, farmId, records, nowMs = tick()) => countsOf(await store.writeSessions(farmId, records, nowMs));

/**
 * The contract's ingest cases, each batch written by `ingest`: the store's two ways in
 * (staged, from memory) must mean the same. Cases about staging itself run with `staged`.
 */
export function ingestContract(store: () => Store, ingest: WriteBatch, way: 'staged' | 'in memory'): void {
  const staged = way === 'staged' ? test : test.skip;
  const inMemory = way === 'in memory' ? test : test.skip;
  describe(`ingest (${way})`, () => {
    test('a session reads back as ingested; the parents a record may name are the farm own', async () => {
      const p = await parents(store());
      const r = record(p, { licenseProducts: ['maya', 'nuke'], instanceType: undefined });
      assert.deepEqual(await ingest(store(), p.farmId, [r]), { created: 1, updated: 0, unchanged: 0 });
      const got = await store().getSession(p.farmId, p.queueId, r.jobId, r.sessionId);
      assert.deepEqual({ ...got, updatedAt: undefined }, { ...r, farmId: p.farmId, instanceType: undefined, updatedAt: undefined });
      assert.deepEqual(await store().sessionParentIds(p.farmId), { queueIds: [p.queueId], fleetIds: [p.fleetId] });
    });

    test('sending again is unchanged, a changed record is updated, and the counts say which', async () => {
      const p = await parents(store());
      const records = [record(p), record(p), record(p)];
      assert.deepEqual(await ingest(store(), p.farmId, records), { created: 3, updated: 0, unchanged: 0 });
      assert.deepEqual(await ingest(store(), p.farmId, records), { created: 0, updated: 0, unchanged: 3 });
      const changed = { ...records[1]!, userId: 'bob' };
      assert.deepEqual(await ingest(store(), p.farmId, [records[0]!, changed, record(p)]), { created: 1, updated: 1, unchanged: 1 });
      assert.equal((await store().getSession(p.farmId, p.queueId, changed.jobId, changed.sessionId))!.userId, 'bob');
    });

    staged('running sessions a staged batch creates or changes are known to the batches after it, from memory', async () => {
      const p = await parents(store());
      const a = record(p, { endedAt: undefined });
      const b = record(p, { endedAt: undefined });
      assert.deepEqual(await ingest(store(), p.farmId, [a, b]), { created: 2, updated: 0, unchanged: 0 });
      // A changed while still running, B sent again as it is; then each again from memory: nothing changes.
      const movedA = { ...a, workerId: 'worker-0000000000000000000000000000000a' };
      assert.deepEqual(await ingest(store(), p.farmId, [movedA, b]), { created: 0, updated: 1, unchanged: 1 });
      assert.deepEqual(await writeFromMemory(store(), p.farmId, [movedA, b]), { created: 0, updated: 0, unchanged: 2 });
      // Closed from memory: both updated, and their job ends with them.
      const closed = [movedA, b].map((r) => ({ ...r, endedAt: r.startedAt + HOUR }));
      assert.deepEqual(await writeFromMemory(store(), p.farmId, closed), { created: 0, updated: 2, unchanged: 0 });
      assert.equal((await store().getSession(p.farmId, p.queueId, a.jobId, a.sessionId))!.workerId, movedA.workerId);
      const job = await store().getJob(p.farmId, p.queueId, a.jobId);
      assert.equal(job!.endedAt, a.startedAt + HOUR);
    });

    test('the last record of a session in one batch wins, counted once', async () => {
      const p = await parents(store());
      const first = record(p, { jobName: 'first' });
      const last = { ...first, jobName: 'last', endedAt: first.startedAt + 2 * HOUR };
      assert.deepEqual(await ingest(store(), p.farmId, [first, last]), { created: 1, updated: 0, unchanged: 0 });
      const got = await store().getSession(p.farmId, p.queueId, first.jobId, first.sessionId);
      assert.equal(got!.jobName, 'last');
      assert.equal(got!.endedAt, last.endedAt);
    });

    test('sessions are keyed by farm: the same sessionId in two farms is two sessions', async () => {
      const [a, b] = [await parents(store()), await parents(store())];
      const r = record(a);
      await ingest(store(), a.farmId, [r]);
      assert.deepEqual(await ingest(store(), b.farmId, [{ ...r, queueId: b.queueId, fleetId: b.fleetId }]), { created: 1, updated: 0, unchanged: 0 });
    });

    staged('a discarded batch writes nothing', async () => {
      const p = await parents(store());
      const staged = await store().stageSessions(p.farmId);
      await staged.append([record(p), record(p)]);
      await staged.discard();
      assert.deepEqual((await store().listJobs(p.farmId, p.queueId, { limit: 10 })).items, []);
    });

    staged('one append may carry hundreds of thousands of records (a caller with a whole batch in hand)', async () => {
      const p = await parents(store());
      const staged = await store().stageSessions(p.farmId);
      const template = record(p);
      await staged.append(Array.from({ length: 200_000 }, (_, i) => ({ ...template, sessionId: `session-${i.toString(16).padStart(32, '0')}` })));
      await staged.discard();
      assert.deepEqual((await store().listJobs(p.farmId, p.queueId, { limit: 10 })).items, []);
    });

    staged('a batch whose queue was deleted while it was staged fails whole with MissingParentsError', async () => {
      const p = await parents(store());
      const spare = queue(p.farmId);
      await store().createQueue(spare);
      const kept = record(p);
      const gone = record({ ...p, queueId: spare.queueId });
      const staged = await store().stageSessions(p.farmId);
      await staged.append([kept, gone]);
      assert.equal(await store().deleteQueue(p.farmId, spare.queueId), 'deleted');
      await assert.rejects(staged.commit(tick()), (err: unknown) => err instanceof MissingParentsError && err.queueIds.includes(spare.queueId));
      assert.equal(await store().getSession(p.farmId, p.queueId, kept.jobId, kept.sessionId), undefined, 'nothing of the batch was written');
    });

    test('a job spans its sessions: open while one runs, closed when it ends, recomputed when a session leaves', async () => {
      const p = await parents(store());
      const jobId = record(p).jobId;
      const t0 = Date.UTC(2025, 5, 1);
      const a = record(p, { jobId, jobName: 'A', startedAt: t0, endedAt: t0 + HOUR });
      const b = record(p, { jobId, jobName: 'B', userId: 'bob', startedAt: t0 + 2 * HOUR, endedAt: undefined });
      await ingest(store(), p.farmId, [a, b]);
      let job = await store().getJob(p.farmId, p.queueId, jobId);
      assert.deepEqual([job!.name, job!.userId, job!.startedAt, job!.endedAt], ['B', 'bob', t0, undefined]);
      await ingest(store(), p.farmId, [{ ...b, endedAt: t0 + 5 * HOUR }]);
      job = await store().getJob(p.farmId, p.queueId, jobId);
      assert.equal(job!.endedAt, t0 + 5 * HOUR);
      // b moves to another job: the first is recomputed from a alone, the other made.
      const other = record(p).jobId;
      await ingest(store(), p.farmId, [{ ...b, jobId: other, endedAt: t0 + 5 * HOUR }]);
      job = await store().getJob(p.farmId, p.queueId, jobId);
      assert.deepEqual([job!.startedAt, job!.endedAt], [t0, t0 + HOUR]);
      assert.ok(await store().getJob(p.farmId, p.queueId, other));
      // a moves too: the first job has no session left and is gone.
      await ingest(store(), p.farmId, [{ ...a, jobId: other }]);
      assert.equal(await store().getJob(p.farmId, p.queueId, jobId), undefined);
    });

    test('sessions list by start time, in pages', async () => {
      const p = await parents(store());
      const jobId = record(p).jobId;
      const t0 = Date.UTC(2025, 6, 1);
      const records = [3, 1, 2, 0].map((i) => record(p, { jobId, startedAt: t0 + i * HOUR, endedAt: t0 + i * HOUR + 60_000 }));
      await ingest(store(), p.farmId, records);
      const first = await store().listSessions(p.farmId, p.queueId, jobId, { limit: 3 });
      const rest = await store().listSessions(p.farmId, p.queueId, jobId, { limit: 3, after: first.nextAfter });
      assert.deepEqual([...first.items, ...rest.items].map((s) => s.startedAt), [0, 1, 2, 3].map((i) => t0 + i * HOUR));
      assert.equal(rest.nextAfter, undefined);
    });

    staged('a bulk load, where the engine has one, stages what record-by-record staging would, and nothing when it cannot vouch', async (t) => {
      const p = await parents(store());
      const probe = await store().stageSessions(p.farmId);
      const bulk = probe.loadNdjson;
      await probe.discard();
      if (!bulk) return t.skip('this engine has no bulk load');
      const rules: SessionRecordRules = {
        members: memberRules(SessionRecordShape.members, ['licenseProducts'])!,
        notBefore: [['endedAt', 'startedAt']],
        oneOf: { queueId: [p.queueId], fleetId: [p.fleetId] },
        timeRange: { from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) },
        maxLineBytes: 64 * 1024,
      };
      const records = [record(p, { licenseProducts: ['nuke', 'maya', 'nuke'] }), record(p, { endedAt: undefined, instanceType: undefined })];
      const json = (r: (typeof records)[number]) => JSON.stringify({ ...r, startedAt: new Date(r.startedAt).toISOString(), endedAt: r.endedAt === undefined ? undefined : new Date(r.endedAt).toISOString() });
      // The body as it arrives: in pieces that cut a record in two.
      const body = Buffer.from(`${records.map(json).join('\n')}\n`);
      const received = await store().receiveBody([body.subarray(0, 50), body.subarray(50)]);
      assert.equal(received.bytes, body.length);
      const staged = await store().stageSessions(p.farmId);
      assert.deepEqual(await staged.loadNdjson!(received, rules), { staged: 2 });
      assert.deepEqual(countsOf(await staged.commit(tick())), { created: 2, updated: 0, unchanged: 0 });
      await received.release();
      // Stored exactly as the record-by-record path stores them: sending those is unchanged.
      assert.deepEqual(await stageAndCommit(store(), p.farmId, records.map((r) => ({ ...r, licenseProducts: r.licenseProducts && ['maya', 'nuke'] }))), { created: 0, updated: 0, unchanged: 2 });
      assert.deepEqual(await writeFromMemory(store(), p.farmId, records.map((r) => ({ ...r, licenseProducts: r.licenseProducts && ['maya', 'nuke'] }))), { created: 0, updated: 0, unchanged: 2 });

      // Refused: nothing staged, and the received body still whole for the careful reading.
      const unknownQueue = Buffer.from(`${json(record(p))}\n${json(record(p, { queueId: queue(p.farmId).queueId }))}\n`);
      const refusedBody = await store().receiveBody([unknownQueue]);
      const refused = await store().stageSessions(p.farmId);
      const answer = await refused.loadNdjson!(refusedBody, rules);
      assert.ok('careful' in answer, JSON.stringify(answer));
      assert.deepEqual(await bytesOf(refusedBody.chunks()), unknownQueue);
      assert.deepEqual(await bytesOf(refusedBody.chunks()), unknownQueue, 'as often as asked');
      await refused.discard();
      await refusedBody.release();
    });

    test('a body received is given back byte for byte; one that breaks off throws its own error', async () => {
      const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => `{"line":${i}}`).join('\n'));
      const pieces = Array.from({ length: 7 }, (_, i) => body.subarray(Math.floor((i * body.length) / 7), Math.floor(((i + 1) * body.length) / 7)));
      const received = await store().receiveBody((async function* () { yield* pieces; })());
      assert.equal(received.bytes, body.length);
      assert.deepEqual(await bytesOf(received.chunks()), body);
      await received.release();
      const broken = new Error('the body broke off');
      await assert.rejects(
        store().receiveBody(
          (async function* () {
            yield body.subarray(0, 50);
            throw broken;
          })(),
        ),
        (err) => err === broken,
      );
    });

    inMemory('batches written at once are each counted in arrival order, the same session in two of them too', async () => {
      const p = await parents(store());
      const a = record(p, { endedAt: undefined });
      const closed = { ...a, endedAt: a.startedAt + HOUR };
      const b = record(p);
      const answers = await Promise.all([
        ingest(store(), p.farmId, [a]),
        ingest(store(), p.farmId, [closed, b]),
        ingest(store(), p.farmId, [closed]),
        ingest(store(), p.farmId, [a]),
      ]);
      assert.deepEqual(answers, [
        { created: 1, updated: 0, unchanged: 0 },
        { created: 1, updated: 1, unchanged: 0 },
        { created: 0, updated: 0, unchanged: 1 },
        { created: 0, updated: 1, unchanged: 0 },
      ]);
      const got = await store().getSession(p.farmId, p.queueId, a.jobId, a.sessionId);
      assert.equal(got!.endedAt, undefined, 'the last batch reopened it');
      assert.equal((await store().getJob(p.farmId, p.queueId, a.jobId))!.endedAt, undefined);
    });

    inMemory('in a group, a batch naming a deleted queue is refused alone; the others land', async () => {
      const p = await parents(store());
      const spare = queue(p.farmId);
      await store().createQueue(spare);
      await store().deleteQueue(p.farmId, spare.queueId);
      const kept = [record(p), record(p)];
      const gone = record({ ...p, queueId: spare.queueId });
      const answers = await Promise.allSettled([
        ingest(store(), p.farmId, [kept[0]!]),
        ingest(store(), p.farmId, [kept[1]!, gone]),
        ingest(store(), p.farmId, [kept[1]!]),
      ]);
      assert.deepEqual(answers[0], { status: 'fulfilled', value: { created: 1, updated: 0, unchanged: 0 } });
      assert.ok(answers[1]!.status === 'rejected' && answers[1].reason instanceof MissingParentsError && answers[1].reason.queueIds.includes(spare.queueId));
      assert.deepEqual(answers[2], { status: 'fulfilled', value: { created: 1, updated: 0, unchanged: 0 } }, 'the refused batch wrote nothing');
      assert.equal(await store().getSession(p.farmId, spare.queueId, gone.jobId, gone.sessionId), undefined);
    });

    test('the running sessions of queues or fleets: no endedAt, earliest started first, as many as asked, truncated past that', async () => {
      const p = await parents(store());
      const q2 = queue(p.farmId);
      await store().createQueue(q2);
      const T = Date.UTC(2025, 2, 1, 10);
      const r1 = record(p, { endedAt: undefined, startedAt: T + 2 * HOUR, licenseProducts: ['maya', 'nuke'] });
      const r2 = record(p, { endedAt: undefined, startedAt: T, instanceType: undefined, jobName: 'shot_020', userId: 'bo' });
      const r3 = record({ ...p, queueId: q2.queueId }, { endedAt: undefined, startedAt: T + HOUR });
      const ended = record(p, { startedAt: T - HOUR, endedAt: T + HOUR });
      assert.deepEqual(await ingest(store(), p.farmId, [r1, r2, r3, ended]), { created: 4, updated: 0, unchanged: 0 });
      const shape = (r: SessionRecord) => ({ ...r, farmId: p.farmId, licenseProducts: r.licenseProducts, instanceType: r.instanceType, updatedAt: undefined });
      const got = await store().listRunningSessions(p.farmId, 'queue', [p.queueId], 10);
      assert.equal(got.truncated, false);
      assert.deepEqual(got.sessions.map((s) => ({ ...s, updatedAt: undefined })), [shape(r2), shape(r1)]);
      const both = await store().listRunningSessions(p.farmId, 'queue', [p.queueId, q2.queueId], 2);
      assert.deepEqual({ ids: both.sessions.map((s) => s.sessionId), truncated: both.truncated }, { ids: [r2.sessionId, r3.sessionId], truncated: true });
      const byFleet = await store().listRunningSessions(p.farmId, 'fleet', [p.fleetId], 3);
      assert.deepEqual({ ids: byFleet.sessions.map((s) => s.sessionId), truncated: byFleet.truncated }, { ids: [r2.sessionId, r3.sessionId, r1.sessionId], truncated: false });
      // Ended since: no longer running.
      await ingest(store(), p.farmId, [{ ...r2, endedAt: T + 3 * HOUR }]);
      assert.deepEqual((await store().listRunningSessions(p.farmId, 'queue', [p.queueId], 10)).sessions.map((s) => s.sessionId), [r1.sessionId]);
      assert.deepEqual(await store().listRunningSessions(p.farmId, 'fleet', ['fleet-00000000000000000000000000000000'], 10), { sessions: [], truncated: false });
    });
  });
}

async function bytesOf(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const read: Buffer[] = [];
  for await (const chunk of chunks) read.push(Buffer.from(chunk));
  return Buffer.concat(read);
}
