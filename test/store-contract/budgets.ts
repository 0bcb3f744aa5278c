// The contract's budgets: read back as written, listed in creation order by keyset pages and
// filtered by the status a caller reads at a given instant, replaced and deleted, refused on
// a queue not in the farm, and deleted with their queue or farm. With a whole store: a
// budget's cost (budgetBasis) is the SUM an aggregation of the same queue and window answers
// (a user's: of the user's rows).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { budgetStatusAt, newId, type Budget, type SessionRecord } from '../../src/domain/resources.js';
import { sessionRecordOf } from '../../src/domain/session-record.js';
import { UTC_ZONE } from '../../src/domain/timezone.js';
import { aggregationQuery } from '../../src/operations/statistics/aggregation-query.js';
import type { SessionChange, SessionsChanged } from '../../src/store/budget-usage-store.js';
import type { Store } from '../../src/store/store.js';
import { generateFarm, referenceAggregate } from '../reference/aggregate-reference.js';
import { storeGeneratedFarm } from './aggregations.js';
import { begin, farm, fleet, parents, queue, record, tick } from './fixtures.js';
import type { ResourceContractStore } from './resources.js';

const DAY = 86_400_000;

export function budget(farmId: string, queueId: string, overrides: Partial<Budget> = {}): Budget {
  const startsAt = Date.UTC(2026, 0, 1);
  return {
    farmId, budgetId: newId('budget'), displayName: 'b', queueId, approximateDollarLimit: 100, actions: [],
    startsAt, endsAt: startsAt + 30 * DAY, status: 'ACTIVE', createdAt: tick(), createdBy: 'contract', ...overrides,
  };
}

const defined = <T extends object>(value: T | undefined) => value && Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

async function farmWithQueue(store: ResourceContractStore) {
  const f = farm();
  await store.createFarm(f);
  const q = queue(f.farmId);
  await store.createQueue(q);
  return { farmId: f.farmId, queueId: q.queueId };
}

