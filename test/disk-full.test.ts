// A full disk, for real: the server's data folder on a small tmpfs. A write that cannot be
// made is refused with InternalServerErrorException saying to free disk space (507), never
// "retry"; a checkpoint that cannot write (the writer's own, after an acknowledged batch;
// DuckDB then invalidates the database) is
// detected, /health says so, the engine is reopened once space is back, and everything
// acknowledged before is still there, after a restart too. Meanwhile every answer is the
// full disk's own (507, free disk space), not a 503 that only says "reopening".
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateFarmCommand, GetFarmCommand } from '@aws-sdk/client-deadline';
import { eventually } from './support/eventually.js';
import { http, readDataFile, startFarmtally, type RawResponse } from './support/server.js';
import { answerCounts, farmWithParents, numberedRecord, postSessions, toCsv, toNdjson } from './support/session-records.js';
import { mountSmallDisk, type SmallDisk } from './support/small-disk.js';

const disk = mountSmallDisk(64);
const skip = typeof disk === 'string' ? disk : false;


const walBytes = (dataDir: string) => {
  try {
    return statSync(join(dataDir, 'farmtally.duckdb.wal')).size;
  } catch {
    return 0;
  }
};

const sessionsOf = (dataDir: string, farmId: string) =>
  readDataFile(dataDir, async (query) => Number(((await query(`SELECT count(*) AS n FROM sessions WHERE farm_id = '${farmId}'`))[0] as { n: unknown }).n));

