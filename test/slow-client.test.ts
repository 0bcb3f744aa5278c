// A slow client: one that sends an ingest request's headers and then a byte every few
// seconds must not keep the server from stopping on SIGTERM. (That such a client is itself
// answered 408 in the end, and frees its batch slot, is in hostile-input.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killHard, stopWithin } from './support/crash.js';
import { eventually } from './support/eventually.js';
import { startFarmtally } from './support/server.js';
import { farmWithParents, sessionRecord, toNdjson } from './support/session-records.js';
import { ingestPath, Upload } from './support/upload.js';

const BYTE_EVERY_MS = 2_000;
const STOP_BOUND_MS = 15_000;

test('SIGTERM is not held up by a client trickling its body a byte every 2 s: the server exits 0 within 15 s', { timeout: 2 * 60_000 }, async () => {
  const ft = await startFarmtally();
  const farm = await farmWithParents(ft.client, 'slow');
  const body = Buffer.from(toNdjson([sessionRecord(farm)]));
  const slow = new Upload(ft.url, ingestPath(farm.farmId), body, 'application/x-ndjson');
  try {
    slow.trickle(BYTE_EVERY_MS);
    await eventually('the first byte sent', async () => (slow.sent > 0 ? true : undefined));
    const { stopped, code } = await stopWithin(ft, STOP_BOUND_MS);
    assert.ok(stopped, `still running ${STOP_BOUND_MS / 1000} s after SIGTERM, with the slow client connected:\n${ft.output()}`);
    assert.equal(code, 0, ft.output());
    const answer = await slow.answer;
    assert.notEqual(answer.status, 200, JSON.stringify(answer));
  } finally {
    slow.abort();
    await killHard(ft);
    await ft.stop();
  }
});
