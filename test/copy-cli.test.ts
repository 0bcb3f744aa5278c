// `farmtally copy` as a user runs it: a DuckDB folder (a demo farm of 30 000 sessions, two
// batches' worth, and a farm with every optional field and no session) into a migrated
// cluster, then back into a second folder; all three hold the same farms, queues, fleets,
// budgets, jobs and sessions and aggregate to the same rows, and the source file is not changed.
// Run again, everything is kept and unchanged. And its refusals: an unmigrated cluster, a
// source a server is using, a target folder that is not empty. Skipped without a cluster,
// but for one folder into another (budgets carried), which needs none.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateBudgetCommand, CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, UpdateBudgetCommand, UpdateFarmCommand } from '@aws-sdk/client-deadline';
import { sendRecords } from '../src/client/send-records.js';
import { createDemoFarm } from '../src/demo/create-farm.js';
import { generateSessions } from '../src/demo/generate.js';
import { openClusterStore } from '../src/store/cluster/index.js';
import { openDuckDbStore } from '../src/store/duckdb/index.js';
import type { Store } from '../src/store/store.js';
import { farmtally } from './support/cli.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { assertSameRows } from './support/same-rows.js';
import { newDataDir, startFarmtally } from './support/server.js';
import { aggregateYear, dumpStore } from './support/store-dump.js';

const SESSIONS = 30_000;
const { urls, skip } = await clusterForTests();
const fileHash = (dir: string) => createHash('sha256').update(readFileSync(join(dir, 'farmtally.duckdb'))).digest('hex');

/** A source folder: the demo farm, and a farm with every optional field, its queue, a budget on it, and a fleet, and no session. */
async function sourceFolder(): Promise<{ dir: string; demoFarm: string; queueIds: string[] }> {
  const ft = await startFarmtally();
  const c = ft.client;
  const { farmId, ids } = await createDemoFarm(c);
  await sendRecords(ft.url, farmId, generateSessions(ids, { sessions: SESSIONS, seed: 7 }), { batchSize: 50_000 });
  const { farmId: full } = await c.send(new CreateFarmCommand({ displayName: 'Full', description: 'every field', kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/abc', tags: { team: 'fx' } }));
  await c.send(new UpdateFarmCommand({ farmId: full, costScaleFactor: 0.75 }));
  const { queueId: comp } = await c.send(new CreateQueueCommand({ farmId: full, displayName: 'Comp', description: 'comp queue', jobRunAsUser: { posix: { user: 'render', group: 'artists' }, runAs: 'QUEUE_CONFIGURED_USER' }, tags: { q: '1' } }));
  const { budgetId } = await c.send(new CreateBudgetCommand({
    farmId: full, displayName: 'Comp budget', description: 'q1', usageTrackingResource: { queueId: comp! }, approximateDollarLimit: 500, tags: { b: '1' },
    actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 90, description: 'slow' }],
    schedule: { fixed: { startTime: new Date('2025-01-01T00:00:00Z'), endTime: new Date('2026-01-01T00:00:00Z') } },
  }));
  await c.send(new UpdateBudgetCommand({ farmId: full, budgetId, status: 'INACTIVE' }));
  await c.send(new CreateFleetCommand({
    farmId: full, displayName: 'On prem', description: 'racks', roleArn: 'arn:aws:iam::123456789012:role/R', maxWorkerCount: 3,
    configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
  }));
  await ft.stop(false);
  return { dir: ft.dataDir, demoFarm: farmId, queueIds: [...ids.queueIds] };
}

const toCluster = (s: ScratchCluster) => ['--to-clickhouse-url', s.clickhouseUrls.join(','), '--to-clickhouse-database', s.clickhouseDatabase, '--to-state-url', s.stateUrl];
const fromCluster = (s: ScratchCluster) => ['--from-clickhouse-url', s.clickhouseUrls.join(','), '--from-clickhouse-database', s.clickhouseDatabase, '--from-state-url', s.stateUrl];

async function withStore<T>(open: () => Promise<Store>, read: (store: Store) => Promise<T>): Promise<T> {
  const store = await open();
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

test('farmtally copy from one folder into another carries budgets with every field', async () => {
  const ft = await startFarmtally();
  const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'budgets' }));
  const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  const { budgetId } = await ft.client.send(new CreateBudgetCommand({
    farmId, displayName: 'b', description: 'd', usageTrackingResource: { queueId: queueId! }, approximateDollarLimit: 12.5, tags: { t: '1' },
    actions: [{ type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 100 }],
    schedule: { fixed: { startTime: new Date('2025-01-01T00:00:00Z'), endTime: new Date('2026-01-01T00:00:00Z') } },
  }));
  await ft.stop(false);
  const target = join(newDataDir(), 'copy');
  const copied = await farmtally(['copy', '--from', ft.dataDir, '--to', target]);
  assert.equal(copied.code, 0, copied.stderr);
  assert.match(copied.stderr, new RegExp(`budget ${budgetId} \\(b\\): created`));
  const [source, copy] = [await withStore(() => openDuckDbStore({ dataDir: ft.dataDir }), dumpStore), await withStore(() => openDuckDbStore({ dataDir: target }), dumpStore)];
  assert.equal(source[0]!.budgets.length, 1);
  assert.deepEqual(copy, source);
});

