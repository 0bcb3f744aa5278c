// A batch held until whole for its SHA-256 (src/client/held-body.ts): the bytes read back as
// written and hashed, in memory up to the bound, past it in a temporary file that leaves no
// name behind, and a body let go gives its file back.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { HELD_IN_MEMORY_BYTES, HeldBody } from '../src/client/held-body.js';

async function readBack(body: HeldBody): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body.read()) parts.push(part);
  return Buffer.concat(parts);
}

const batchFiles = () => readdirSync(tmpdir()).filter((name) => name.startsWith('farmtally-batch-'));

test('a held body reads back as written, with its SHA-256: in memory up to the bound, then in a file with no name left', async () => {
  assert.equal(HELD_IN_MEMORY_BYTES, 8 * 1024 * 1024);
  const before = batchFiles();
  for (const [bound, pieces, inFile] of [[1024, [100, 900, 24], false], [1024, [1000, 24, 1], true], [1024, [3000, 0, 2_500_000, 7], true]] as const) {
    const body = new HeldBody(bound);
    const written = pieces.map((n) => randomBytes(n));
    const expected = Buffer.concat(written);
    for (const piece of written) {
      await body.write(piece);
      piece.fill(0); // the writer may reuse its buffer: the body keeps its own copy
    }
    assert.equal(body.size, expected.length);
    assert.equal(body.inFile, inFile, `pieces ${pieces.join(', ')}`);
    assert.ok((await readBack(body)).equals(expected), `pieces ${pieces.join(', ')}`);
    assert.equal(body.sha256(), createHash('sha256').update(expected).digest('hex'));
    assert.deepEqual(batchFiles(), before, 'a held batch left its file behind');
    await body.dispose();
    assert.deepEqual(await readBack(body), Buffer.alloc(0));
  }
});

test('a held body reads back the very bytes written, and takes none after its hash', async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const body = new HeldBody(1024 * 1024);
  for (let at = 0; at < bytes.length; at += 65_536) await body.write(Buffer.from(bytes.subarray(at, at + 65_536)));
  assert.ok(body.inFile);
  assert.ok((await readBack(body)).equals(bytes));
  assert.ok((await readBack(body)).equals(bytes), 'read twice');
  assert.equal(body.sha256(), createHash('sha256').update(bytes).digest('hex'));
  await assert.rejects(body.write(Buffer.from('more')), /takes no more bytes/);
  await body.dispose();
});
