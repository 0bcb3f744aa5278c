// kill -9 while group commits run: 16 clients post small batches as fast as they are answered
// (so the writer commits them in groups), and the server is killed mid-stream. After a
// restart every acknowledged batch is there whole, and every other batch is there whole or
// not at all: a group's transaction holds whole batches, and none is answered before its COMMIT.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killHard } from './support/crash.js';
import { readDataFile, startFarmtally } from './support/server.js';
import { answerCounts, farmWithParents, numberedRecord, postSessions, toNdjson } from './support/session-records.js';

const CLIENTS = 16;
const RECORDS = 10;

test('kill -9 during group commits: acknowledged batches whole, the others whole or absent', async () => {
  const ft = await startFarmtally({ env: { FARMTALLY_INGEST_TRACE: '1' } });
  const farm = await farmWithParents(ft.client, 'group kill');
  const acknowledged = new Set<number>();
  const sent = new Set<number>();
  let next = 0;
  let killed = false;
  const client = async () => {
    while (!killed) {
      const batch = next++;
      sent.add(batch);
      const records = Array.from({ length: RECORDS }, (_, i) => numberedRecord(farm, batch * RECORDS + i, 5));
      const answer = await postSessions(ft.url, farm.farmId, toNdjson(records)).catch(() => undefined);
      if (answer?.status === 200) {
        assert.deepEqual(answerCounts(answer.body), { received: RECORDS, created: RECORDS, updated: 0, unchanged: 0 });
        acknowledged.add(batch);
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, client);
  // Kill once groups of several batches are being committed.
  const grouped = /group commit of (\d+) batches/;
  for (let waited = 0; waited < 30_000 && !(Number(grouped.exec(ft.output())?.[1] ?? 0) > 2 && acknowledged.size > 50); waited += 20) await new Promise((r) => setTimeout(r, 20));
  assert.match(ft.output(), grouped, 'the writer committed groups of batches');
  killHard(ft);
  killed = true;
  await Promise.all(clients);

  // The restart replays the WAL; then the file is read with the server stopped.
  const again = await startFarmtally({ dataDir: ft.dataDir });
  assert.equal(await again.stop(false), 0);
  const stored = await readDataFile(ft.dataDir, async (query) =>
    (await query(`SELECT session_id FROM sessions WHERE farm_id = '${farm.farmId}'`)).map((r) => (r as { session_id: string }).session_id),
  );
  const perBatch = new Map<number, number>();
  for (const id of stored) {
    const i = parseInt(id.slice('session-'.length), 16) - 5e9;
    const batch = Math.floor(i / RECORDS);
    perBatch.set(batch, (perBatch.get(batch) ?? 0) + 1);
  }
  for (const batch of acknowledged) assert.equal(perBatch.get(batch), RECORDS, `acknowledged batch ${batch} is whole`);
  for (const [batch, n] of perBatch) {
    assert.ok(sent.has(batch), `batch ${batch} was sent`);
    assert.equal(n, RECORDS, `batch ${batch} is whole or absent`);
  }
  assert.ok(acknowledged.size > 50, `${acknowledged.size} batches acknowledged before the kill`);
});

test('concurrent small batches over HTTP: a bad one is refused alone, the others land with their own counts', async () => {
  const ft = await startFarmtally({ env: { FARMTALLY_INGEST_TRACE: '1' } });
  try {
    const farm = await farmWithParents(ft.client, 'group http');
    const batches = Array.from({ length: 12 }, (_, b) => Array.from({ length: RECORDS }, (_, i) => numberedRecord(farm, b * RECORDS + i, 6)));
    // Batch 5 has one record with endedAt before startedAt; batch 9 repeats batch 8's sessions.
    const bad = batches[5]!;
    bad[3] = { ...bad[3]!, endedAt: '2024-12-31T00:00:00Z' };
    batches[9] = batches[8]!;
    const answers = await Promise.all(batches.map((records) => postSessions(ft.url, farm.farmId, toNdjson(records))));
    answers.forEach((a, b) => {
      if (b === 5) {
        assert.equal(a.status, 400, a.text);
        assert.match(a.body.message, /line 4: endedAt .* is before startedAt/);
      } else {
        assert.equal(a.status, 200, a.text);
      }
    });
    const created = answers.filter((_, b) => b !== 5).map((a) => a.body.created as number);
    // Batches 8 and 9 name the same sessions: one of them created them, the other found them unchanged.
    assert.equal(created.reduce((n, c) => n + c, 0), 10 * RECORDS);
    assert.deepEqual([answers[8]!.body.created + answers[9]!.body.created, answers[8]!.body.unchanged + answers[9]!.body.unchanged], [RECORDS, RECORDS]);
    assert.equal(await ft.stop(false), 0);
    const stored = await readDataFile(ft.dataDir, async (query) => Number(((await query(`SELECT count(*) AS n FROM sessions WHERE farm_id = '${farm.farmId}'`))[0] as { n: unknown }).n));
    assert.equal(stored, 10 * RECORDS, 'nothing of the refused batch was written');
  } finally {
    await ft.stop();
  }
});
