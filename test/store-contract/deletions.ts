// The contract's deletions: batch IDs, sessions deleted by batch, queue, start time and age,
// resources deleted with their sessions, a user given a pseudonym; jobs left empty go, the
// others keep their sessions' span; and the store goes on taking batches as if the deleted
// sessions had never been (each case runs with batches staged and from memory).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionRecord } from '../../src/domain/resources.js';
import type { BatchWritten, Store } from '../../src/store/store.js';
import { budget } from './budgets.js';
import { countsOf, parents, queue, record, stageAndCommitWritten, tick, type Parents } from './fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 1);

/** How a case writes one batch, answering its counts and batch ID. */
export type WriteWritten = (store: Store, farmId: string, records: readonly SessionRecord[], nowMs?: number) => Promise<BatchWritten>;
export const writtenFromMemory: WriteWritten = (store, farmId, records, nowMs = tick()) => store.writeSessions(farmId, records, nowMs);
export const writtenStaged: WriteWritten = stageAndCommitWritten;

const at = (p: Parents, hour: number, overrides: Partial<SessionRecord> = {}) => record(p, { startedAt: T0 + hour * HOUR, endedAt: T0 + hour * HOUR + HOUR, ...overrides });
const running = (p: Parents, hour: number, overrides: Partial<SessionRecord> = {}) => record(p, { startedAt: T0 + hour * HOUR, endedAt: undefined, ...overrides });

/** The farm's sessions still stored, by ID (through getSession, as the API reads them). */
async function present(store: Store, farmId: string, records: readonly SessionRecord[]): Promise<string[]> {
  const found: string[] = [];
  for (const r of records) if (await store.getSession(farmId, r.queueId, r.jobId, r.sessionId)) found.push(r.sessionId);
  return found;
}

const ids = (records: readonly SessionRecord[]) => records.map((r) => r.sessionId);

