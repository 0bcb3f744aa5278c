// The writer's filter of stored session keys (store/duckdb/session-key-index.ts): never a
// false "no" (a stored session taken for new would be stored twice), and false "maybe"s rare
// enough that a group of new sessions at 10 M reads next to nothing (each costs a read of a
// whole block of 122 880 rows; at the old sizing a group of 1 250 new sessions read 6 M rows).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEY_BLOCK, SessionKeyIndex, sessionKeyOf } from '../src/store/duckdb/session-key-index.js';

const id = (n: number) => `session-${n.toString(16).padStart(32, '0')}`;

test('every stored key is found in its own block; new keys rarely in any (under 2 in 100 000 a block)', () => {
  const index = new SessionKeyIndex();
  const stored = 3 * KEY_BLOCK;
  for (let seq = 0; seq < stored; seq++) {
    const k = sessionKeyOf(id(seq));
    index.add(seq, k.hi, k.lo);
  }
  for (let seq = 0; seq < stored; seq += 7) {
    const found = index.candidates(sessionKeyOf(id(seq)));
    assert.ok(found.some((r) => r.from <= seq && seq <= r.to), `stored session ${seq} not found in its block`);
  }
  const tries = 100_000;
  let falseMaybes = 0;
  for (let n = 0; n < tries; n++) falseMaybes += index.candidates(sessionKeyOf(id(1e12 + n))).length;
  const perBlock = falseMaybes / tries / 3;
  assert.ok(perBlock < 2e-5, `false maybes per block: ${perBlock}`);
  // At most 32 MiB at 10 M sessions (issue 15's bound): 83 blocks.
  assert.ok((index.bytes / 3) * Math.ceil(10_000_000 / KEY_BLOCK) <= 32 * 2 ** 20, `${index.bytes / 3} bytes a block`);
});
