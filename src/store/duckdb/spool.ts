// Spools a large batch's body to a file as it arrives, before the batch takes a batch slot
// or a connection (a slow upload then holds only its file), and for the bulk load (DuckDB
// reads a whole NDJSON file at once; when the load cannot vouch for it, the careful reader
// reads the same bytes again from the file). Memory stays at one chunk whatever the body's
// size. Files live in one spool folder per store, named `ingest-*.ndjson`; the operation
// releases its file when the batch ends, and a store opening deletes what a crash left behind.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StorageFault, type ReceivedBody } from '../store.js';

/** A body in a spool file: what `receiveBody` answers, and what the bulk load reads. */
export class SpooledBody implements ReceivedBody {
  private released = false;

  constructor(
    readonly path: string,
    readonly bytes: number,
    /**
     * The longest line in bytes, without its `\n` (a `\r` before it counts, one byte over the
     * line readers' measure, which at worst sends a line at the cap to the careful path).
     */
    readonly longestLine: number,
  ) {}

  chunks(): AsyncIterable<Buffer> {
    if (this.released) throw new Error('the spooled body was released already');
    return createReadStream(this.path, { highWaterMark: 1 << 20 });
  }

  async release(): Promise<void> {
    this.released = true;
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

const SPOOLED = /^ingest-[0-9a-f]+\.ndjson$/;

/** Makes the spool folder and empties it of files a previous run left behind. */
export function prepareSpoolDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (SPOOLED.test(name)) rmSync(join(dir, name), { force: true });
}

/**
 * Writes the body to a new file in `dir`. On any failure (a broken upload, a full disk) the
 * file is gone and the error thrown: the body's own error as it is, a full disk as StorageFault.
 */
export async function spoolBody(body: AsyncIterable<Buffer> | Iterable<Buffer>, dir: string): Promise<SpooledBody> {
  const path = join(dir, `ingest-${randomBytes(12).toString('hex')}.ndjson`);
  let longestLine = 0;
  let bytes = 0;
  let line = 0; // bytes of the current line so far
  async function* measured(source: AsyncIterable<Buffer> | Iterable<Buffer>) {
    for await (const chunk of source) {
      bytes += chunk.length;
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        longestLine = Math.max(longestLine, line + nl - start);
        line = 0;
        start = nl + 1;
      }
      line += chunk.length - start;
      yield chunk;
    }
    longestLine = Math.max(longestLine, line);
  }
  try {
    await pipeline(measured(body), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await rm(path, { force: true }).catch(() => undefined);
    const code = (err as { code?: string }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') throw StorageFault.noSpace(`spooling the body: ${(err as Error).message}`);
    throw err;
  }
  return new SpooledBody(path, bytes, longestLine);
}