describe('farmtally copy', { skip }, () => {
  let cluster: ScratchCluster;
  let source: Awaited<ReturnType<typeof sourceFolder>>;
  const back = join(newDataDir(), 'back');
  const scratches: ScratchCluster[] = [];

  before(async () => {
    cluster = await scratchCluster(urls!);
    scratches.push(cluster);
    const migrated = await farmtally(['migrate', '--clickhouse-url', cluster.clickhouseUrls.join(','), '--clickhouse-database', cluster.clickhouseDatabase, '--clickhouse-cluster', cluster.clickhouseCluster, '--state-url', cluster.stateUrl]);
    assert.equal(migrated.code, 0, migrated.stderr);
    source = await sourceFolder();
  });
  after(async () => {
    for (const s of scratches) await s.drop();
  });

  test('DuckDB to a cluster and back: the same farms, queues, fleets, jobs, sessions and aggregation rows in all three; the source untouched', async () => {
    const hash = fileHash(source.dir);
    const there = await farmtally(['copy', '--from', source.dir, ...toCluster(cluster)]);
    assert.equal(there.code, 0, there.stderr);
    assert.match(there.stdout, new RegExp(`${source.demoFarm} \\(Demo studio\\): ${SESSIONS} sessions copied: ${SESSIONS} created, 0 updated, 0 unchanged`));
    assert.match(there.stdout, /\(Full\): 0 sessions copied/);
    assert.match(there.stdout, /Done: for each farm the target holds as many sessions as the source \(2 farms\)/);
    assert.match(there.stderr, /queue queue-\w+ \(Comp\): created/);
    assert.equal(fileHash(source.dir), hash, 'the source file is only read');
    const home = await farmtally(['copy', ...fromCluster(cluster), '--to', back]);
    assert.equal(home.code, 0, home.stderr);
    assert.match(home.stdout, new RegExp(`${SESSIONS} sessions copied: ${SESSIONS} created`));

    const stores = [() => openDuckDbStore({ dataDir: source.dir }), () => openClusterStore(cluster), () => openDuckDbStore({ dataDir: back })];
    const dumps = [];
    const rows = [];
    for (const open of stores) {
      dumps.push(await withStore(open, dumpStore));
      rows.push(await withStore(open, (s) => aggregateYear(s, source.demoFarm, source.queueIds)));
    }
    assert.equal(dumps[0]!.find((f) => f.farm.farmId === source.demoFarm)!.sessions.length, SESSIONS);
    assert.deepEqual(dumps[1], dumps[0], 'the cluster holds what the folder held');
    assert.deepEqual(dumps[2], dumps[0], 'the folder copied back holds it too');
    assert.ok(rows[0]!.length > 100);
    assertSameRows(rows[1]!, rows[0]!, 'cluster against source');
    assertSameRows(rows[2]!, rows[0]!, 'copied back against source');
  });

  test('run again: every farm, queue and fleet exists and is kept, every session unchanged', async () => {
    for (const args of [['--from', source.dir, ...toCluster(cluster)], [...fromCluster(cluster), '--to', back]]) {
      const again = await farmtally(['copy', ...args]);
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /: created/);
      assert.match(again.stderr, /farm farm-\w+ \(Full\): exists, kept/);
      assert.match(again.stdout, new RegExp(`${SESSIONS} sessions copied: 0 created, 0 updated, ${SESSIONS} unchanged`));
    }
  });

  test('refused: a cluster not migrated, a source a server is using, a target folder that is not empty', async () => {
    const bare = await scratchCluster(urls!);
    scratches.push(bare);
    const unmigrated = await farmtally(['copy', '--from', source.dir, ...toCluster(bare)]);
    assert.equal(unmigrated.code, 1);
    assert.match(unmigrated.stderr, /cannot write to the target.*run farmtally migrate .*--to-clickhouse-url/is);

    const server = await startFarmtally({ dataDir: source.dir });
    try {
      const locked = await farmtally(['copy', '--from', source.dir, ...toCluster(cluster)]);
      assert.equal(locked.code, 1);
      assert.match(locked.stderr, new RegExp(`a farmtally server is using ${source.dir}.*Stop it first`, 's'));
    } finally {
      await server.stop(false);
    }

    const cluttered = newDataDir();
    writeFileSync(join(cluttered, 'notes.txt'), 'mine');
    const notEmpty = await farmtally(['copy', '--from', source.dir, '--to', cluttered]);
    assert.equal(notEmpty.code, 1);
    assert.match(notEmpty.stderr, /is not empty \(it holds notes\.txt\)/);

    const other = await startFarmtally();
    await other.client.send(new CreateFarmCommand({ displayName: 'Someone else' }));
    await other.stop(false);
    const otherFarms = await farmtally(['copy', ...fromCluster(cluster), '--to', other.dataDir]);
    assert.equal(otherFarms.code, 1);
    assert.match(otherFarms.stderr, /is not empty: it holds farms the source does not \(farm-\w+\)/);

    const nowhere = await farmtally(['copy', '--to', cluttered]);
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.stderr, /say where to copy from/);
  });
});
