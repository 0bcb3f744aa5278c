// A slow client (issue 9: "no body timeout"): one that sends an ingest request's headers and
// then a byte every few seconds must not keep the server from stopping on SIGTERM, and is
// itself answered with an error in the end rather than holding its connection for as long
// as it likes.
//
// Assumed (the issue names no figure): the server ends an ingest body that keeps arriving
// this slowly within SLOW_BODY_ANSWER_S (30 s by default) of its headers, with a 4xx in the
// model's error shape (x-amzn-errortype). Set SLOW_BODY_ANSWER_S to the server's own bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, killHard, stopWithin } from './support/crash.js';
import { startFarmtally } from './support/server.js';
import { farmWithParents, postSessions, sessionRecord, toNdjson } from './support/session-records.js';
import { ingestPath, Upload } from './support/upload.js';

const TODO = 'needs a body timeout (issue 9: no body timeout)';
const BYTE_EVERY_MS = 2_000;
const STOP_BOUND_MS = 15_000;
const ANSWER_BOUND_MS = Number(process.env.SLOW_BODY_ANSWER_S ?? 30) * 1000 + 30_000;

test('SIGTERM is not held up by a client trickling its body a byte every 2 s: the server exits 0 within 15 s', { todo: TODO, timeout: 2 * 60_000 }, async () => {
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

test('a client trickling its body a byte every 2 s is answered with an error in the end; other batches go through meanwhile', { todo: TODO, timeout: ANSWER_BOUND_MS + 60_000 }, async () => {
  const ft = await startFarmtally();
  const farm = await farmWithParents(ft.client, 'slow');
  const body = Buffer.from(toNdjson([sessionRecord(farm)]));
  const slow = new Upload(ft.url, ingestPath(farm.farmId), body, 'application/x-ndjson');
  try {
    slow.trickle(BYTE_EVERY_MS);
    const quick = await postSessions(ft.url, farm.farmId, toNdjson([sessionRecord(farm)]));
    assert.equal(quick.status, 200, quick.text);
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([slow.answer, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ANSWER_BOUND_MS)))]);
    clearTimeout(timer);
    assert.ok(answer, `no answer within ${ANSWER_BOUND_MS / 1000} s; ${slow.sent} of ${body.length} bytes sent`);
    assert.ok(answer.status !== undefined, `the connection ended without an answer: ${JSON.stringify(answer)}`);
    assert.ok(answer.status >= 400 && answer.status < 500, `${answer.status} ${answer.text}`);
    assert.ok(answer.headers['x-amzn-errortype'], `no x-amzn-errortype: ${JSON.stringify(answer.headers)}`);
    assert.ok(answer.body?.message, answer.text);
    assert.ok(slow.sent < body.length, 'the body arrived whole: the client was not slow enough to test anything');
  } finally {
    slow.abort();
    await ft.stop();
  }
});
