// SIGTERM during a large ingest batch (issue 9, item 7): the server either finishes the batch
// and answers 200 (then it is all there after a restart) or refuses it whole (then none of it
// is), exits 0, and does so within a bound even when the client is still trickling bytes.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { farmWithEarlierBatch, largeBatchPresent, LargeBatch } from './support/batch-kill.js';
import { killHard, stopWithin, whenOutput } from './support/crash.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import type { FarmParents } from './support/session-records.js';
import { ingestPath, Upload, type UploadAnswer } from './support/upload.js';

const BATCH_RECORDS = 100_000;
/** How long a stop may take: the batch in flight is finished or refused, not waited on indefinitely. */
const STOP_BOUND_MS = 15_000;

let batch: LargeBatch | undefined;
const largeBatch = () => (batch ??= new LargeBatch(BATCH_RECORDS));

/**
 * Starts a server with a farm holding an acknowledged batch, runs `during` (which sends
 * SIGTERM at its moment through `stop`), then restarts on the same data and checks the
 * outcome: 200 and the batch all there, or not 200 and none of it.
 */
async function sigtermDuringBatch(during: (ft: Farmtally, farm: FarmParents, upload: Upload, stop: () => Promise<{ stopped: boolean; code: number | null }>) => Promise<{ stopped: boolean; code: number | null }>): Promise<UploadAnswer> {
  const ft = await startFarmtally({ env: { FARMTALLY_INGEST_TRACE: '1' } });
  const farm = await farmWithEarlierBatch(ft, 'sigterm');
  const upload = new Upload(ft.url, ingestPath(farm.farmId), largeBatch().bodyFor(farm), 'application/x-ndjson');
  let again: Farmtally | undefined;
  try {
    const stopped = await during(ft, farm, upload, () => stopWithin(ft, STOP_BOUND_MS));
    const answer = await upload.answer;
    assert.ok(stopped.stopped, `the server was still running ${STOP_BOUND_MS / 1000} s after SIGTERM (batch answer: ${JSON.stringify(answer)}):\n${ft.output()}`);
    assert.equal(stopped.code, 0, ft.output());
    again = await startFarmtally({ dataDir: ft.dataDir });
    const present = await largeBatchPresent(again.client, farm, largeBatch());
    assert.equal(present, answer.status === 200, `the batch is ${present ? 'present' : 'absent'} after the restart, but the answer was ${JSON.stringify(answer).slice(0, 500)}`);
    if (answer.status === 200) assert.equal((answer as { body: { created: number } }).body.created, BATCH_RECORDS);
    return answer;
  } finally {
    upload.abort();
    await killHard(ft);
    await again?.stop(false);
    rmSync(ft.dataDir, { recursive: true, force: true });
  }
}

const described = (a: UploadAnswer) => (a.status === undefined ? a.error : `${a.status} ${a.text.slice(0, 300)}`);

test('SIGTERM while the body streams (the client sending on): the batch is finished and answered, or refused whole; exit 0', { timeout: 5 * 60_000 }, async () => {
  const answer = await sigtermDuringBatch(async (_ft, _farm, upload, stop) => {
    await upload.sendUntil(upload.body.length * 0.4);
    const stopping = stop();
    await upload.finish();
    return stopping;
  });
  console.log(`answer: ${described(answer)}`);
});

test('SIGTERM while the batch commits: it is finished and answered, or refused whole; exit 0', { timeout: 5 * 60_000 }, async () => {
  const answer = await sigtermDuringBatch(async (ft, farm, upload, stop) => {
    const sending = upload.finish();
    await whenOutput(ft, new RegExp(`ingest into ${farm.farmId} .*: ${BATCH_RECORDS} records staged by the bulk load`));
    const stopping = stop();
    await sending;
    return stopping;
  });
  console.log(`answer: ${described(answer)}`);
});

test('SIGTERM while the client trickles the rest of the body a byte a second: stopped within the bound, exit 0, nothing of the batch written', { timeout: 5 * 60_000 }, async () => {
  const answer = await sigtermDuringBatch(async (_ft, _farm, upload, stop) => {
    await upload.sendUntil(upload.body.length * 0.4);
    upload.trickle(1000);
    return stop();
  });
  assert.notEqual(answer.status, 200);
  console.log(`answer: ${described(answer)}`);
});