export function budgetContract(store: () => ResourceContractStore): void {
  describe('budgets', () => {
    test('a budget reads back as written, every member; only in its farm', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const b = budget(farmId, queueId, {
        description: 'shots 10-40', tags: { show: 'x' },
        actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80, description: 'soft' }, { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }],
      });
      assert.equal(await store().createBudget(b), 'created');
      assert.deepEqual(defined(await store().getBudget(farmId, b.budgetId)), b);
      assert.equal(await store().getBudget(farm().farmId, b.budgetId), undefined);
    });

    test('a budget on a queue not in the farm is not created', async () => {
      const { farmId } = await farmWithQueue(store());
      const other = await farmWithQueue(store());
      const b = budget(farmId, other.queueId);
      assert.equal(await store().createBudget(b), 'no-queue');
      assert.equal(await store().getBudget(farmId, b.budgetId), undefined);
    });

    test('putBudget replaces the budget; deleteBudget deletes it once', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const b = budget(farmId, queueId);
      await store().createBudget(b);
      const changed: Budget = {
        ...b, displayName: 'renamed', description: 'd', approximateDollarLimit: 12.5, status: 'INACTIVE', startsAt: b.startsAt + DAY, endsAt: b.endsAt + DAY,
        actions: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 50 }], updatedAt: b.createdAt + 5, updatedBy: 'someone',
      };
      assert.equal(await store().putBudget(changed), true);
      assert.deepEqual(defined(await store().getBudget(farmId, b.budgetId)), changed);
      assert.equal(await store().deleteBudget(farmId, b.budgetId), 'deleted');
      assert.equal(await store().getBudget(farmId, b.budgetId), undefined);
      assert.equal(await store().deleteBudget(farmId, b.budgetId), 'not-found');
      assert.equal(await store().putBudget(changed), false, 'a deleted budget is not written again');
    });

    test('budgets list in creation order by keyset pages, filtered by the status read at nowMs', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const start = Date.UTC(2026, 0, 1);
      const now = start + 10 * DAY;
      const budgets = [
        budget(farmId, queueId, { displayName: 'running' }),
        budget(farmId, queueId, { displayName: 'set inactive', status: 'INACTIVE' }),
        budget(farmId, queueId, { displayName: 'ended', startsAt: start - 30 * DAY, endsAt: now }),
        budget(farmId, queueId, { displayName: 'not begun', startsAt: now + 1, endsAt: now + DAY }),
        budget(farmId, queueId, { displayName: 'begins now', startsAt: now, endsAt: now + DAY }),
      ];
      for (const b of budgets) await store().createBudget(b);
      const all: string[] = [];
      let after: string | undefined;
      do {
        const page = await store().listBudgets(farmId, { limit: 2, after }, { nowMs: now });
        assert.ok(page.items.length <= 2);
        all.push(...page.items.map((b) => b.displayName));
        after = page.nextAfter;
      } while (after !== undefined);
      assert.deepEqual(all, budgets.map((b) => b.displayName));
      for (const status of ['ACTIVE', 'INACTIVE'] as const) {
        const listed = (await store().listBudgets(farmId, { limit: 100 }, { status, nowMs: now })).items.map((b) => b.displayName);
        assert.deepEqual(listed, budgets.filter((b) => budgetStatusAt(b, now) === status).map((b) => b.displayName), status);
      }
      assert.deepEqual((await store().listBudgets(farmId, { limit: 100 }, { status: 'ACTIVE', nowMs: now })).items.map((b) => b.displayName), ['running', 'begins now']);
    });

    test('budgetsOfQueues: the budgets of the named queues of the farm, in creation order, whatever their status', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const second = queue(farmId);
      const third = queue(farmId);
      await store().createQueue(second);
      await store().createQueue(third);
      const a = budget(farmId, queueId, { displayName: 'a' });
      const b = budget(farmId, second.queueId, { displayName: 'b', status: 'INACTIVE' });
      const c = budget(farmId, queueId, { displayName: 'c', endsAt: Date.UTC(2026, 0, 2) });
      const d = budget(farmId, third.queueId, { displayName: 'd' });
      for (const x of [a, b, c, d]) assert.equal(await store().createBudget(x), 'created');
      const names = async (ids: string[]) => (await store().budgetsOfQueues(farmId, ids)).map((x) => x.displayName);
      assert.deepEqual(await names([queueId, second.queueId]), ['a', 'b', 'c']);
      assert.deepEqual(await names([third.queueId]), ['d']);
      assert.deepEqual(await names([]), []);
      assert.deepEqual(await store().budgetsOfQueues(farm().farmId, [queueId]), [], 'only in its farm');
      assert.deepEqual(defined((await store().budgetsOfQueues(farmId, [third.queueId]))[0]), d, 'every member');
    });

    test('deleting a queue deletes the budgets that track it; deleting the farm deletes the rest', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const other = queue(farmId);
      await store().createQueue(other);
      const onQueue = budget(farmId, queueId);
      const onOther = budget(farmId, other.queueId);
      await store().createBudget(onQueue);
      await store().createBudget(onOther);
      assert.equal(await store().deleteQueue(farmId, queueId), 'deleted');
      assert.equal(await store().getBudget(farmId, onQueue.budgetId), undefined);
      assert.ok(await store().getBudget(farmId, onOther.budgetId));
      assert.equal(await store().deleteFarm(farmId), 'deleted');
      assert.equal(await store().getBudget(farmId, onOther.budgetId), undefined);
      assert.deepEqual((await store().listBudgets(farmId, { limit: 10 }, { nowMs: Date.now() })).items, []);
    });

    test('budgets on a fleet, a user and the whole farm (extensions) read back as written; a fleet not in the farm is refused', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const fl = fleet(farmId);
      await store().createFleet(fl);
      const { queueId: _, ...noQueue } = budget(farmId, queueId);
      const onFleet: Budget = { ...noQueue, fleetId: fl.fleetId, recurring: 'QUARTERLY' };
      const onUser: Budget = { ...noQueue, budgetId: newId('budget'), userId: 'studio/ana lopez' };
      const onFarm: Budget = { ...noQueue, budgetId: newId('budget') };
      for (const b of [onFleet, onUser, onFarm]) assert.equal(await store().createBudget(b), 'created');
      for (const b of [onFleet, onUser, onFarm]) assert.deepEqual(defined(await store().getBudget(farmId, b.budgetId)), b);
      assert.deepEqual(await store().budgetsOfQueues(farmId, [queueId]), [], 'none is a queue\'s');
      const other = farm();
      await store().createFarm(other);
      const elsewhere = fleet(other.farmId);
      await store().createFleet(elsewhere);
      const refused = { ...noQueue, budgetId: newId('budget'), fleetId: elsewhere.fleetId };
      assert.equal(await store().createBudget(refused), 'no-fleet');
      assert.equal(await store().getBudget(farmId, refused.budgetId), undefined);
    });

    test('deleting a fleet deletes the budgets that track it; deleting the farm deletes its farm budgets', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const fl = fleet(farmId);
      await store().createFleet(fl);
      const { queueId: _, ...noQueue } = budget(farmId, queueId);
      const onFleet: Budget = { ...noQueue, fleetId: fl.fleetId };
      const onFarm: Budget = { ...noQueue, budgetId: newId('budget') };
      await store().createBudget(onFleet);
      await store().createBudget(onFarm);
      assert.equal(await store().deleteFleet(farmId, fl.fleetId), 'deleted');
      assert.equal(await store().getBudget(farmId, onFleet.budgetId), undefined);
      assert.ok(await store().getBudget(farmId, onFarm.budgetId));
      assert.equal(await store().deleteFarm(farmId), 'deleted');
      assert.equal(await store().getBudget(farmId, onFarm.budgetId), undefined);
    });
  });
}

