// A file of session records sent through an Upload: read once, its bytes written to the open
// batch's request as they are read, cut at the line end of every batchSize-th record. Blank
// lines go along but are no records; a CSV record may run over lines inside a quoted cell.
// A gzip file (known by its first two bytes, whatever its name) is decompressed as it is read.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Format, Upload } from './upload.js';

const NEWLINE = 0x0a;
const QUOTE = 0x22;

function hasContent(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i]! > 0x20) return true;
  return false;
}

/** Whether a CSV quoted cell is still open after these bytes, given whether it was before. */
function quotesLeaveOpen(bytes: Buffer, from: number, to: number, open: boolean): boolean {
  for (let i = from; i < to; i++) if (bytes[i] === QUOTE) open = !open;
  return open;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Whether the file starts with gzip's magic bytes. */
export function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    closeSync(fd);
  }
}

/** A gzip file that could not be decompressed: cut off before its end (`truncated`), or damaged. */
export class GzipFailed extends Error {
  constructor(
    readonly truncated: boolean,
    cause: Error,
  ) {
    super(truncated ? 'truncated gzip' : `damaged gzip (${cause.message})`, { cause });
  }
}

/** The file's bytes (decompressed if gzip), and how many of the file's own bytes were read so far. */
function readRecords(file: string): { chunks: AsyncIterable<Buffer>; bytesRead: () => number } {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const bytesRead = () => raw.bytesRead;
  if (!isGzip(file)) return { chunks: raw as AsyncIterable<Buffer>, bytesRead };
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (err) => gunzip.destroy(err));
  raw.pipe(gunzip);
  async function* chunks(): AsyncIterable<Buffer> {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'Z_BUF_ERROR') throw new GzipFailed(true, err as Error);
      if (code === 'Z_DATA_ERROR') throw new GzipFailed(false, err as Error);
      throw err;
    } finally {
      raw.destroy();
    }
  }
  return { chunks: chunks(), bytesRead };
}

/** The file line that a line of a batch's body came from. */
export function fileLine(bodyLine: number, batch: { firstLine: number }, format: Format, headerLine: number): number {
  if (format === 'ndjson') return batch.firstLine + bodyLine - 1;
  // A CSV body repeats file lines 1..headerLine (the header and any blank lines before it).
  return bodyLine <= headerLine ? bodyLine : batch.firstLine + bodyLine - headerLine - 1;
}

/** Reads the file once, cutting it into batches at the line ends of records. */
export async function uploadFile(file: string, batches: Upload, onChunk: (bytesRead: number, records: number) => void = () => undefined): Promise<number> {
  const format = batches.format;
  const beforeHeader: Buffer[] = [];
  let line = 0; // lines ended so far
  let lineHasContent = false; // a non-blank byte since the record began
  let insideQuotes = false; // CSV: a quoted cell goes on past this line end
  let records = 0;
  const input = readRecords(file);
  for await (const chunk of input.chunks) {
    let from = 0; // the first byte of this chunk not yet sent
    let pos = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, pos);
      const end = newline === -1 ? chunk.length : newline;
      if (!lineHasContent) lineHasContent = hasContent(chunk, pos, end);
      if (format === 'csv') insideQuotes = quotesLeaveOpen(chunk, pos, end, insideQuotes);
      if (newline === -1) break;
      pos = newline + 1;
      line++;
      // A blank line is sent along but is no record; a quoted cell open at the line end
      // carries the record on to the next line.
      if (!lineHasContent || insideQuotes) continue;
      lineHasContent = false;
      if (format === 'csv' && !batches.header) {
        batches.header = Buffer.concat([...beforeHeader, chunk.subarray(from, pos)]);
        batches.headerLine = line;
        batches.nextFirstLine = line + 1;
        from = pos;
        continue;
      }
      records++;
      if (await batches.recordEnded(line)) {
        await batches.send(chunk.subarray(from, pos));
        from = pos;
        await batches.close();
      }
    }
    if (format === 'csv' && !batches.header) beforeHeader.push(Buffer.from(chunk.subarray(from)));
    else await batches.send(chunk.subarray(from));
    onChunk(input.bytesRead(), records);
  }
  if (lineHasContent && (batches.header || format === 'ndjson')) {
    records++;
    batches.lastLineUnended(line + 1);
  }
  await batches.close();
  return records;
}

