// The cluster's sweeper prunes published batches below the batch counter as it read it at
// least an hour (here: 100 ms) before: never a number read more recently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CounterReadings } from '../src/store/cluster/batch-sweeper.js';

test('pruning stops below the newest counter reading at least the history old', () => {
  const counter = new CounterReadings(100);
  assert.equal(counter.read(0, 10), 0, 'nothing old enough yet');
  assert.equal(counter.read(50, 20), 0);
  assert.equal(counter.read(100, 30), 11, 'the reading at 0 is 100 old: batches up to 10');
  assert.equal(counter.read(149, 35), 11, 'the reading at 50 is not yet old enough');
  assert.equal(counter.read(160, 40), 21, 'the reading at 50 is');
  assert.equal(counter.read(1000, 41), 41, 'long after: up to the newest old reading (40 at 160)');
  assert.equal(counter.read(1001, 42), 41, 'and no further than that');
});