export function deletionContract(store: () => Store, write: WriteWritten, way: 'staged' | 'in memory'): void {
  describe(`deletions (batches ${way})`, () => {
    test('every batch gets a batch ID never given before; deleting by one takes what it created or changed, not what it found unchanged', async () => {
      const p = await parents(store());
      const first = [at(p, 0), at(p, 1), at(p, 2)];
      const a = await write(store(), p.farmId, first);
      const changed = { ...first[0]!, endedAt: T0 + 3 * HOUR };
      const b = await write(store(), p.farmId, [changed, first[1]!, at(p, 5)]);
      const c = await write(store(), p.farmId, [first[2]!]);
      assert.deepEqual(countsOf(c), { created: 0, updated: 0, unchanged: 1 });
      assert.ok(Number(a.batchId) < Number(b.batchId) && Number(b.batchId) < Number(c.batchId), `${a.batchId}, ${b.batchId}, ${c.batchId}`);

      assert.equal(await store().countSessions(p.farmId, { batchId: a.batchId }), 2);
      assert.equal(await store().countSessions(p.farmId, { batchId: c.batchId }), 0);
      assert.equal(await store().countSessions(p.farmId, { batchId: '999999999999' }), 0);
      assert.deepEqual(await store().deleteSessions(p.farmId, { batchId: b.batchId }), { sessions: 2, jobs: 2 });
      assert.deepEqual(await present(store(), p.farmId, [...first, changed]), ids(first.slice(1)));
      const again = await write(store(), p.farmId, [changed]);
      assert.deepEqual(countsOf(again), { created: 1, updated: 0, unchanged: 0 }, 'a deleted session is new when sent again');
      assert.ok(Number(again.batchId) > Number(c.batchId));
    });

    test('by queue and by start in [from, to): running sessions too; jobs left empty go, the others keep the span of what is left', async () => {
      const p = await parents(store());
      const q2 = queue(p.farmId);
      await store().createQueue(q2);
      const other = { ...p, queueId: q2.queueId };
      const jobId = at(p, 0).jobId;
      const kept = at(p, 0, { jobId });
      const records = [kept, at(p, 2, { jobId }), running(p, 4, { jobId }), at(other, 1), at(other, 3)];
      await write(store(), p.farmId, records);
      const range = { startedFrom: T0 + 2 * HOUR, startedBefore: T0 + 5 * HOUR };
      assert.equal(await store().countSessions(p.farmId, range), 3);
      assert.deepEqual(await store().deleteSessions(p.farmId, range), { sessions: 3, jobs: 1 });
      const job = await store().getJob(p.farmId, p.queueId, jobId);
      assert.deepEqual([job?.startedAt, job?.endedAt], [T0, T0 + HOUR], 'the job ends with the session it kept');
      assert.deepEqual(await store().deleteSessions(p.farmId, { queueId: q2.queueId }), { sessions: 1, jobs: 1 });
      assert.deepEqual(await present(store(), p.farmId, records), [kept.sessionId]);
      // The store takes the running session again, and its end: the job runs, then ends again.
      await write(store(), p.farmId, [records[2]!]);
      assert.equal((await store().getJob(p.farmId, p.queueId, jobId))?.endedAt, undefined);
      await write(store(), p.farmId, [{ ...records[2]!, endedAt: T0 + 6 * HOUR }]);
      assert.equal((await store().getJob(p.farmId, p.queueId, jobId))?.endedAt, T0 + 6 * HOUR);
    });

    test('by age: every farm\'s sessions that ended before the bound, never a running one', async () => {
      const [p, q] = [await parents(store()), await parents(store())];
      // Long before the other cases' sessions, which the bound must leave alone.
      const old = [at(p, -7000), at(q, -8000)];
      const young = [at(p, 10), running(p, -9000), at(q, 20)];
      await write(store(), p.farmId, [old[0]!, young[0]!, young[1]!]);
      await write(store(), q.farmId, [old[1]!, young[2]!]);
      assert.deepEqual(await store().deleteSessionsEndedBefore(T0 - 6000 * HOUR), { sessions: 2, jobs: 2 });
      assert.deepEqual(await present(store(), p.farmId, [old[0]!, young[0]!, young[1]!]), ids(young.slice(0, 2)));
      assert.deepEqual(await present(store(), q.farmId, [old[1]!, young[2]!]), ids(young.slice(2)));
    });

    test('a farm, queue or fleet deleted with its sessions; an unknown one is undefined', async () => {
      const p = await parents(store());
      const q2 = queue(p.farmId);
      await store().createQueue(q2);
      const other = { ...p, queueId: q2.queueId };
      const records = [at(p, 0), running(p, 1), at(other, 2)];
      await write(store(), p.farmId, records);
      assert.deepEqual(await store().deleteWithSessions({ kind: 'queue', farmId: p.farmId, id: p.queueId }), { sessions: 2, jobs: 2 });
      assert.equal(await store().getQueue(p.farmId, p.queueId), undefined);
      assert.deepEqual(await present(store(), p.farmId, records), ids(records.slice(2)));
      assert.deepEqual(await store().sessionParentIds(p.farmId), { queueIds: [q2.queueId], fleetIds: [p.fleetId] });
      assert.equal(await store().deleteWithSessions({ kind: 'queue', farmId: p.farmId, id: p.queueId }), undefined);
      assert.deepEqual(await store().deleteWithSessions({ kind: 'fleet', farmId: p.farmId, id: p.fleetId }), { sessions: 1, jobs: 1 });
      assert.deepEqual(await store().deleteWithSessions({ kind: 'farm', farmId: p.farmId }), { sessions: 0, jobs: 0 });
      assert.equal(await store().getFarm(p.farmId), undefined);
      assert.equal(await store().deleteWithSessions({ kind: 'farm', farmId: p.farmId }), undefined);
    });

    test('a user given a pseudonym: the farm\'s sessions, jobs and budgets on the user name it instead, other farms keep the ID', async () => {
      const [p, q] = [await parents(store()), await parents(store())];
      const { queueId: _, ...onUser } = budget(p.farmId, p.queueId, { userId: 'dora' });
      const { queueId: __, ...theirBudget } = budget(q.farmId, q.queueId, { userId: 'dora' });
      for (const b of [onUser, theirBudget]) assert.equal(await store().createBudget(b), 'created');
      const mine = [at(p, 0, { userId: 'dora' }), running(p, 1, { userId: 'dora' }), at(p, 2, { userId: 'eve' })];
      await write(store(), p.farmId, mine);
      const theirs = at(q, 0, { userId: 'dora' });
      await write(store(), q.farmId, [theirs]);
      assert.deepEqual(await store().forgetUser(p.farmId, 'dora', 'forgotten-dora'), { sessions: 2 });
      assert.equal((await store().getJob(p.farmId, p.queueId, mine[0]!.jobId))?.userId, 'forgotten-dora');
      assert.equal((await store().getJob(p.farmId, p.queueId, mine[2]!.jobId))?.userId, 'eve');
      assert.equal((await store().getJob(q.farmId, q.queueId, theirs.jobId))?.userId, 'dora');
      assert.equal((await store().getBudget(p.farmId, onUser.budgetId))?.userId, 'forgotten-dora');
      assert.equal((await store().getBudget(q.farmId, theirBudget.budgetId))?.userId, 'dora');
      assert.deepEqual(await store().forgetUser(p.farmId, 'dora', 'forgotten-dora'), { sessions: 0 });
      // The running session, re-sent under the pseudonym with its end, is an update of the stored one.
      const closed = { ...mine[1]!, userId: 'forgotten-dora', endedAt: T0 + 3 * HOUR };
      assert.deepEqual(countsOf(await write(store(), p.farmId, [closed, { ...mine[0]!, userId: 'forgotten-dora' }])), { created: 0, updated: 1, unchanged: 1 });
    });
  });
}
