// `farmtally import FILE`: streams a file of session records (NDJSON or CSV) into the ingest
// route in batches, without reading the file whole: the file's bytes go to the request as
// they are read, cut at line ends every --batch-size records (CSV repeats its header in each
// batch). A batch is all or nothing on the server, so a rejected batch stops the import
// with the file lines to fix; the batches before it are committed, and re-sending them is
// harmless (their records come back `unchanged`).
import { createReadStream, statSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Progress } from './progress.js';

type Format = 'ndjson' | 'csv';
const CONTENT_TYPES: Record<Format, string> = { ndjson: 'application/x-ndjson', csv: 'text/csv' };
const FORMAT_OF_EXTENSION: Record<string, Format> = { '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.csv': 'csv' };
const NEWLINE = 0x0a;
const QUOTE = 0x22;

interface Counts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

interface ImportOptions {
  farm: string;
  endpoint: string;
  format?: Format;
  batchSize: number;
}

/** What a batch's request came back with. */
interface Answer {
  status: number;
  errorType?: string;
  body: { message?: string; fieldList?: { name: string; message: string }[] } & Partial<Counts>;
}

/** One batch's request: its body is written as the file is read. */
class BatchRequest {
  private readonly request: ClientRequest;
  readonly answer: Promise<Answer>;
  private answered = false;

  constructor(url: URL, contentType: string, agent: HttpAgent) {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    this.request = send(url, { method: 'POST', agent, headers: { 'content-type': contentType } });
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
      await new Promise<void>((resolve) => {
        this.request.once('drain', resolve);
        this.request.once('close', resolve);
      });
    }
    return !this.answered;
  }

  end(): Promise<Answer> {
    this.request.end();
    return this.answer;
  }
}

class ImportFailed extends Error {}

interface Batch {
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
function fileLine(bodyLine: number, batch: { firstLine: number }, format: Format, headerLine: number): number {
  if (format === 'ndjson') return batch.firstLine + bodyLine - 1;
  // A CSV body repeats file lines 1..headerLine (the header and any blank lines before it).
  return bodyLine <= headerLine ? bodyLine : batch.firstLine + bodyLine - headerLine - 1;
}

function rejection(answer: Answer, batch: { number: number; firstLine: number; lastLine: number }, format: Format, headerLine: number): string {
  const where = `batch ${batch.number} (file lines ${batch.firstLine} to ${batch.lastLine})`;
  const fields = answer.body.fieldList ?? [];
  if (answer.errorType !== 'ValidationException' || fields.length === 0) {
    return `${where} failed: ${answer.errorType ?? `HTTP ${answer.status}`}: ${answer.body.message ?? ''}`;
  }
  const lines = fields.map((f) => {
    const m = /^line (\d+): (.*)$/s.exec(f.message);
    const at = m ? `file line ${fileLine(Number(m[1]), batch, format, headerLine)}` : 'the batch';
    return `  ${at}, ${f.name}: ${m ? m[2] : f.message}`;
  });
  const total = /fieldList shows the first \d+ of (\d+) problems/.exec(answer.body.message ?? '');
  const more = total ? `\n  (${fields.length} of ${total[1]} problems shown)` : '';
  return `${where} was rejected; nothing of it was written:\n${lines.join('\n')}${more}`;
}

function unreachable(err: unknown, endpoint: string, batch: number): string {
  const code = (err as { code?: string }).code ?? '';
  const why = err instanceof Error ? err.message : String(err);
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(code)) {
    return `cannot reach farmtally at ${endpoint} (${code}). Is the server running there? Start it with \`npx farmtally serve\`, or fix --endpoint.`;
  }
  return `the connection to ${endpoint} broke while sending batch ${batch} (${why}); that batch was not written (a batch is all or nothing). Check the server, then run the import again.`;
}

/**
 * The batches of one import: each is a request whose body is written as the file is read,
 * ended every `batchSize` records. Keeps the totals and what has been committed.
 */
