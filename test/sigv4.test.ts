// serve --auth sigv4 against the official JS SDK signing with a key pair from the
// credentials file, and against requests signed with @smithy/signature-v4 and then sent
// as they are, late or altered. Each refusal must carry the error type the SDK names and 403.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateFarmCommand, GetFarmCommand, ListFarmsCommand, paginateListFarms } from '@aws-sdk/client-deadline';
import { clientAs, principal, sdkError, signedFetch, startSigv4, type Sigv4Server } from './support/sigv4.js';

const admin = principal('admin');
let server: Sigv4Server;
let url: string;

before(async () => {
  server = await startSigv4([admin]);
  url = server.ft.url;
});
after(() => server.ft.stop());

const farmCount = async () => (await clientAs(url, admin).send(new ListFarmsCommand({}))).farms!.length;

describe('sigv4 mode', () => {
  test('the SDK signing with a key from the credentials file works, and pages with signed tokens', async () => {
    const client = clientAs(url, admin);
    const created: string[] = [];
    for (const name of ['one', 'two', 'three']) created.push((await client.send(new CreateFarmCommand({ displayName: name }))).farmId!);
    const farm = await client.send(new GetFarmCommand({ farmId: created[0] }));
    assert.equal(farm.createdBy, 'admin');
    // One farm per page: every page's nextToken (base64url and a dot) goes back in a signed query.
    const seen: string[] = [];
    for await (const page of paginateListFarms({ client, pageSize: 1 }, {})) seen.push(...page.farms!.map((f) => f.farmId!));
    assert.deepEqual(seen.filter((id) => created.includes(id)), created);
  });

  test('a path with percent-encoded characters verifies as received (the answer is about the ID, not the signature)', async () => {
    const err = await sdkError(clientAs(url, admin).send(new GetFarmCommand({ farmId: 'farm-x y/ü' })));
    assert.equal(err.name, 'ValidationException', err.message);
  });

  test('a wrong secret is InvalidSignatureException, an unknown key UnrecognizedClientException, both 403', async () => {
    const wrong = await sdkError(clientAs(url, { accessKeyId: admin.accessKeyId, secretAccessKey: `${admin.secretAccessKey}x` }).send(new ListFarmsCommand({})));
    assert.deepEqual([wrong.name, wrong.status], ['InvalidSignatureException', 403]);
    assert.match(wrong.message, /signature we calculated does not match/);
    const unknown = await sdkError(clientAs(url, { accessKeyId: 'AKIAUNKNOWNUNKNOWN01', secretAccessKey: admin.secretAccessKey }).send(new ListFarmsCommand({})));
    assert.deepEqual([unknown.name, unknown.status, unknown.message], ['UnrecognizedClientException', 403, 'The security token included in the request is invalid.']);
  });

  test('an unsigned request is MissingAuthenticationTokenException, on API routes, unknown routes and the ingest route', async () => {
    for (const [method, path] of [['GET', '/2023-10-12/farms'], ['GET', '/2023-10-12/nothing-here'], ['POST', `/ingest/v1/farms/farm-${'0'.repeat(32)}/sessions`]] as const) {
      const res = await fetch(url + path, { method, body: method === 'POST' ? '{}\n' : undefined, headers: { 'content-type': 'application/x-ndjson' } });
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException', path);
      assert.match(((await res.json()) as { message: string }).message, /^Missing Authentication Token/);
    }
  });

  test('the same request signed as it is sent succeeds, signed like the JS SDK and like botocore', async () => {
    const before = await farmCount();
    for (const withoutPayloadHeader of [false, true]) {
      const res = await signedFetch(url, admin, { method: 'POST', path: '/2023-10-12/farms', body: JSON.stringify({ displayName: 'signed' }), withoutPayloadHeader });
      assert.equal(res.status, 200, res.text);
    }
    assert.equal(await farmCount(), before + 2);
  });

  test('a request signed more than 15 minutes ago (or ahead) is InvalidSignatureException, expired', async () => {
    const old = await signedFetch(url, admin, { method: 'GET', path: '/2023-10-12/farms', signingDate: new Date(Date.now() - 16 * 60_000) });
    assert.deepEqual([old.status, old.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.match(old.body.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const ahead = await signedFetch(url, admin, { method: 'GET', path: '/2023-10-12/farms', signingDate: new Date(Date.now() + 16 * 60_000) });
    assert.deepEqual([ahead.status, ahead.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.match(ahead.body.message, /^Signature not yet current/);
    const recent = await signedFetch(url, admin, { method: 'GET', path: '/2023-10-12/farms', signingDate: new Date(Date.now() - 10 * 60_000) });
    assert.equal(recent.status, 200, recent.text);
  });

  test('a body, path or query changed after signing is InvalidSignatureException, and nothing is written', async () => {
    const before = await farmCount();
    const body = JSON.stringify({ displayName: 'signed' });
    const tampered = JSON.stringify({ displayName: 'changed' });
    const cases = {
      // The JS SDK sends the body's hash in x-amz-content-sha256: the body no longer matches it.
      'body (JS SDK style)': await signedFetch(url, admin, { method: 'POST', path: '/2023-10-12/farms', body }, (r) => (r.body = tampered)),
      // botocore sends no hash header: the signature covers the body's hash.
      'body (botocore style)': await signedFetch(url, admin, { method: 'POST', path: '/2023-10-12/farms', body, withoutPayloadHeader: true }, (r) => (r.body = tampered)),
      path: await signedFetch(url, admin, { method: 'GET', path: `/2023-10-12/farms/farm-${'1'.repeat(32)}` }, (r) => (r.path = `/2023-10-12/farms/farm-${'2'.repeat(32)}`)),
      'signed header': await signedFetch(url, admin, { method: 'POST', path: '/2023-10-12/farms', body, headers: { 'x-amz-client-token': 'a' } }, (r) => (r.headers['x-amz-client-token'] = 'b')),
    };
    for (const [what, res] of Object.entries(cases)) {
      assert.equal(res.status, 403, `${what}: ${res.text}`);
      assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidSignatureException', what);
    }
    const query = await signedFetch(url, admin, { method: 'GET', path: '/2023-10-12/farms', query: { maxResults: '1' } }, (r) => (r.path = '/2023-10-12/farms?maxResults=2&'));
    assert.deepEqual([query.status, query.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.equal(await farmCount(), before);
  });

  test('API bodies must be signed: UNSIGNED-PAYLOAD is refused there', async () => {
    const res = await signedFetch(url, admin, { method: 'POST', path: '/2023-10-12/farms', body: JSON.stringify({ displayName: 'x' }), headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    assert.deepEqual([res.status, res.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.match(res.body.message, /UNSIGNED-PAYLOAD is accepted only on the ingest route/);
  });

  test('the scope must be for the deadline service, and host must be signed', async () => {
    const wrongService = await signedFetch(url, admin, { method: 'GET', path: '/2023-10-12/farms' }, (r) => {
      r.headers.authorization = r.headers.authorization!.replace('/deadline/aws4_request', '/s3/aws4_request');
    });
    assert.deepEqual([wrongService.status, wrongService.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.match(wrongService.body.message, /scoped to correct service: 'deadline'/);
    const hostUnsigned = await signedFetch(url, admin, { method: 'GET', path: '/2023-10-12/farms' }, (r) => {
      r.headers.authorization = r.headers.authorization!.replace('host;', '');
    });
    assert.deepEqual([hostUnsigned.status, hostUnsigned.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.match(hostUnsigned.body.message, /'Host' .* must be a 'SignedHeader'/);
    const incomplete = await signedFetch(url, admin, { method: 'GET', path: '/2023-10-12/farms' }, (r) => {
      r.headers.authorization = r.headers.authorization!.replace(/, Signature=\w+/, '');
    });
    assert.deepEqual([incomplete.status, incomplete.headers.get('x-amzn-errortype')], [403, 'IncompleteSignatureException']);
  });
});
