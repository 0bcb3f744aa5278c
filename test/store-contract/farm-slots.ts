// The contract's farm slots: one aggregation (or one farm-wide write) per farm at a time,
// taken atomically, held by a lease that its owner renews and that otherwise expires, and
// aggregations whose lease expired ended FAILED while live owners' are left alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../../src/domain/resources.js';
import type { Lease } from '../../src/store/aggregation-store.js';
import type { Store } from '../../src/store/store.js';
import { begin, CONTRACT_LEASE, farm, newAggregation, SHORT_LEASE } from './fixtures.js';

/** What the farm slot cases use of a store; an engine that keeps the cluster's shared state alone (store/postgres) runs them too. */
export type FarmSlotContractStore = Pick<
  Store,
  'createFarm' | 'startAggregation' | 'claimFarmSlot' | 'releaseFarmSlot' | 'renewLeases' | 'getAggregation' | 'failExpiredAggregations'
>;




async function newFarm(store: FarmSlotContractStore): Promise<string> {
  const f = farm();
  await store.createFarm(f);
  return f.farmId;
}

export function farmSlotContract(store: () => FarmSlotContractStore): void {
  describe('farm slots and leases', () => {
    test('a second Start on a busy farm is told which aggregation holds it, and leaves no record', async () => {
      const farmId = await newFarm(store());
      const first = newAggregation(farmId);
      await begin(store(), first);
      const second = newAggregation(farmId);
      assert.deepEqual(await store().startAggregation(second, CONTRACT_LEASE), { heldBy: first.aggregationId });
      assert.equal(await store().getAggregation(second.aggregationId), undefined);
      // Another farm is not held by it.
      await begin(store(), newAggregation(await newFarm(store())));
      await store().releaseFarmSlot(farmId, first.aggregationId);
      await begin(store(), second);
    });

    test('of concurrent Starts on one farm exactly one takes the slot', async () => {
      const farmId = await newFarm(store());
      const starts = Array.from({ length: 12 }, () => newAggregation(farmId));
      const claims = await Promise.all(starts.map((a) => store().startAggregation(a, CONTRACT_LEASE)));
      const won = starts.filter((_, i) => 'claimed' in claims[i]!);
      assert.equal(won.length, 1);
      for (const claim of claims) if ('heldBy' in claim) assert.equal(claim.heldBy, won[0]!.aggregationId);
      const records = await Promise.all(starts.map((a) => store().getAggregation(a.aggregationId)));
      assert.equal(records.filter(Boolean).length, 1);
    });

    test('a farm-wide write holds the slot in words; only its holder frees it', async () => {
      const farmId = await newFarm(store());
      assert.deepEqual(await store().claimFarmSlot(farmId, 'a user is being given a pseudonym', CONTRACT_LEASE), { claimed: true });
      assert.deepEqual(await store().startAggregation(newAggregation(farmId), CONTRACT_LEASE), { heldBy: 'a user is being given a pseudonym' });
      await store().releaseFarmSlot(farmId, 'someone else');
      assert.deepEqual(await store().claimFarmSlot(farmId, 'another write', CONTRACT_LEASE), { heldBy: 'a user is being given a pseudonym' });
      await store().releaseFarmSlot(farmId, 'a user is being given a pseudonym');
      await begin(store(), newAggregation(farmId));
    });

    test('a slot whose lease expired is taken over, and its aggregation ends FAILED', async () => {
      const farmId = await newFarm(store());
      const lost = newAggregation(farmId);
      await begin(store(), lost, SHORT_LEASE);
      await sleep(SHORT_LEASE.ttlMs + 30);
      const next = newAggregation(farmId);
      await begin(store(), next);
      assert.ok((await store().failExpiredAggregations('its server stopped')) >= 1);
      const [failed, running] = [await store().getAggregation(lost.aggregationId), await store().getAggregation(next.aggregationId)];
      assert.deepEqual([failed?.status, failed?.statusMessage], ['FAILED', 'its server stopped']);
      assert.equal(running?.status, 'IN_PROGRESS');
    });

    // A second-long lease: the renewals (a third of it apart) must land on a machine whose load is high.
    test('a renewed lease holds past its length; another owner that stopped renewing loses its own', async () => {
      const live: Lease = { owner: `renewing-${newId('')}`, ttlMs: 1_000 };
      const stopped: Lease = { owner: `stopped-${newId('')}`, ttlMs: 1_000 };
      const [farmA, farmB] = [await newFarm(store()), await newFarm(store())];
      const [a, b] = [newAggregation(farmA), newAggregation(farmB)];
      await begin(store(), a, live);
      await begin(store(), b, stopped);
      for (let i = 0; i < 6; i++) {
        await sleep(live.ttlMs / 3);
        await store().renewLeases(live.owner, live.ttlMs);
      }
      await store().failExpiredAggregations('its server stopped');
      assert.equal((await store().getAggregation(a.aggregationId))?.status, 'IN_PROGRESS');
      assert.equal((await store().getAggregation(b.aggregationId))?.status, 'FAILED');
      assert.deepEqual(await store().startAggregation(newAggregation(farmA), CONTRACT_LEASE), { heldBy: a.aggregationId });
      await begin(store(), newAggregation(farmB));
    });
  });
}
