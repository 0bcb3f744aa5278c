// A session batch's body, read as records: NDJSON or CSV bytes in, what each line holds out,
// a body chunk at a time so the caller can stage between chunks and memory holds one chunk's
// records. Nothing here judges a record; the ingest operation validates what is read.
import { CsvReader } from './csv.js';
import { readLines } from './lines.js';
import { readNdjson, type RecordSink } from './ndjson.js';

export type SessionFormat = 'ndjson' | 'csv';

/** The media types a batch may be sent as. */
export const SESSION_FORMATS: Readonly<Record<string, SessionFormat>> = { 'application/x-ndjson': 'ndjson', 'text/csv': 'csv' };

/** What one body line held: a record's fields (unvalidated), a record that could not be read, or a problem of the body as a whole. */
export type ReadItem =
  | { kind: 'record'; line: number; value: unknown }
  | { kind: 'unreadable'; line: number; why: string }
  | { kind: 'problem'; name: string; message: string };

/** The body's items, one array per body chunk, in body order. */
export async function* readSessionRecords(body: AsyncIterable<Buffer> | Iterable<Buffer>, format: SessionFormat, maxRecordBytes: number): AsyncGenerator<ReadItem[]> {
  let items: ReadItem[] = [];
  const sink: RecordSink = {
    record: (line, value) => items.push({ kind: 'record', line, value }),
    unreadable: (line, why) => items.push({ kind: 'unreadable', line, why }),
    problem: (name, message) => items.push({ kind: 'problem', name, message }),
  };
  const csv = format === 'csv' ? new CsvReader(sink, maxRecordBytes) : undefined;
  for await (const lines of readLines(body, maxRecordBytes)) {
    if (csv) csv.read(lines);
    else readNdjson(lines, sink, maxRecordBytes);
    yield items;
    items = [];
  }
  csv?.end();
  if (items.length) yield items;
}
