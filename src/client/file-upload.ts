// A file of session records sent through an Upload: read once, its bytes written to the open
// batch's request as they are read, cut at the line end of every batchSize-th record. Blank
// lines go along but are no records; a CSV record may run over lines inside a quoted cell.
import { createReadStream } from 'node:fs';
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
  let bytesRead = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    bytesRead += chunk.length;
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
    onChunk(bytesRead, records);
  }
  if (lineHasContent && (batches.header || format === 'ndjson')) {
    records++;
    batches.lastLineUnended(line + 1);
  }
  await batches.close();
  return records;
}