class Upload {
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
    private readonly endpoint: string,
    private readonly agent: HttpAgent,
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
      throw new ImportFailed(unreachable(err, this.endpoint, batch.number));
    }
    if (answer.status !== 200) throw new ImportFailed(rejection(answer, batch, this.format, this.headerLine));
    for (const k of ['received', 'created', 'updated', 'unchanged'] as const) this.totals[k] += answer.body[k] ?? 0;
    this.committed.batches = batch.number;
    this.committed.lastLine = batch.lastLine;
  }

  private async open(): Promise<Batch> {
    const request = new BatchRequest(this.url, CONTENT_TYPES[this.format], this.agent);
    this.batch = { number: this.committed.batches + 1, firstLine: this.nextFirstLine, lastLine: this.nextFirstLine, records: 0, request };
    if (this.header) await request.write(this.header);
    return this.batch;
  }
}

/** Reads the file once, cutting it into batches at the line ends of records. */
async function upload(file: string, format: Format, batches: Upload, onChunk: (bytesRead: number, records: number) => void): Promise<number> {
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

async function runImport(file: string, o: ImportOptions): Promise<void> {
  const format = o.format ?? FORMAT_OF_EXTENSION[extname(file).toLowerCase()];
  if (!format) throw new ImportFailed(`cannot tell the format of ${file} from its extension; give --format ndjson or --format csv.`);
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new ImportFailed(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const url = new URL(`${o.endpoint.replace(/\/+$/, '')}/ingest/v1/farms/${encodeURIComponent(o.farm)}/sessions`);
  const agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const batches = new Upload(url, format, o.batchSize, o.endpoint, agent);
  const progress = new Progress(`import ${file}`);
  const started = Date.now();
  let lastShown = 0;
  let records: number;
  try {
    records = await upload(file, format, batches, (bytesRead, sent) => {
      if (Date.now() - lastShown < 250) return;
      lastShown = Date.now();
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      progress.update(`${sent} records sent, ${Math.round(sent / seconds)} records/s, ${size ? Math.floor((bytesRead / size) * 100) : 100}% of the file`);
    });
  } catch (err) {
    progress.done('stopped');
    if (!(err instanceof ImportFailed)) throw err;
    const { batches: done, lastLine } = batches.committed;
    const before = done
      ? `Batches 1 to ${done} (file lines up to ${lastLine}) were committed; re-sending them is safe (their records come back unchanged), so fix the file and run the same import again.`
      : 'No batch was committed; fix the file and run the import again.';
    throw new ImportFailed(`${err.message}\n${before}`);
  } finally {
    agent.destroy();
  }
  const seconds = (Date.now() - started) / 1000;
  progress.done(`${records} records sent`);
  const { received, created, updated, unchanged } = batches.totals;
  const n = batches.committed.batches;
  console.log(
    `imported ${file}: received ${received}, created ${created}, updated ${updated}, unchanged ${unchanged} ` +
      `(${n} batch${n === 1 ? '' : 'es'}, ${seconds.toFixed(1)} s, ${Math.round(received / Math.max(seconds, 0.001))} records/s)`,
  );
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a batch size is a whole number of records, at least 1.');
  return n;
}

export function importCommand(): Command {
  return new Command('import')
    .description('Stream a file of session records (NDJSON or CSV) into a farm, in all-or-nothing batches.')
    .argument('<file>', 'the records: .ndjson/.jsonl (one JSON object per line) or .csv (a header row of field names)')
    .requiredOption('--farm <farmId>', 'the farm the records belong to')
    .requiredOption('--endpoint <url>', 'the farmtally server, e.g. http://127.0.0.1:8080')
    .addOption(new Option('--format <format>', 'the file format (default: from the extension)').choices(['ndjson', 'csv']))
    .option('--batch-size <n>', 'records per batch (one request, one transaction)', positiveInteger, 50_000)
    .action(async (file: string, o: ImportOptions) => {
      try {
        await runImport(file, o);
      } catch (err) {
        console.error(`farmtally: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      }
    });
}
