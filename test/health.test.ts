// GET /health needs no credentials, so it must cost the server next to nothing: it answers
// from what the store already knows and a read at most once a second, and never writes (it
// used to write a row per call: a flood took the writer from everyone and grew the WAL).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, GetFarmCommand } from '@aws-sdk/client-deadline';
import { readDataFile, readResponse, startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;

before(async () => {
  ft = await startFarmtally();
});
after(() => ft.stop());

const walOf = (dataDir: string) => {
  const wal = statSync(join(dataDir, 'farmtally.duckdb.wal'));
  return { size: wal.size, mtimeMs: wal.mtimeMs };
};

/** `loops` clients asking /health as fast as it answers, `each` times: the statuses seen. */
async function hammer(url: string, loops: number, each: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: loops }, async () => {
      for (let i = 0; i < each; i++) {
        const res = await fetch(`${url}/health`);
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

test('a flood of /health writes nothing: the WAL neither grows nor changes, and no row is left behind', async () => {
  const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'before the flood' }));
  const before = walOf(ft.dataDir);
  assert.ok(before.size > 0, 'the farm just created is in the WAL');

  const first = await readResponse(await fetch(`${ft.url}/health`));
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body, { status: 'ok' });
  assert.equal(first.headers.get('cache-control'), 'no-store');

  // 50 loops of 20: each call used to be a write of its own (the issue measured 145 writes/s).
  const statuses = await hammer(ft.url, 50, 20);
  assert.deepEqual([...statuses], [[200, 1000]]);
  // The API answers as before.
  assert.equal((await ft.client.send(new GetFarmCommand({ farmId }))).displayName, 'before the flood');
  assert.deepEqual(walOf(ft.dataDir), before, 'the WAL was written during the flood');

  assert.equal(await ft.stop(false), 0);
  const rows = await readDataFile(ft.dataDir, (query) => query(`SELECT key FROM meta WHERE key LIKE 'health%'`));
  assert.deepEqual(rows, []);
});
