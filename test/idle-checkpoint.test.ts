// The writer folds the WAL into the data file on its own terms (store/duckdb/database.ts):
// once it has stayed idle a moment with a few MiB of WAL, and at once between writes past
// the busy threshold. Batches sent one after another (an import) do not checkpoint after
// each: the idle checkpoint waits for the writer to stay idle.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDuckDbStore } from '../src/store/duckdb/index.js';
import { parents, record, stageAndCommitWritten } from './store-contract/fixtures.js';
import { eventually } from './support/eventually.js';

const walOf = (dir: string) => {
  try {
    return statSync(join(dir, 'farmtally.duckdb.wal')).size;
  } catch {
    return 0;
  }
};

test('an idle writer checkpoints a WAL of a few MiB; batches one after another checkpoint fewer times than batches', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'farmtally-checkpoint-'));
  const lines: string[] = [];
  const store = await openDuckDbStore({ dataDir: dir, traceCheckpoints: (line) => lines.push(line) });
  try {
    const p = await parents(store);
    // Six staged batches of 8 000 sessions, one right after another, each about 5 MiB of WAL:
    // a checkpoint each time the WAL passes the busy threshold (8 MiB), every other batch,
    // not one after each (5 of them when the writer checkpointed whenever it fell idle).
    for (let b = 0; b < 6; b++) await stageAndCommitWritten(store, p.farmId, Array.from({ length: 8000 }, () => record(p)));
    const during = lines.filter((l) => l.startsWith('checkpoint of')).length;
    assert.ok(during <= 3, `${during} checkpoints during 6 batches sent one after another: ${lines.join('; ')}`);
    // Then idle: the rest of the WAL is folded in without another write.
    await eventually('the idle checkpoint', async () => walOf(dir) < 2 ** 20, 20_000);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