describe('a full disk', { skip }, () => {
  const small = disk as SmallDisk;
  let run = 0;
  const dataDir = () => `${small.path}/data-${++run}`;
  before(() => small.makeRoom());
  after(() => small.unmount());

  test('a write that cannot be committed or a body that cannot be spooled is refused with 507 "free disk space", /health says so without writing; all works again once there is room', async () => {
    const ft = await startFarmtally({ dataDir: dataDir() });
    try {
      const farm = await farmWithParents(ft.client, 'full disk');
      const first = await postSessions(ft.url, farm.farmId, toNdjson(Array.from({ length: 1000 }, (_, i) => numberedRecord(farm, i))));
      assert.equal(first.status, 200, first.text);

      small.fillLeaving(0);
      // A write the engine cannot commit (a body under --group-commit-bytes is not spooled:
      // its records go to the WAL) is refused alike; /health then says the disk is full
      // without writing anything itself, and 200 once room is made, before any write has succeeded.
      const uncommitted = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 3000 }, (_, i) => numberedRecord(farm, i, 2))), 'text/csv');
      assert.equal(uncommitted.status, 507, uncommitted.text);
      assert.match(uncommitted.body.message, /^The server's disk is full.*Free disk space/);
      const full = await http(ft.url, 'GET', '/health');
      assert.equal(full.status, 503, full.text);
      assert.match(full.body.problem, /^The server's disk is full.*No space left on device.*Free disk space/);
      small.makeRoom();
      await eventually('/health answers 200 once there is room', async () => (await http(ft.url, 'GET', '/health')).status === 200, 5_000);

      // A body that cannot be spooled: the same answer.
      small.fillLeaving(0);
      const refused = await postSessions(ft.url, farm.farmId, toNdjson(Array.from({ length: 5000 }, (_, i) => numberedRecord(farm, i, 1))));
      assert.equal(refused.status, 507, refused.text);
      assert.equal(refused.headers.get('x-amzn-errortype'), 'InternalServerErrorException');
      assert.match(refused.body.message, /disk is full.*Free disk space/);
      assert.equal(refused.headers.get('retry-after'), null, 'a full disk is not worth an automatic retry');
      assert.doesNotMatch(ft.output(), /internal error/);

      small.makeRoom();
      const again = await postSessions(ft.url, farm.farmId, toNdjson(Array.from({ length: 5000 }, (_, i) => numberedRecord(farm, i, 1))));
      assert.deepEqual(answerCounts(again.body), { received: 5000, created: 5000, updated: 0, unchanged: 0 });
      assert.equal(await ft.stop(false), 0);
      assert.equal(await sessionsOf(ft.dataDir, farm.farmId), 6000);
    } finally {
      small.makeRoom();
      await ft.stop(false);
    }
  });

  test('a checkpoint that fails for want of disk is answered as a full disk: 507 "free disk space" while the file is reopened, not 503 "reopening"; /health says the disk is full meanwhile', async () => {
    // No public rate limit: /health is polled as fast as it answers, to catch the reopening.
    // Bodies up to 16 MiB are read into memory, not spooled: the disk's last megabytes are the engine's.
    const ft = await startFarmtally({ dataDir: dataDir(), args: ['--public-rate-limit', '0', '--group-commit-bytes', '16MiB'] });
    try {
      const farm = await farmWithParents(ft.client, 'checkpoint answers');
      const first = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 20_000 }, (_, i) => numberedRecord(farm, i))), 'text/csv');
      assert.equal(first.status, 200, first.text);
      await eventually('the idle writer checkpoints the first batch', async () => walBytes(ft.dataDir) < 1024 * 1024, 30_000);

      // As above: an acknowledged batch, then the idle writer's checkpoint fails on the full
      // disk and the file is reopened. Reads and /health are asked all the while: every
      // answer but 200 is the full disk's.
      small.fillLeaving(5 * 1024 * 1024);
      const refused: { route: string; answer: RawResponse }[] = [];
      let polling = true;
      const pollers = ['/health', '/2023-10-12/farms', '/health', `/2023-10-12/farms/${farm.farmId}/queues`].map(async (route) => {
        while (polling) {
          const answer = await http(ft.url, 'GET', route);
          if (answer.status !== 200) refused.push({ route, answer });
        }
      });
      const second = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 15_000 }, (_, i) => numberedRecord(farm, i, 2))), 'text/csv');
      assert.equal(second.status, 200, second.text);
      await eventually('the failed checkpoint is seen', async () => /the storage engine failed: .*No space left.*Reopening the data file/.test(ft.output()), 30_000);
      await eventually('the file is reopened', async () => /the storage engine was reopened; serving again/.test(ft.output()), 30_000);
      polling = false;
      await Promise.all(pollers);

      // The reopening takes a good part of a second: the pollers meet it (it used to answer 503 "reopening its data file").
      assert.ok(refused.some((r) => r.route === '/health'), '/health was never refused while the file was reopened');
      assert.ok(refused.some((r) => r.route !== '/health'), 'no read was refused while the file was reopened');
      for (const { route, answer } of refused) {
        if (route === '/health') {
          assert.equal(answer.status, 503, answer.text);
          assert.equal(answer.body.status, 'unavailable');
          assert.match(answer.body.problem, /^The server's disk is full.*Free disk space where the server keeps its data/, answer.text);
        } else {
          assert.equal(answer.status, 507, `${route}: ${answer.text}`);
          assert.equal(answer.headers.get('x-amzn-errortype'), 'InternalServerErrorException');
          assert.match(answer.body.message, /^The server's disk is full.*Free disk space where the server keeps its data/);
          assert.equal(answer.headers.get('retry-after'), null, 'a full disk is not worth an automatic retry');
        }
      }
      // Reopened on a disk still full: /health keeps saying so until room is made.
      const health = await http(ft.url, 'GET', '/health');
      assert.equal(health.status, 503, health.text);
      assert.match(health.body.problem, /^The server's disk is full.*No space left on device.*Free disk space/);
      assert.doesNotMatch(ft.output(), /reopening its data file|internal error/);

      small.makeRoom();
      await eventually('/health answers 200 once there is room', async () => (await http(ft.url, 'GET', '/health')).status === 200, 10_000);
      const resent = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 15_000 }, (_, i) => numberedRecord(farm, i, 2))), 'text/csv');
      assert.deepEqual(answerCounts(resent.body), { received: 15_000, created: 0, updated: 0, unchanged: 15_000 });
      assert.equal(await ft.stop(false), 0, ft.output());
      assert.equal(await sessionsOf(ft.dataDir, farm.farmId), 35_000);
    } finally {
      small.makeRoom();
      await ft.stop(false);
    }
  });

  test('a checkpoint that cannot write is detected and the file reopened; a write meanwhile is answered or refused whole, never lost; all is there once there is room', async () => {
    // Bodies up to 16 MiB are read into memory, not spooled: the disk's last megabytes are the engine's.
    const ft = await startFarmtally({ dataDir: dataDir(), args: ['--group-commit-bytes', '16MiB'] });
    try {
      const farm = await farmWithParents(ft.client, 'checkpoint');
      const first = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 20_000 }, (_, i) => numberedRecord(farm, i))), 'text/csv');
      assert.equal(first.status, 200, first.text);
      await eventually('the idle writer checkpoints the first batch', async () => walBytes(ft.dataDir) < 1024 * 1024, 30_000);

      // The next batch fits in the WAL, so it is acknowledged; the checkpoint the idle writer
      // then runs has a few MB where it needs more: DuckDB invalidates the database, and
      // farmtally reopens the file (replaying the WAL).
      small.fillLeaving(5 * 1024 * 1024);
      const second = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 15_000 }, (_, i) => numberedRecord(farm, i, 2))), 'text/csv');
      assert.equal(second.status, 200, second.text);
      await eventually('the failed checkpoint is seen', async () => /the storage engine failed: .*Reopening the data file/.test(ft.output()), 30_000);
      await eventually('the file is reopened', async () => /the storage engine was reopened; serving again/.test(ft.output()), 30_000);

      // With the disk still full, a write is stored or refused whole, saying why (507: free disk space).
      const meanwhile = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 20_000 }, (_, i) => numberedRecord(farm, i, 3))), 'text/csv');
      assert.ok([200, 507].includes(meanwhile.status), meanwhile.text);
      if (meanwhile.status !== 200) assert.match(meanwhile.body.message, /disk is full.*Free disk space/);
      assert.doesNotMatch(ft.output(), /internal error/);

      small.makeRoom();
      await eventually('/health answers 200 once there is room', async () => (await http(ft.url, 'GET', '/health')).status === 200, 30_000);
      const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'after the reopen' }));
      assert.equal((await ft.client.send(new GetFarmCommand({ farmId }))).displayName, 'after the reopen');
      // The acknowledged batch survived the failed checkpoint: sending it again changes nothing.
      const resent = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 15_000 }, (_, i) => numberedRecord(farm, i, 2))), 'text/csv');
      assert.equal(resent.status, 200, resent.text);
      assert.deepEqual(answerCounts(resent.body), { received: 15_000, created: 0, updated: 0, unchanged: 15_000 });

      assert.equal(await ft.stop(false), 0, ft.output());
      assert.equal(await sessionsOf(ft.dataDir, farm.farmId), 35_000 + (meanwhile.status === 200 ? 20_000 : 0));
      const restarted = await startFarmtally({ dataDir: ft.dataDir });
      try {
        assert.equal((await restarted.client.send(new GetFarmCommand({ farmId }))).displayName, 'after the reopen');
      } finally {
        assert.equal(await restarted.stop(false), 0);
      }
    } finally {
      small.makeRoom();
      await ft.stop(false);
    }
  });
});
