// The contract's resources: farms, queues, fleets and client tokens, read back as written,
// listed in creation order by keyset pages, deleted only when no session names them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClientTokenStore, ResourceStore, Store } from '../../src/store/store.js';
import { farm, fleet, ingest, parents, queue, record } from './fixtures.js';

/**
 * What the resource cases use of a store: its resources but sessions, client tokens, the
 * server secret, health, and staging (to give a queue and fleet a session). An engine that
 * keeps the cluster's shared state alone (store/postgres) runs them too.
 */
export type ResourceContractStore = Omit<ResourceStore, 'getSession' | 'listSessions' | 'listRunningSessions'> & ClientTokenStore & Pick<Store, 'serverSecret' | 'health' | 'stageSessions'>;


/** The members that hold a value: an engine may give an absent member as undefined or leave it out. */
const defined = <T extends object>(value: T | undefined) => value && Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

/** Every item of a list, page by page of `limit`, following nextAfter. */
async function everyPage<T>(list: (page: { limit: number; after?: string }) => Promise<{ items: T[]; nextAfter?: string }>, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | undefined;
  do {
    const page = await list({ limit, after });
    pages.push(page.items);
    after = page.nextAfter;
  } while (after !== undefined);
  return pages;
}

export function resourceContract(store: () => ResourceContractStore): void {
  describe('resources', () => {
    test('a farm reads back as written, every member; an unknown one is undefined', async () => {
      const f = farm({ description: 'd', kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/k', costScaleFactor: 0.75, tags: { team: 'fx' } });
      await store().createFarm(f);
      assert.deepEqual(defined(await store().getFarm(f.farmId)), f);
      assert.equal(await store().getFarm(farm().farmId), undefined);
    });

    test('putFarm replaces what it names; the next read sees it', async () => {
      const f = farm();
      await store().createFarm(f);
      await store().getFarm(f.farmId); // a read before the write must not be what the next read answers
      const changed = { ...f, displayName: 'renamed', costScaleFactor: 2, updatedAt: f.createdAt + 5, updatedBy: 'someone' };
      await store().putFarm(changed);
      assert.deepEqual(defined(await store().getFarm(f.farmId)), changed);
    });

    test('putQueue replaces its name, description, details and update, in its farm only; false when the queue is gone', async () => {
      const f = farm();
      await store().createFarm(f);
      const q = queue(f.farmId, { description: 'd', details: { defaultBudgetAction: 'NONE', requiredFileSystemLocationNames: ['A'] } });
      await store().createQueue(q);
      const changed = {
        ...q, displayName: 'renamed', description: undefined, updatedAt: q.createdAt + 5, updatedBy: 'someone',
        details: { defaultBudgetAction: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', requiredFileSystemLocationNames: [], roleArn: 'arn:aws:iam::123456789012:role/R' },
      };
      assert.equal(await store().putQueue(changed), true);
      assert.deepEqual(defined(await store().getQueue(f.farmId, q.queueId)), defined({ ...changed, status: 'IDLE' }));
      const other = farm();
      await store().createFarm(other);
      assert.equal(await store().putQueue({ ...changed, farmId: other.farmId, displayName: 'elsewhere' }), false);
      assert.equal((await store().getQueue(f.farmId, q.queueId))?.displayName, 'renamed');
      assert.equal(await store().deleteQueue(f.farmId, q.queueId), 'deleted');
      assert.equal(await store().putQueue(changed), false, 'a deleted queue is not written again');
      assert.equal(await store().getQueue(f.farmId, q.queueId), undefined);
    });

    test('farms list in creation order by keyset pages, and a page boundary stays put as farms are added', async () => {
      const mine = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const f = farm({ displayName: `page ${i}` });
        mine.add(f.farmId);
        await store().createFarm(f);
      }
      const first = await store().listFarms({ limit: 2 });
      await store().createFarm(farm());
      const pages = await everyPage((p) => store().listFarms(p), 2);
      const ids = pages.flat().map((f) => f.farmId).filter((id) => mine.has(id));
      assert.equal(ids.length, 5);
      const all = pages.flat();
      assert.deepEqual(all.map((f) => f.createdAt), [...all.map((f) => f.createdAt)].sort((a, b) => a - b));
      assert.ok(pages.slice(0, -1).every((p) => p.length === 2));
      const again = await store().listFarms({ limit: 2, after: first.nextAfter });
      assert.notDeepEqual(again.items.map((f) => f.farmId), first.items.map((f) => f.farmId));
    });

    test('queues and fleets read back with their status and filter in the store', async () => {
      const f = farm();
      await store().createFarm(f);
      const q = queue(f.farmId, { description: 'lighting', details: { defaultBudgetAction: 'NONE' } });
      await store().createQueue(q);
      assert.deepEqual(defined(await store().getQueue(f.farmId, q.queueId)), { ...q, status: 'IDLE' });
      assert.equal(await store().getQueue(farm().farmId, q.queueId), undefined, 'a queue is found only in its farm');
      const a = fleet(f.farmId, 'customerManaged', { displayName: 'A' });
      const b = fleet(f.farmId, 'serviceManagedEc2', { displayName: 'B' });
      await store().createFleet(a);
      await store().createFleet(b);
      assert.deepEqual(defined(await store().getFleet(f.farmId, b.fleetId)), { ...b, status: 'ACTIVE' });
      assert.deepEqual((await store().listFleets(f.farmId, { limit: 10 }, { displayName: 'B' })).items.map((x) => x.fleetId), [b.fleetId]);
      assert.deepEqual((await store().listFleets(f.farmId, { limit: 10 }, { status: 'SUSPENDED' })).items, []);
      assert.deepEqual((await store().listQueues(f.farmId, { limit: 10 }, { status: 'IDLE' })).items.map((x) => x.queueId), [q.queueId]);
      const pages = await everyPage((p) => store().listFleets(f.farmId, p), 1);
      assert.deepEqual(pages.flat().map((x) => x.fleetId), [a.fleetId, b.fleetId]);
    });

    test('deleting: not-found, has-sessions (nothing deleted), deleted (a farm takes its queues and fleets)', async () => {
      const used = await parents(store());
      await ingest(store(), used.farmId, [record(used)]);
      assert.equal(await store().deleteQueue(used.farmId, used.queueId), 'has-sessions');
      assert.equal(await store().deleteFleet(used.farmId, used.fleetId), 'has-sessions');
      assert.equal(await store().deleteFarm(used.farmId), 'has-sessions');
      assert.ok(await store().getQueue(used.farmId, used.queueId));

      const idle = await parents(store());
      assert.equal(await store().deleteQueue(idle.farmId, queue(idle.farmId).queueId), 'not-found');
      assert.equal(await store().deleteFarm(idle.farmId), 'deleted');
      assert.equal(await store().getFarm(idle.farmId), undefined);
      assert.equal(await store().getQueue(idle.farmId, idle.queueId), undefined);
      assert.equal(await store().getFleet(idle.farmId, idle.fleetId), undefined);
      assert.equal(await store().deleteFarm(idle.farmId), 'not-found');
    });

    test('a client token is remembered with its resource; remembering it again keeps the first', async () => {
      assert.equal(await store().findClientToken('CreateFarm', 'token-a'), undefined);
      await store().rememberClientToken('CreateFarm', 'token-a', 'farm-1', 'fp-1');
      await store().rememberClientToken('CreateFarm', 'token-a', 'farm-2', 'fp-2');
      assert.deepEqual(await store().findClientToken('CreateFarm', 'token-a'), { resourceId: 'farm-1', fingerprint: 'fp-1' });
      assert.equal(await store().findClientToken('CreateQueue:farm-x', 'token-a'), undefined, 'tokens are per scope');
    });

    test('the server secret is created once and stays; the store reports itself healthy', async () => {
      const secret = await store().serverSecret();
      assert.ok(secret.length >= 32);
      assert.deepEqual(await store().serverSecret(), secret);
      assert.deepEqual(await store().health(), { ok: true });
    });
  });
}
