// Page tokens on their own, with a clock the test moves: opaque, bound to their scope,
// tamper-proof, and refused after 24 hours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError } from '../src/operations/errors.js';
import { PageTokens, TOKEN_LIFETIME_MS } from '../src/operations/page-tokens.js';

const refused = (fn: () => unknown, why: RegExp) =>
  assert.throws(fn, (err) => {
    assert.ok(err instanceof ServiceError);
    assert.equal(err.shape, 'ValidationException');
    assert.deepEqual((err.members.fieldList as { name: string }[]).map((f) => f.name), ['nextToken']);
    assert.match(err.message, why);
    return true;
  });

test('a token opens in its scope until it expires, and only then', () => {
  let now = Date.UTC(2025, 0, 1);
  const tokens = new PageTokens(Buffer.alloc(32, 7), () => now);
  const token = tokens.issue('aggregation:abc', '200');
  assert.doesNotMatch(token, /200|abc/, 'opaque');
  assert.equal(tokens.open('aggregation:abc', token), '200');
  now += TOKEN_LIFETIME_MS;
  assert.equal(tokens.open('aggregation:abc', token), '200');
  now += 1;
  refused(() => tokens.open('aggregation:abc', token), /expired/);
});

test('foreign, tampered and other servers\' tokens are refused', () => {
  const tokens = new PageTokens(Buffer.alloc(32, 7));
  const token = tokens.issue('ListQueues:farm-a', 'k');
  refused(() => tokens.open('ListQueues:farm-b', token), /different request/);
  const [body, mac] = token.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), a: 'other' })).toString('base64url');
  refused(() => tokens.open('ListQueues:farm-a', `${forged}.${mac}`), /not a token this server issued/);
  refused(() => new PageTokens(Buffer.alloc(32, 8)).open('ListQueues:farm-a', token), /not a token this server issued/);
  refused(() => tokens.open('ListQueues:farm-a', 'no-dot'), /not a token this server issued/);
  refused(() => tokens.open('ListQueues:farm-a', ''), /not a token this server issued/);
});