/** Every session the farm holds now, as records. */
async function visibleSessions(store: Store, farmId: string): Promise<SessionRecord[]> {
  const out: SessionRecord[] = [];
  for (let after: string | undefined, first = true; first || after; first = false) {
    const page = await store.exportSessions(farmId, { limit: 1000, after });
    out.push(...page.items.map(sessionRecordOf));
    after = page.nextAfter;
  }
  return out;
}
/** A record as text, every field in one order: equal records, equal keys. */
const key = (s: SessionRecord) => JSON.stringify(Object.entries(s).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)));

/** `from` less each change's before plus each after is `to`, as multisets of records. */
function assertChangesBetween(from: readonly SessionRecord[], changes: readonly SessionChange[] | undefined, to: readonly SessionRecord[]): void {
  assert.ok(changes, 'the engine reads what changed');
  const counts = new Map<string, number>();
  const count = (s: SessionRecord, by: number) => counts.set(key(s), (counts.get(key(s)) ?? 0) + by);
  for (const s of from) count(s, 1);
  for (const c of changes) {
    if (c.before) count(c.before, -1);
    if (c.after) count(c.after, 1);
  }
  assert.deepEqual(new Map([...counts].filter(([, n]) => n !== 0)), new Map(to.map((s) => [key(s), 1])));
}

