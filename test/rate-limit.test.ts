// --rate-limit N: a token bucket per principal (burst N, N per second). A burst past it is
// ThrottlingException (429) with an integer Retry-After, on API and ingest routes alike;
// another principal keeps its own bucket; in open mode every caller shares one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, ListFarmsCommand } from '@aws-sdk/client-deadline';
import { sdkClient, startFarmtally } from './support/server.js';
import { clientAs, principal, sdkError, signedFetch, startSigv4, type Sigv4Server } from './support/sigv4.js';

const busy = principal('busy');
const quiet = principal('quiet');
const bomber = principal('bomber');
let server: Sigv4Server;

before(async () => {
  server = await startSigv4([busy, quiet, bomber], ['--rate-limit', '2']);
});
after(() => server.ft.stop());

const listFarms = (who: typeof busy) => signedFetch(server.ft.url, who, { method: 'GET', path: '/2023-10-12/farms' });
const ingest = (who: typeof busy) =>
  signedFetch(server.ft.url, who, {
    method: 'POST',
    path: `/ingest/v1/farms/farm-${'0'.repeat(32)}/sessions`,
    body: '',
    headers: { 'content-type': 'application/x-ndjson' },
  });

test('a burst past the limit is ThrottlingException 429 with an integer Retry-After, on API and ingest routes; another principal is unaffected', async () => {
  // 24 at once against a bucket of 2 refilled at 2 per second.
  const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? ingest(busy) : listFarms(busy))));
  const throttled = answers.filter((a) => a.status === 429);
  assert.ok(throttled.length >= 12, `only ${throttled.length} of 24 throttled`);
  for (const a of throttled) {
    assert.equal(a.headers.get('x-amzn-errortype'), 'ThrottlingException');
    assert.match(a.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(a.body.retryAfterSeconds, Number(a.headers.get('retry-after')));
    assert.match(a.body.message, /^Rate exceeded: busy may make 2 requests per second/);
  }
  // Both kinds were counted against the same bucket, and throttled.
  assert.deepEqual([...new Set(throttled.map((a) => answers.indexOf(a) % 2))].sort(), [0, 1]);
  assert.equal((await listFarms(quiet)).status, 200);
  // The SDK names it.
  const err = await sdkError(Promise.all(Array.from({ length: 6 }, () => clientAs(server.ft.url, busy).send(new ListFarmsCommand({})))));
  assert.deepEqual([err.name, err.status], ['ThrottlingException', 429]);
});

test('in open mode every caller is one principal: they share the bucket', async () => {
  const open = await startFarmtally({ args: ['--rate-limit', '1'] });
  try {
    const callers = [sdkClient(open.url), clientAs(open.url, busy), clientAs(open.url, quiet)];
    const outcomes = await Promise.all(
      Array.from({ length: 9 }, (_, i) => callers[i % 3]!.send(new ListFarmsCommand({})).then(() => 'ok', (e: Error) => e.name)),
    );
    assert.ok(outcomes.filter((o) => o === 'ThrottlingException').length >= 5, outcomes.join(' '));
  } finally {
    await open.stop();
  }
});

test('a body refused after it was read costs its sender a token per MiB read: a large batch of bad records is not one request like any other', async () => {
  const { farmId } = await clientAs(server.ft.url, bomber).send(new CreateFarmCommand({ displayName: 'bombed' }));
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the bucket full again (2)
  // 8 MiB of records that are all wrong: read whole (received, then checked), then refused.
  const line = `{"sessionId":"nope","note":"${'x'.repeat(90)}"}\n`;
  const body = line.repeat(Math.ceil((8 * 1024 * 1024) / line.length));
  const refused = await signedFetch(server.ft.url, bomber, { method: 'POST', path: `/ingest/v1/farms/${farmId}/sessions`, body, headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  // One token for the request and eight for the 8 MiB read in vain: the bucket of 2 is owed
  // several seconds' refill, so the next request is throttled (without the charge, 1 token was left).
  const next = await listFarms(bomber);
  assert.equal(next.status, 429, JSON.stringify(next.body));
  assert.ok(Number(next.headers.get('retry-after')) >= 2, `Retry-After ${next.headers.get('retry-after')}`);
  assert.equal((await listFarms(quiet)).status, 200, 'charged to its own principal only');
});
