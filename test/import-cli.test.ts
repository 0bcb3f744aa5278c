// `farmtally import` as a user runs it: a child process streaming generated files into a
// real server, judged by its exit code, its summary line and its error messages.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { GetSessionCommand } from '@aws-sdk/client-deadline';
import { BIN, startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, numberedRecord, toCsv, type FarmParents, type IngestRecord } from './support/session-records.js';

let ft: Farmtally;
let farm: FarmParents;
let dir: string;
before(async () => {
  ft = await startFarmtally();
  farm = await farmWithParents(ft.client, 'import');
  dir = mkdtempSync(join(tmpdir(), 'farmtally-import-'));
});
after(async () => {
  await ft.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runImport(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [BIN, 'import', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const importFile = (file: string, ...more: string[]) => runImport([file, '--farm', farm.farmId, '--endpoint', ft.url, ...more]);

/** Writes `count` records as NDJSON, a line at a time, with `edit` applied to each. */
async function writeNdjson(name: string, count: number, seed: number, edit = (r: IngestRecord, _i: number): object => r): Promise<string> {
  const file = join(dir, name);
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    if (!out.write(JSON.stringify(edit(numberedRecord(farm, i, seed), i)) + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return file;
}

describe('farmtally import', () => {
  test('100 000 NDJSON records in two batches, then again (in one, the default size): all unchanged', async (t) => {
    const file = await writeNdjson('sessions.ndjson', 100_000, 1);
    const first = await importFile(file, '--batch-size', '50000');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /received 100000, created 100000, updated 0, unchanged 0 \(2 batches,/);
    assert.match(first.stderr, /100000 records sent/);
    // Nothing but progress on stderr: no warnings from the upload's stream handling.
    assert.doesNotMatch(first.stderr, /Warning/);
    t.diagnostic(first.stdout.trim());
    const again = await importFile(file);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /received 100000, created 0, updated 0, unchanged 100000 \(1 batch,/);
    const last = numberedRecord(farm, 99_999, 1);
    const session = await ft.client.send(new GetSessionCommand({ farmId: farm.farmId, queueId: last.queueId, jobId: last.jobId, sessionId: last.sessionId }));
    assert.deepEqual(session.endedAt, new Date(last.endedAt!));
  });

  test('CSV with quoted multi-line cells, cut into batches of 300 that each repeat the header', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ ...numberedRecord(farm, i, 2), jobName: i % 10 ? `job, "${i}"` : `two\nlines ${i}` }));
    const file = join(dir, 'sessions.csv');
    writeFileSync(file, toCsv(records));
    const first = await importFile(file, '--batch-size', '300');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /received 1000, created 1000, updated 0, unchanged 0 \(4 batches,/);
    // The same records as NDJSON (the format named by the option) change nothing.
    const asJson = join(dir, 'same-records.txt');
    writeFileSync(asJson, records.map((r) => JSON.stringify(r)).join('\n'));
    const again = await importFile(asJson, '--format', 'ndjson');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /received 1000, created 0, updated 0, unchanged 1000 \(1 batch,/);
  });

  test('a bad record in the second batch: exit 1, the batch and file line named, the first batch kept', async () => {
    const bad = 75_000; // record index, on file line 75 001
    const file = await writeNdjson('bad.ndjson', 100_000, 3, (r, i) => (i === bad ? { ...r, endedAt: '2020-01-01T00:00:00Z' } : r));
    const run = await importFile(file, '--batch-size', '50000');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /batch 2 \(file lines 50001 to 100000\) was rejected/);
    assert.match(run.stderr, /file line 75001, records\.25001\.endedAt: endedAt 2020-01-01T00:00:00\.000Z is before startedAt/);
    assert.match(run.stderr, /Batches 1 to 1 \(file lines up to 50000\) were committed; re-sending them is safe/);
    assert.doesNotMatch(run.stdout, /received/);
    // Fixed, the same file goes in: the first batch was kept, the second written now.
    const fixed = await writeNdjson('bad.ndjson', 100_000, 3);
    const rerun = await importFile(fixed, '--batch-size', '50000');
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /received 100000, created 50000, updated 0, unchanged 50000/);
  });

  test('CSV errors are reported on file lines, past blank lines and the repeated header', async () => {
    const records = Array.from({ length: 10 }, (_, i) => numberedRecord(farm, i, 4));
    const lines = toCsv(records).trimEnd().split('\n');
    lines[8] = lines[8]!.replace(farm.queueId, 'queue-nope');
    // Line 1 blank, line 2 the header, records on lines 3..12; batches of 4 records.
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `\n${lines.join('\n')}\n`);
    const run = await importFile(file, '--batch-size', '4');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /batch 2 \(file lines 7 to 10\) was rejected/);
    assert.match(run.stderr, /file line 10, records\.4\.queueId: Value 'queue-nope'/);
  });

  test('an unreachable server, an unknown farm and an unknown format say what to do', async () => {
    const file = await writeNdjson('small.ndjson', 10, 5);
    const down = await runImport([file, '--farm', farm.farmId, '--endpoint', 'http://127.0.0.1:9']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach farmtally at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\. Is the server running there\?/);
    assert.match(down.stderr, /Start it with `npx farmtally serve --port 9` on that host, or fix --endpoint/);
    // Not the file's fault, and nothing reached the server: no record counted as sent.
    assert.doesNotMatch(down.stderr, /fix the file/);
    assert.doesNotMatch(down.stderr, /records sent/);
    assert.match(down.stderr, /stopped, 0 records committed/);
    assert.match(down.stderr, /No batch was committed; once the server answers, run the same import again\./);
    // A farm the server refuses is --farm's fault, not the file's: the message says which to fix.
    const noFarm = await runImport([file, '--farm', `farm-${'0'.repeat(32)}`, '--endpoint', ft.url]);
    assert.equal(noFarm.code, 1);
    assert.match(noFarm.stderr, /--farm farm-0{32} was refused, so nothing was written: ResourceNotFoundException: Farm farm-0{32} does not exist/);
    assert.match(noFarm.stderr, /Check --farm: `farmtally farms list` shows the farms/);
    assert.doesNotMatch(noFarm.stderr, /fix the file/);
    const badFarm = await runImport([file, '--farm', 'farm-...', '--endpoint', ft.url]);
    assert.equal(badFarm.code, 1);
    assert.match(badFarm.stderr, /--farm farm-\.\.\. was refused, so nothing was written: ValidationException: .*farm-\[0-9a-f\]\{32\}/);
    assert.match(badFarm.stderr, /Check --farm/);
    const odd = join(dir, 'sessions.txt');
    writeFileSync(odd, '');
    const unknown = await importFile(odd);
    assert.equal(unknown.code, 2); // bad usage: the command line must say the format
    assert.match(unknown.stderr, /give --format ndjson or --format csv/);
  });

  test('gzip files: known by their bytes, the format by the name under .gz; a truncated one says so', async () => {
    const records = Array.from({ length: 2000 }, (_, i) => numberedRecord(farm, i, 6));
    const ndjson = join(dir, 'zipped.ndjson.gz');
    writeFileSync(ndjson, gzipSync(records.map((r) => JSON.stringify(r)).join('\n') + '\n'));
    const first = await importFile(ndjson, '--batch-size', '500');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /received 2000, created 2000, updated 0, unchanged 0 \(4 batches,/);
    // The same records as gzipped CSV, named by .csv.gz; and gzip under a name that does not say so.
    const csv = join(dir, 'zipped.csv.gz');
    writeFileSync(csv, gzipSync(toCsv(records)));
    const again = await importFile(csv);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /received 2000, created 0, updated 0, unchanged 2000 \(1 batch,/);
    const unnamed = join(dir, 'zipped.data');
    writeFileSync(unnamed, readFileSync(ndjson));
    const byBytes = await importFile(unnamed, '--format', 'ndjson');
    assert.equal(byBytes.code, 0, byBytes.stderr);
    assert.match(byBytes.stdout, /unchanged 2000/);
    // Cut off: no batch past the cut is written, and the message says what happened and what to do.
    const fresh = Array.from({ length: 2000 }, (_, i) => numberedRecord(farm, i, 7));
    const whole = gzipSync(fresh.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const cut = join(dir, 'cut.ndjson.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const truncated = await importFile(cut, '--batch-size', '5000');
    assert.equal(truncated.code, 1);
    assert.match(truncated.stderr, /cut\.ndjson\.gz is a truncated gzip/);
    assert.match(truncated.stderr, /Nothing was written\./);
    assert.match(truncated.stderr, /Get the whole file again \(`gzip -t /);
    assert.doesNotMatch(truncated.stderr, /UTF-8/);
    const firstOfCut = fresh[0]!;
    await assert.rejects(
      ft.client.send(new GetSessionCommand({ farmId: farm.farmId, queueId: firstOfCut.queueId, jobId: firstOfCut.jobId, sessionId: firstOfCut.sessionId })),
      { name: 'ResourceNotFoundException' },
    );
  });
});
