// The ingest capacity's shares (operations/sessions/batch-slots.ts), driven directly: many
// tiny cases of who gets a slot, who waits and who is told to come back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchSlots } from '../src/operations/sessions/batch-slots.js';

const slots = (size: number, perClient: number, waitMs = 50) => new BatchSlots({ size, perClient, waitMs, what: 'large batches being ingested' });
const throttled = (message: RegExp) => (err: unknown) => (err as { shape?: string }).shape === 'ThrottlingException' && message.test((err as Error).message);

test("a client past its share is throttled at once, naming the client; another client still gets a slot", async () => {
  const s = slots(4, 2);
  await s.take(['address:10.0.0.1']);
  await s.take(['address:10.0.0.1']);
  const started = performance.now();
  await assert.rejects(s.take(['address:10.0.0.1']), throttled(/^Address 10\.0\.0\.1 has 2 large batches being ingested already, this server's limit per client/));
  assert.ok(performance.now() - started < 40, 'without waiting');
  await s.take(['address:10.0.0.2']);
});

test('a principal is one client across addresses', async () => {
  const s = slots(4, 2);
  await s.take(['address:10.0.0.1', 'principal:ana']);
  await s.take(['address:10.0.0.2', 'principal:ana']);
  await assert.rejects(s.take(['address:10.0.0.3', 'principal:ana']), throttled(/^Principal ana has 2/));
  await s.take(['address:10.0.0.3', 'principal:bo']);
});

test('when all slots are taken a request waits, gets the slot given back, or is throttled after the wait', async () => {
  const s = slots(2, 2);
  const give = await s.take(['address:a']);
  await s.take(['address:b']);
  const waiting = s.take(['address:c']);
  give();
  const got = await waiting;
  assert.equal(s.heldBy('address:a'), 0);
  assert.equal(s.heldBy('address:c'), 1);
  await assert.rejects(s.take(['address:d']), throttled(/^The server has 2 large batches being ingested already, its limit at once/));
  assert.equal(s.heldBy('address:d'), 0, 'a request that gave up holds nothing');
  got();
  got(); // giving back twice gives back once
  await s.take(['address:d']);
  await assert.rejects(s.take(['address:e']), throttled(/its limit at once/));
});

test('a request waiting for a slot counts against its client, so one client cannot queue without bound', async () => {
  const s = slots(1, 2, 1000);
  const give = await s.take(['address:a']);
  const waiting = s.take(['address:a']);
  await assert.rejects(s.take(['address:a']), throttled(/^Address a has 2/));
  give();
  (await waiting)();
  assert.equal(s.heldBy('address:a'), 0);
});
