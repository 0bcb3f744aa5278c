// The mechanics of `farmtally import`: a file read once, its bytes written to one request
// per batch as they are read, cut at the line end of every batchSize-th record (a CSV body
// starts with the file's header again). Nothing here prints; failures are BatchFailed.
import { createReadStream } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type Format = 'ndjson' | 'csv';

/**
 * Records per request unless --batch-size says otherwise. A request is one transaction, and
 * its work on the server has a part that does not grow with the batch (one pass over the
 * stored session keys, a commit); from about 122 880 records (a DuckDB row group) the engine
 * also writes the batch straight to the data file and uses both cores. Into 10 M sessions,
 * 250 000 took 1 M records in about 11 s where 100 000 took 18 s; 500 000 and 1 000 000
 * gained no more (BENCHMARKS.md). A rejected batch is sent again whole, so not larger.
 */
export const DEFAULT_BATCH_SIZE = 250_000;
const CONTENT_TYPES: Record<Format, string> = { ndjson: 'application/x-ndjson', csv: 'text/csv' };
const NEWLINE = 0x0a;
const QUOTE = 0x22;

export interface Counts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

/** What a batch's request came back with. */
export interface Answer {
  status: number;
  errorType?: string;
  body: { message?: string; fieldList?: { name: string; message: string }[] } & Partial<Counts>;
}

/** One batch's request: its body is written as the file is read. */
class BatchRequest {
  private readonly request: ClientRequest;
  readonly answer: Promise<Answer>;
  private answered = false;

  constructor(url: URL, headers: Record<string, string>, agent: HttpAgent) {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    this.request = send(url, { method: 'POST', agent, headers });
    this.answer = new Promise<Answer>((resolve, reject) => {
      this.request.on('response', (res: IncomingMessage) => {
        this.answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let body: Answer['body'] = {};
          try {
            body = JSON.parse(text);
          } catch {
            body = { message: text.slice(0, 500) || `HTTP ${res.statusCode}` };
          }
          const errorType = res.headers['x-amzn-errortype'];
          resolve({ status: res.statusCode ?? 0, errorType: typeof errorType === 'string' ? errorType : undefined, body });
        });
      });
      // Once the server has answered (an early rejection), a broken upload does not matter.
      this.request.on('error', (err) => (this.answered ? undefined : reject(err)));
    });
    this.answer.catch(() => undefined);
  }

  /** Sends bytes; false once the server has answered early and wants no more. */
  async write(bytes: Buffer): Promise<boolean> {
    if (this.answered) return false;
    if (!this.request.write(bytes)) {
      // Wait for any; remove the others, or every slow write would leave listeners behind.
      // An early answer ends the wait too: the server may read what follows slowly, or not
      // at all, until it closes the connection (after 10 s), and the answer is all we need.
      await new Promise<void>((resolve) => {
        const events = ['drain', 'close', 'response'] as const;
        const done = () => {
          for (const e of events) this.request.off(e, done);
          resolve();
        };
        for (const e of events) this.request.on(e, done);
      });
    }
    return !this.answered;
  }

  end(): Promise<Answer> {
    this.request.end();
    return this.answer;
  }
}

export interface Batch {
  number: number;
  firstLine: number;
  lastLine: number;
  records: number;
  request: BatchRequest;
}

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

/** A batch the server did not take: its answer (a rejection), or why there was none. */
export class BatchFailed extends Error {
  constructor(
    readonly batch: Batch,
    readonly answer: Answer | undefined,
    readonly networkError?: unknown,
  ) {
    super(answer ? `batch ${batch.number} was rejected` : `batch ${batch.number} got no answer`);
  }
}

/**
 * The batches of one import: each is a request whose body is written as the file is read,
 * ended every `batchSize` records. Keeps the totals and what has been committed.
 */
export class Upload {
  /** CSV: file lines 1..headerLine (the header and blank lines before it), sent first in every batch. */
  header: Buffer | undefined;
  headerLine = 0;
  /** Where the next batch starts in the file. */
  nextFirstLine = 1;
  readonly totals: Counts = { received: 0, created: 0, updated: 0, unchanged: 0 };
  readonly committed = { batches: 0, lastLine: 0 };
  private batch: Batch | undefined;

  constructor(
    private readonly url: URL,
    private readonly format: Format,
    private readonly batchSize: number,
    private readonly agent: HttpAgent,
    /** Adds the signature's headers to a batch's (sigv4 mode); the body goes unsigned, as it streams. */
    private readonly sign: (url: URL, headers: Record<string, string>) => Promise<Record<string, string>> = async (_url, headers) => headers,
  ) {}

  async send(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    const batch = this.batch ?? (await this.open());
    // The server answered before the batch was whole: a rejection, which close() throws.
    if (!(await batch.request.write(bytes))) await this.close();
  }

  /** A record ended on `line`; true when it fills the batch (send its bytes, then close). */
  async recordEnded(line: number): Promise<boolean> {
    const batch = this.batch ?? (await this.open());
    batch.records++;
    batch.lastLine = line;
    return batch.records >= this.batchSize;
  }

  /** The last record had no line end: it is on `line`. */
  lastLineUnended(line: number): void {
    if (this.batch) this.batch.lastLine = line;
  }

  async close(): Promise<void> {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    this.nextFirstLine = batch.lastLine + 1;
    let answer: Answer;
    try {
      answer = await batch.request.end();
    } catch (err) {
      throw new BatchFailed(batch, undefined, err);
    }
    if (answer.status !== 200) throw new BatchFailed(batch, answer);
    for (const k of ['received', 'created', 'updated', 'unchanged'] as const) this.totals[k] += answer.body[k] ?? 0;
    this.committed.batches = batch.number;
    this.committed.lastLine = batch.lastLine;
  }

  private async open(): Promise<Batch> {
    const request = new BatchRequest(this.url, await this.sign(this.url, { 'content-type': CONTENT_TYPES[this.format] }), this.agent);
    this.batch = { number: this.committed.batches + 1, firstLine: this.nextFirstLine, lastLine: this.nextFirstLine, records: 0, request };
    if (this.header) await request.write(this.header);
    return this.batch;
  }
}

/** Reads the file once, cutting it into batches at the line ends of records. */
export async function uploadFile(file: string, format: Format, batches: Upload, onChunk: (bytesRead: number, records: number) => void): Promise<number> {
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

