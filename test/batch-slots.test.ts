// The ingest capacity's shares (operations/sessions/batch-slots.ts), driven directly: many
// tiny cases of who gets a slot, who waits and who is told to come back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchSlots } from '../src/operations/sessions/batch-slots.js';

const slots = (size: number, perClient: number, waitMs = 50, waitingPerClient?: number) => new BatchSlots({ size, perClient, waitMs, waitingPerClient, what: 'large batches being ingested' });
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

test('a client at its share may have a few waiting: they get its slots as it gives them back, before a later client past its share', async () => {
  const s = slots(4, 2, 1000, 2);
  const mine = [await s.take(['address:a']), await s.take(['address:a'])];
  const order: string[] = [];
  const waitingA = [s.take(['address:a']).then((give) => (order.push('a'), give)), s.take(['address:a']).then((give) => (order.push('a'), give))];
  await assert.rejects(s.take(['address:a']), throttled(/^Address a has 2 large batches being ingested already, this server's limit per client/), 'a third waiting is one too many');
  const b = await s.take(['address:b']); // other clients are let in meanwhile
  mine[0]!();
  mine[1]!();
  const admitted = await Promise.all(waitingA);
  assert.deepEqual(order, ['a', 'a']);
  assert.equal(s.heldBy('address:a'), 2);
  for (const give of [...admitted, b]) give();
  assert.equal(s.heldBy('address:a') + s.heldBy('address:b'), 0);
});

test('a waiting client whose slots never come back is throttled after the wait, naming its share', async () => {
  const s = slots(4, 1, 60, 4);
  await s.take(['principal:ana']);
  await assert.rejects(s.take(['principal:ana']), throttled(/^Principal ana has had 1 large batches being ingested for 0.06 s, this server's limit per client/));
  await s.take(['principal:bo']);
});

test('lending: while no one else waits a client may use every slot; a slot given back then goes to a waiter under its share first', async () => {
  const s = new BatchSlots({ size: 3, perClient: 1, waitMs: 1000, waitingPerClient: 4, lendIdle: true, what: 'large batches being ingested' });
  const host = [await s.take(['address:host']), await s.take(['address:host']), await s.take(['address:host'])];
  assert.equal(s.heldBy('address:host'), 3, 'one host posting for a farm gets them all');
  const order: string[] = [];
  const hostAgain = s.take(['address:host']).then((give) => (order.push('host'), give));
  const other = s.take(['address:other']).then((give) => (order.push('other'), give));
  host[0]!();
  await other;
  assert.deepEqual(order, ['other'], 'the waiter under its share first, though it came later');
  host[1]!();
  const again = await hostAgain;
  assert.deepEqual(order, ['other', 'host']);
  for (const give of [again, host[2]!, await other]) give();
  assert.equal(s.heldBy('address:host') + s.heldBy('address:other'), 0);
});