/** `listsChangesBetween`: the engine answers sessionChangesBetween (the cluster); else it answers undefined (DuckDB lists its changes as they commit). */
export function budgetUsageContract(store: () => Store, listsChangesBetween: boolean): void {
  describe('budget usage', () => {
    const generated = generateFarm(9202, { sessions: 150 });
    before(async () => storeGeneratedFarm(store(), generated));

    test("budgetBasis' cost is the cost SUM of the aggregation of the same queue and window, and the reference's", async () => {
      const queueId = generated.queues[0]!.queueId;
      const [startMs, endMs] = [generated.spanStartMs + 2 * DAY, generated.asOfMs];
      const query = aggregationQuery({
        farm: { farmId: generated.farmId, costScaleFactor: generated.costScaleFactor },
        resourceKind: 'queue', resourceIds: [queueId], startMs, endMs, zone: UTC_ZONE, groupBy: ['QUEUE_ID'], asOfMs: generated.asOfMs, rateCard: generated.rateCard,
      });
      const sum = (await store().budgetBasis(query, 60_000, { cost: true })).costUsd;
      const aggregationId = newId('');
      await begin(store(), { aggregationId, farmId: generated.farmId, groupBy: ['QUEUE_ID'], statistics: ['SUM'], createdAt: tick(), expiresAt: tick() + 3_600_000 });
      const outcome = await store().runAggregation(aggregationId, query, { maxRows: 1000, timeoutMs: 60_000 }).finally(() => store().releaseFarmSlot(generated.farmId, aggregationId));
      const aggregated = outcome.rows.reduce((s, r) => s + r.costUsd.sum, 0);
      const reference = referenceAggregate(generated.sessions, generated.rateCard, generated.costScaleFactor, {
        startMs, endMs, groupBy: ['QUEUE_ID'], statistics: ['SUM'], asOfMs: generated.asOfMs, queueIds: [queueId],
      }).rows.reduce((s, r) => s + r.costInUsd.sum!, 0);
      assert.ok(sum > 0, 'the queue has costed usage in the window');
      assert.ok(Math.abs(sum - aggregated) <= 1e-9 * Math.max(1, aggregated), `${sum} vs ${aggregated}`);
      assert.ok(Math.abs(sum - reference) <= 1e-9 * Math.max(1, reference), `${sum} vs reference ${reference}`);
    });

    test("budgetBasis read for a user: the cost of that user's rows of an aggregation by USER_ID over every queue, and that user's open sessions", async () => {
      const queueIds = generated.queues.map((q) => q.queueId);
      const userId = generated.sessions.find((s) => s.endedAt === undefined)!.userId;
      const [startMs, endMs] = [generated.spanStartMs + 2 * DAY, generated.asOfMs];
      const query = aggregationQuery({
        farm: { farmId: generated.farmId, costScaleFactor: generated.costScaleFactor },
        resourceKind: 'queue', resourceIds: queueIds, startMs, endMs, zone: UTC_ZONE, groupBy: ['USER_ID'], asOfMs: generated.asOfMs, rateCard: generated.rateCard,
      });
      const basis = await store().budgetBasis(query, 60_000, { cost: true, userId });
      const byUser = referenceAggregate(generated.sessions, generated.rateCard, generated.costScaleFactor, {
        startMs, endMs, groupBy: ['USER_ID'], statistics: ['SUM'], asOfMs: generated.asOfMs, queueIds,
      }).rows;
      const reference = byUser.filter((r) => r.userId === userId).reduce((s, r) => s + r.costInUsd.sum!, 0);
      const everyone = byUser.reduce((s, r) => s + r.costInUsd.sum!, 0);
      assert.ok(reference > 0 && reference < everyone, `the user has some of the cost, not all (${reference} of ${everyone})`);
      assert.ok(Math.abs(basis.costUsd - reference) <= 1e-9 * Math.max(1, reference), `${basis.costUsd} vs reference ${reference}`);
      const open = generated.sessions.filter((s) => s.userId === userId && (s.endedAt === undefined || s.endedAt > generated.asOfMs));
      assert.deepEqual(basis.open.map((s) => s.sessionId).sort(), open.map((s) => s.sessionId).sort());
    });

    test("budgetBasis reads the cost with the open sessions at one version; the version moves with each write", async () => {
      const queueId = generated.queues[0]!.queueId;
      const [startMs, endMs] = [generated.spanStartMs + 2 * DAY, generated.asOfMs];
      const query = aggregationQuery({
        farm: { farmId: generated.farmId, costScaleFactor: generated.costScaleFactor },
        resourceKind: 'queue', resourceIds: [queueId], startMs, endMs, zone: UTC_ZONE, groupBy: ['QUEUE_ID'], asOfMs: generated.asOfMs, rateCard: generated.rateCard,
      });
      const basis = await store().budgetBasis(query, 60_000, { cost: true });
      assert.equal(basis.version, await store().sessionsVersion());
      assert.ok(basis.costUsd > 0);
      const open = generated.sessions.filter((s) => s.queueId === queueId && (s.endedAt === undefined || s.endedAt > generated.asOfMs));
      assert.ok(open.length > 0, 'the generated queue has running sessions');
      assert.deepEqual(basis.open.map((s) => s.sessionId).sort(), open.map((s) => s.sessionId).sort());
      const running = basis.open.find((s) => s.endedAt === undefined)!;
      const { fleetKind: _kind, ...stored } = generated.sessions.find((s) => s.sessionId === running.sessionId)!;
      assert.deepEqual(defined(running), defined(stored), 'every field of an open session');
      assert.equal((await store().budgetBasis(query, 60_000, { cost: false })).costUsd, 0, 'no cost asked, none read');

      // A write moves the version (on every engine; DuckDB also tells its listeners what changed).
      const heard: SessionsChanged[] = [];
      const stop = store().onSessionsChanged((e) => heard.push(e));
      try {
        const before = await store().sessionsVersion();
        const closed = { ...running, endedAt: running.startedAt + 3_600_000 };
        await store().writeSessions(generated.farmId, [closed], tick());
        const after = await store().sessionsVersion();
        assert.notEqual(after, before);
        for (const e of heard) assert.ok(e.changes === undefined || Array.isArray(e.changes));
        // An engine that tells its listeners at all tells them this write's changes.
        const listed = heard.filter((e) => e.changes);
        assert.equal(listed.length, heard.length ? 1 : 0);
        if (listed.length) {
          assert.deepEqual([listed.at(-1)!.from, listed.at(-1)!.to], [before, after]);
          const change = listed.at(-1)!.changes!.find((c) => c.after?.sessionId === running.sessionId)!;
          assert.deepEqual([change.farmId, change.before?.endedAt, change.after?.endedAt], [generated.farmId, undefined, closed.endedAt]);
        }
      } finally {
        stop();
      }
    });

    test("sessionChangesBetween: the farm's sessions at `from`, less each change's before, plus each after, are its sessions at `to`", async () => {
      const p = await parents(store());
      const records = Array.from({ length: 6 }, (_, i) => record(p, { startedAt: Date.UTC(2025, 2, 1, i), endedAt: i === 0 ? undefined : Date.UTC(2025, 2, 1, i + 1) }));
      await store().writeSessions(p.farmId, records, tick());
      const from = await store().sessionsVersion();
      const atFrom = await visibleSessions(store(), p.farmId);
      // In two writes: one closed, one moved to another user, one new, one re-sent as it is; then one deleted.
      await store().writeSessions(p.farmId, [{ ...records[0]!, endedAt: Date.UTC(2025, 2, 2) }, { ...records[1]!, userId: 'ben' }, record(p), records[2]!], tick());
      await store().deleteSessions(p.farmId, { startedFrom: records[3]!.startedAt, startedBefore: records[3]!.startedAt + 1 });
      const to = await store().sessionsVersion();
      const atTo = await visibleSessions(store(), p.farmId);
      const changes = await store().sessionChangesBetween(p.farmId, from, to, 1000);
      if (!listsChangesBetween) return assert.equal(changes, undefined, 'an engine that says none says undefined');
      assertChangesBetween(atFrom, changes, atTo);
      assert.equal(await store().sessionChangesBetween(p.farmId, from, to, 2), undefined, 'past the limit: undefined');
      assert.deepEqual(await store().sessionChangesBetween(p.farmId, to, to, 10), [], 'nothing between a version and itself');
      // A user given a pseudonym: the old rows are deleted once the new ones are published, so the engine may no longer say (undefined), but never says wrong.
      await store().forgetUser(p.farmId, 'ben', 'forgotten-ben');
      const renamed = await store().sessionsVersion();
      const afterRename = await store().sessionChangesBetween(p.farmId, to, renamed, 1000);
      if (afterRename) assertChangesBetween(atTo, afterRename, await visibleSessions(store(), p.farmId));
    });

    test('setBudgetQueueStopped sets and clears queueStoppedAt; an update keeps it', async () => {
      const { farmId, queueId } = await farmWithQueue(store());
      const b = budget(farmId, queueId);
      await store().createBudget(b);
      await store().setBudgetQueueStopped(farmId, b.budgetId, 1_790_000_000_000);
      const stopped = (await store().getBudget(farmId, b.budgetId))!;
      assert.equal(stopped.queueStoppedAt, 1_790_000_000_000);
      assert.ok(await store().putBudget({ ...stopped, approximateDollarLimit: 5, updatedAt: tick(), updatedBy: 'contract' }));
      assert.equal((await store().getBudget(farmId, b.budgetId))!.queueStoppedAt, 1_790_000_000_000);
      await store().setBudgetQueueStopped(farmId, b.budgetId, undefined);
      assert.equal((await store().getBudget(farmId, b.budgetId))!.queueStoppedAt, undefined);
    });

    test('deleting a queue with its sessions deletes its budgets; the farm with its sessions, all of them', async () => {
      const f = farm();
      await store().createFarm(f);
      const [q1, q2] = [queue(f.farmId), queue(f.farmId)];
      await store().createQueue(q1);
      await store().createQueue(q2);
      const [b1, b2] = [budget(f.farmId, q1.queueId), budget(f.farmId, q2.queueId)];
      await store().createBudget(b1);
      await store().createBudget(b2);
      assert.ok(await store().deleteWithSessions({ kind: 'queue', farmId: f.farmId, id: q1.queueId }));
      assert.equal(await store().getBudget(f.farmId, b1.budgetId), undefined);
      assert.ok(await store().getBudget(f.farmId, b2.budgetId));
      assert.ok(await store().deleteWithSessions({ kind: 'farm', farmId: f.farmId }));
      assert.equal(await store().getBudget(f.farmId, b2.budgetId), undefined);
    });

    test('deleting a fleet with its sessions deletes its budgets; the farm with its sessions, its farm budgets', async () => {
      const f = farm();
      await store().createFarm(f);
      const [q, fl] = [queue(f.farmId), fleet(f.farmId)];
      await store().createQueue(q);
      await store().createFleet(fl);
      const { queueId: _, ...noQueue } = budget(f.farmId, q.queueId);
      const [onFleet, onFarm] = [{ ...noQueue, fleetId: fl.fleetId }, { ...noQueue, budgetId: newId('budget') }];
      await store().createBudget(onFleet);
      await store().createBudget(onFarm);
      assert.ok(await store().deleteWithSessions({ kind: 'fleet', farmId: f.farmId, id: fl.fleetId }));
      assert.equal(await store().getBudget(f.farmId, onFleet.budgetId), undefined);
      assert.ok(await store().getBudget(f.farmId, onFarm.budgetId));
      assert.ok(await store().deleteWithSessions({ kind: 'farm', farmId: f.farmId }));
      assert.equal(await store().getBudget(f.farmId, onFarm.budgetId), undefined);
    });
  });
}
