// The store contract on the cluster engine: two ClickHouse shards and PostgreSQL (from
// scripts/cluster.sh; skipped with the reason where there are none), a fresh database on
// each for this run. Then what only a shared store must do: two store instances on one
// cluster, as two API servers have them, agree on each farm's one aggregation, on leases,
// and on what ingest committed.
import { after, before } from 'node:test';
import { migrateCluster, openClusterStore } from '../../src/store/cluster/index.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from '../support/cluster.js';
import { storeContract } from './contract.js';

const { urls, skip } = await clusterForTests();
let scratch: ScratchCluster | undefined;

if (skip) {
  const { test } = await import('node:test');
  test('store contract: cluster', { skip }, () => undefined);
} else {
  before(async () => {
    scratch = await scratchCluster(urls!);
    await migrateCluster(scratch);
  });
  after(async () => scratch?.drop());
  storeContract({
    name: 'cluster (ClickHouse + PostgreSQL)',
    open: () => openClusterStore(scratch!),
    listsChangesBetween: true,
  });
}
