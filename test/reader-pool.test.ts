// The DuckDB store's reader pool (store/duckdb/connections.ts): more reads at once than it
// has readers wait their turn, and closing waits for the reads under way and then ends. A
// count off by one per reader handed from one read to the next once made closing wait
// forever after any busy minute (a server that never stopped on SIGTERM).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Database } from '../src/store/duckdb/database.js';

const within = <T>(ms: number, what: string, promise: Promise<T>) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not done in ${ms} ms`)), ms).unref())]);

test('many reads at once all answer, and the database closes once they are done', async () => {
  const db = await Database.open({ dataDir: ':memory:' });
  const reads = Array.from({ length: 40 }, (_, i) => db.all(`SELECT ${i} AS n, count(*) AS rows FROM range(20000)`));
  const answers = await Promise.all(reads);
  assert.deepEqual(
    answers.map((rows) => rows[0]!.n),
    Array.from({ length: 40 }, (_, i) => i),
  );
  await within(5_000, 'closing after the reads', db.close());
});

test('closing while reads are under way waits for them, then ends', async () => {
  const db = await Database.open({ dataDir: ':memory:' });
  const reads = Promise.all(Array.from({ length: 12 }, () => db.all('SELECT count(*) AS rows FROM range(3000000)')));
  const closed = db.close();
  const answers = await reads;
  assert.ok(answers.every((rows) => rows[0]!.rows === 3_000_000));
  await within(5_000, 'closing under the reads', closed);
});
