// Spools a request body to a file as it streams in, for ingest's fast path (the store reads
// the whole file at once; when it cannot vouch for it, the careful reader reads the same
// bytes again). Memory stays at one chunk whatever the body's size; the file holds the body
// as decoded (gzip already undone). Files live in one spool folder per server, named
// `ingest-*.ndjson`; the caller deletes each when its request ends, and a server starting up
// deletes what a crash left behind.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tooManyRecords } from '../../operations/ingest-sessions.js';
import { BodyRefused } from '../body-guard.js';

export interface SpooledBody {
  path: string;
  /**
   * The longest line in bytes, without its `\n` (a `\r` before it counts, one byte over the
   * line readers' measure, which at worst sends a line at the cap to the careful path).
   */
  longestLine: number;
}

const SPOOLED = /^ingest-[0-9a-f]+\.ndjson$/;

/** Makes the spool folder and empties it of files a previous run left behind. */
export function prepareSpoolDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (SPOOLED.test(name)) rmSync(join(dir, name), { force: true });
}

/**
 * Writes the body to a new file in `dir`, refusing it (BodyRefused) as soon as it has more
 * than `maxRecords` lines that are not empty; on any failure (a broken upload, a full disk)
 * the file is gone and the error thrown.
 */
export async function spoolBody(body: AsyncIterable<Buffer>, dir: string, maxRecords: number): Promise<SpooledBody> {
  const path = join(dir, `ingest-${randomBytes(12).toString('hex')}.ndjson`);
  let longestLine = 0;
  let line = 0; // bytes of the current line so far
  let lines = 0; // lines ended that were not empty: records, but for lines of spaces
  async function* measured(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const length = line + nl - start;
        longestLine = Math.max(longestLine, length);
        if (length > 0 && ++lines > maxRecords) throw new BodyRefused(tooManyRecords(maxRecords));
        line = 0;
        start = nl + 1;
      }
      line += chunk.length - start;
      yield chunk;
    }
    longestLine = Math.max(longestLine, line);
    if (line > 0 && ++lines > maxRecords) throw new BodyRefused(tooManyRecords(maxRecords));
  }
  try {
    await pipeline(body, measured, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await rm(path, { force: true }).catch(() => undefined);
    throw err;
  }
  return { path, longestLine };
}
