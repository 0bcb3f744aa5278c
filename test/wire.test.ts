// The restJson1 wire layer: what any client, not just the SDK, sees.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest, type RawAnswer } from './support/raw-http.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('wire protocol', () => {
  test('every response carries a request id, errors included', async () => {
    const ok = await http(ft.url, 'GET', '/2023-10-12/farms');
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('x-amzn-requestid')!, UUID);
    const bad = await http(ft.url, 'GET', '/2023-10-12/nowhere');
    assert.match(bad.headers.get('x-amzn-requestid')!, UUID);
    assert.notEqual(ok.headers.get('x-amzn-requestid'), bad.headers.get('x-amzn-requestid'));
  });

  test('an unknown route is ValidationException UNKNOWN_OPERATION', async () => {
    for (const [method, path] of [['GET', '/2023-10-12/nowhere'], ['PUT', '/2023-10-12/farms'], ['GET', '/2022-01-01/farms'], ['POST', '/']]) {
      const res = await http(ft.url, method!, path!);
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
      assert.equal(res.body.reason, 'UNKNOWN_OPERATION');
      assert.match(res.body.message, /No operation matches/);
    }
  });

  test('an unknown route is answered as soon as its headers are in, even with a body that never comes (the fuzzer found it never answered)', async () => {
    for (const path of ['/explorer', '/nowhere', '/2023-10-12/nowhere']) {
      const answer = await rawRequest(ft.url, { method: 'PUT', path, headers: { 'content-type': 'application/json', 'content-length': '100' }, pieces: [Buffer.from('{"a":')], gapMs: 5, timeoutMs: 5_000 });
      assert.notEqual(answer, 'no answer', `PUT ${path}`);
      const { status, body, endedAfterMs } = answer as RawAnswer;
      assert.equal(status, 400);
      assert.equal(body.reason, 'UNKNOWN_OPERATION');
      assert.ok(endedAfterMs < 5_000, `PUT ${path} ended after ${endedAfterMs} ms`);
    }
  });

  test('malformed JSON is ValidationException CANNOT_PARSE, and the server keeps serving', async () => {
    for (const body of ['{', '[]', '"text"', '{"displayName": "x",}', '\u0000\u0001']) {
      const res = await http(ft.url, 'POST', '/2023-10-12/farms', { body });
      assert.equal(res.status, 400, body);
      assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
      assert.equal(res.body.reason, 'CANNOT_PARSE');
    }
    assert.equal((await http(ft.url, 'GET', '/2023-10-12/farms')).status, 200);
  });

  test('unknown body members are ignored; wrong types are named', async () => {
    const created = await http(ft.url, 'POST', '/2023-10-12/farms', { body: JSON.stringify({ displayName: 'x', somethingNew: [1, 2] }) });
    assert.equal(created.status, 200);
    assert.match(created.body.farmId, /^farm-[0-9a-f]{32}$/);
    const wrong = await http(ft.url, 'POST', '/2023-10-12/farms', { body: JSON.stringify({ displayName: 7, costScaleFactor: 'high' }) });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.reason, 'FIELD_VALIDATION_FAILED');
    assert.deepEqual(wrong.body.fieldList.map((f: { name: string }) => f.name).sort(), ['costScaleFactor', 'displayName']);
    const missing = await http(ft.url, 'POST', '/2023-10-12/farms', { body: '{}' });
    assert.deepEqual(missing.body.fieldList.map((f: { name: string }) => f.name), ['displayName']);
    assert.match(missing.body.message, /must not be null/);
  });

  test('timestamps go out as ISO 8601 strings in UTC', async () => {
    const { body } = await http(ft.url, 'POST', '/2023-10-12/farms', { body: JSON.stringify({ displayName: 'times' }) });
    const farm = await http(ft.url, 'GET', `/2023-10-12/farms/${body.farmId}`);
    assert.equal(typeof farm.body.createdAt, 'string');
    assert.match(farm.body.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  });

  test('a body over the size cap is refused in the model shape', async () => {
    const res = await http(ft.url, 'POST', '/2023-10-12/farms', { body: JSON.stringify({ displayName: 'x', description: 'y'.repeat(2 * 1024 * 1024) }) });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.match(res.body.message, /limit/);
  });

  test('query members are validated too (maxResults must be an integer 1..100)', async () => {
    for (const q of ['maxResults=abc', 'maxResults=0', 'maxResults=1.5', 'maxResults=101']) {
      const res = await http(ft.url, 'GET', `/2023-10-12/farms?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.fieldList[0].name, 'maxResults', q);
    }
  });
});
