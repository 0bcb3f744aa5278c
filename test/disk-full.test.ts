// A full disk, for real: the server's data folder on a small tmpfs. A write that cannot be
// made is refused with InternalServerErrorException saying to free disk space (507), never
// "retry"; a checkpoint that cannot write (DuckDB then invalidates the database) is
// detected, /health says so, the engine is reopened once space is back, and everything
// acknowledged before is still there, after a restart too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateFarmCommand, GetFarmCommand } from '@aws-sdk/client-deadline';
import { eventually } from './support/eventually.js';
import { http, readDataFile, startFarmtally } from './support/server.js';
import { farmWithParents, numberedRecord, postSessions, toCsv, toNdjson } from './support/session-records.js';
import { mountSmallDisk, type SmallDisk } from './support/small-disk.js';

const disk = mountSmallDisk(64);
const skip = typeof disk === 'string' ? disk : false;


const sessionsOf = (dataDir: string, farmId: string) =>
  readDataFile(dataDir, async (query) => Number(((await query(`SELECT count(*) AS n FROM sessions WHERE farm_id = '${farmId}'`))[0] as { n: unknown }).n));

describe('a full disk', { skip }, () => {
  const small = disk as SmallDisk;
  let run = 0;
  const dataDir = () => `${small.path}/data-${++run}`;
  before(() => small.makeRoom());
  after(() => small.unmount());

  test('an ingest body that cannot be spooled is refused with 507 "free disk space"; writes work again once there is room', async () => {
    const ft = await startFarmtally({ dataDir: dataDir() });
    try {
      const farm = await farmWithParents(ft.client, 'full disk');
      const first = await postSessions(ft.url, farm.farmId, toNdjson(Array.from({ length: 1000 }, (_, i) => numberedRecord(farm, i))));
      assert.equal(first.status, 200, first.text);

      small.fillLeaving(0);
      const refused = await postSessions(ft.url, farm.farmId, toNdjson(Array.from({ length: 5000 }, (_, i) => numberedRecord(farm, i, 1))));
      assert.equal(refused.status, 507, refused.text);
      assert.equal(refused.headers.get('x-amzn-errortype'), 'InternalServerErrorException');
      assert.match(refused.body.message, /disk is full.*Free disk space/);
      assert.equal(refused.headers.get('retry-after'), null, 'a full disk is not worth an automatic retry');
      assert.doesNotMatch(ft.output(), /internal error/);

      small.makeRoom();
      const again = await postSessions(ft.url, farm.farmId, toNdjson(Array.from({ length: 5000 }, (_, i) => numberedRecord(farm, i, 1))));
      assert.deepEqual(again.body, { received: 5000, created: 5000, updated: 0, unchanged: 0 });
      assert.equal(await ft.stop(false), 0);
      assert.equal(await sessionsOf(ft.dataDir, farm.farmId), 6000);
    } finally {
      small.makeRoom();
      await ft.stop(false);
    }
  });

  test('a checkpoint that cannot write is detected: 503 saying so, /health 503, the file reopened once there is room, nothing acknowledged lost', async () => {
    const ft = await startFarmtally({ dataDir: dataDir() });
    try {
      const farm = await farmWithParents(ft.client, 'checkpoint');
      // CSV streams without a spool, so the disk's last megabytes are left to the engine.
      const first = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 20_000 }, (_, i) => numberedRecord(farm, i))), 'text/csv');
      assert.equal(first.status, 200, first.text);

      // The next batch takes the WAL past DuckDB's checkpoint threshold, and the checkpoint
      // has a few MB where it needs about seven: DuckDB invalidates the database.
      small.fillLeaving(5 * 1024 * 1024);
      const second = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 40_000 }, (_, i) => numberedRecord(farm, i, 2))), 'text/csv');
      assert.equal(second.status, 503, second.text);
      assert.equal(second.headers.get('x-amzn-errortype'), 'InternalServerErrorException');
      assert.match(second.body.message, /fatal error.*No space left on device.*reopening.*free space/i);
      assert.match(ft.output(), /the storage engine failed: .*Reopening the data file/);

      // Until it has reopened with room to write, the engine is reported unhealthy, and
      // writes are refused rather than answered from the broken engine.
      const health = await http(ft.url, 'GET', '/health');
      assert.equal(health.status, 503, health.text);
      assert.equal(health.body.status, 'unavailable');

      small.makeRoom();
      await eventually('/health answers 200 once there is room', async () => (await http(ft.url, 'GET', '/health')).status === 200, 30_000);
      assert.match(ft.output(), /the storage engine was reopened; serving again/);
      const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'after the reopen' }));
      assert.equal((await ft.client.send(new GetFarmCommand({ farmId }))).displayName, 'after the reopen');
      const resent = await postSessions(ft.url, farm.farmId, toCsv(Array.from({ length: 40_000 }, (_, i) => numberedRecord(farm, i, 2))), 'text/csv');
      assert.equal(resent.status, 200, resent.text);
      assert.equal(resent.body.created + resent.body.unchanged, 40_000);

      assert.equal(await ft.stop(false), 0, ft.output());
      assert.equal(await sessionsOf(ft.dataDir, farm.farmId), 60_000);
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
