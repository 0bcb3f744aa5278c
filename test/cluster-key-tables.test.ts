// A cluster migrated before the key tables (session_keys_local, job_sessions_local):
// `farmtally migrate` makes them and the keys of the sessions already stored, and ingest
// then classifies records against those keys as against keys it wrote itself; a server
// opened on the old schema refuses, saying to migrate. Skipped, saying why, without
// FARMTALLY_TEST_CLICKHOUSE and FARMTALLY_TEST_POSTGRES (test/support/cluster.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpQuery } from '../src/store/clickhouse/http-query.js';
import { migrateCluster, openClusterStore } from '../src/store/cluster/index.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { ingest, parents, record } from './store-contract/fixtures.js';

const { urls, skip } = await clusterForTests();
let scratch: ScratchCluster | undefined;

before(async () => {
  if (skip) return;
  scratch = await scratchCluster(urls!);
  await migrateCluster(scratch);
});
after(async () => scratch?.drop());

test('sessions stored before the key tables: migrate makes their keys, and ingest finds them', { skip }, async () => {
  let store = await openClusterStore(scratch!);
  const p = await parents(store);
  const running = record(p, { endedAt: undefined });
  const ended = record(p, { licenseProducts: ['houdini', 'nuke'], instanceType: undefined });
  const other = record(p, { jobId: running.jobId, startedAt: running.startedAt - 3_600_000 });
  assert.deepEqual(await ingest(store, p.farmId, [running, ended, other]), { created: 3, updated: 0, unchanged: 0 });
  await store.close();

  // The schema as it was: no key tables.
  for (const url of scratch!.clickhouseUrls) {
    for (const table of ['session_keys_local', 'job_sessions_local']) await httpQuery(url, `DROP TABLE ${scratch!.clickhouseDatabase}.${table}`);
  }
  await assert.rejects(openClusterStore(scratch!), /farmtally migrate/);
  const done = await migrateCluster(scratch!);
  assert.ok(done.some((line) => /keys made for the stored sessions/.test(line)), done.join('\n'));

  store = await openClusterStore(scratch!);
  try {
    assert.deepEqual(await ingest(store, p.farmId, [running, ended, other]), { created: 0, updated: 0, unchanged: 3 }, 'the same records: unchanged');
    // Ending the running session ends its job, at the later end of its two sessions (a span worked out from the job's rows).
    const endedNow = { ...running, endedAt: running.startedAt + 7_200_000 };
    assert.deepEqual(await ingest(store, p.farmId, [endedNow, ended]), { created: 0, updated: 1, unchanged: 1 });
    const job = await store.getJob(p.farmId, p.queueId, running.jobId);
    assert.equal(job?.startedAt, other.startedAt);
    assert.equal(job?.endedAt, endedNow.endedAt);
  } finally {
    await store.close();
  }
});
