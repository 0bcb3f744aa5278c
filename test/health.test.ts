// GET /health needs no credentials, so it must cost the server next to nothing: it answers
// from what the store already knows and a read at most once a second, and never writes (it
// used to write a row per call: a flood took the writer from everyone and grew the WAL).
// The routes that need no credentials (/health, the page's files) are rate-limited per
// client address (--public-rate-limit, 20/s by default): a flood from one address is
// ThrottlingException, while other addresses and signed requests go on as before.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, GetFarmCommand, ListFarmsCommand } from '@aws-sdk/client-deadline';
import { readDataFile, readResponse, startFarmtally, type Farmtally, type RawResponse } from './support/server.js';
import { addressKey } from '../src/wire/auth/rate-limit.js';
import { clientAs, principal, startSigv4 } from './support/sigv4.js';

let ft: Farmtally;

before(async () => {
  // No public rate limit here: the flood below must reach the store to show it writes nothing.
  ft = await startFarmtally({ args: ['--public-rate-limit', '0'] });
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

/** A GET sent from `localAddress` (any 127.x.y.z is this machine's loopback, each a client address of its own). */
function getFrom(url: string, path: string, localAddress: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve(readResponse(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers })));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const assertThrottled = (answer: RawResponse, address: string, limit: number) => {
  assert.equal(answer.status, 429, answer.text);
  assert.equal(answer.headers.get('x-amzn-errortype'), 'ThrottlingException');
  assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  assert.equal(answer.body.retryAfterSeconds, Number(answer.headers.get('retry-after')));
  assert.equal(answer.body.serviceCode, 'deadline');
  assert.match(answer.body.message, new RegExp(`^Rate exceeded: ${address.replaceAll('.', '\\.')} may make ${limit} requests per second to the routes that need no credentials`));
};

test('sigv4: a flood of public requests from one address is throttled (429, Retry-After); signed requests and other addresses go through', async () => {
  const admin = principal('admin');
  const server = await startSigv4([admin], ['--public-rate-limit', '5']);
  const url = server.ft.url;
  try {
    // 40 at once, /health and the page's settings alike, against a bucket of 5 refilled at 5 a second.
    const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => getFrom(url, i % 2 ? '/health' : '/explorer/settings.json', '127.0.0.1')));
    const throttled = flood.filter((a) => a.status === 429);
    assert.ok(throttled.length >= 25, `only ${throttled.length} of 40 throttled`);
    assert.ok(flood.every((a) => a.status === 200 || a.status === 429), flood.map((a) => a.status).join(' '));
    for (const answer of throttled) assertThrottled(answer, '127.0.0.1', 5);
    // Both routes drew on the one bucket of the address.
    assert.deepEqual([...new Set(throttled.map((a) => flood.indexOf(a) % 2))].sort(), [0, 1]);

    // The flood goes on; meanwhile a signed request from the same address is not a public
    // one, and another address has a bucket of its own.
    const [signed, other, more] = await Promise.all([
      clientAs(url, admin).send(new ListFarmsCommand({})),
      getFrom(url, '/health', '127.0.0.2'),
      Promise.all(Array.from({ length: 20 }, () => getFrom(url, '/health', '127.0.0.1'))),
    ]);
    assert.ok(Array.isArray(signed.farms));
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(other.body, { status: 'ok' });
    assert.ok(more.filter((a) => a.status === 429).length >= 10, more.map((a) => a.status).join(' '));
    // HEAD /health is the same route to the limit (and needs no signature either).
    const heads = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/health`, { method: 'HEAD' })));
    assert.ok(heads.filter((h) => h.status === 429).length >= 10, heads.map((h) => h.status).join(' '));
    assert.ok(heads.every((h) => h.status === 200 || h.status === 429), heads.map((h) => h.status).join(' '));

    // The bucket refills: a second later the address is answered again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await getFrom(url, '/health', '127.0.0.1')).status, 200);
    assert.match(server.ft.output(), /"status":429/, 'throttled requests are logged');
  } finally {
    await server.ft.stop();
  }
});

test('open mode limits public routes to 20 requests per second per address by default; the API is not counted against it', async () => {
  const open = await startFarmtally();
  try {
    const flood = await Promise.all(Array.from({ length: 100 }, () => fetch(`${open.url}/health`).then(readResponse)));
    const throttled = flood.filter((a) => a.status === 429);
    assert.ok(throttled.length >= 40, `only ${throttled.length} of 100 throttled`);
    assertThrottled(throttled[0]!, '127.0.0.1', 20);
    const { farmId } = await open.client.send(new CreateFarmCommand({ displayName: 'during a flood' }));
    assert.equal((await open.client.send(new GetFarmCommand({ farmId }))).displayName, 'during a flood');
  } finally {
    await open.stop();
  }
});

test('a client address is limited as itself (IPv4, IPv4-mapped) or by its /64 (IPv6: one host is usually given a whole /64)', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
});
