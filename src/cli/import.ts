// `farmtally import FILE`: streams a file of session records (NDJSON or CSV) into the ingest
// route in batches without reading the file whole (src/client/file-upload.ts), with progress on
// stderr and the totals on stdout. A batch is all or nothing on the server, so a rejected
// batch stops the import with the file lines to fix; the batches before it are committed,
// and re-sending them is harmless (their records come back `unchanged`).
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { Command, Option } from 'commander';
import { authHint, untrustedCertificate } from '../client/advice.js';
import { ingestSignerFor } from '../client/credentials.js';
import { fileLine, GzipFailed, uploadFile } from '../client/file-upload.js';
import type { Answer } from '../client/ingest-request.js';
import { BatchFailed, DEFAULT_BATCH_SIZE, ingestUrl, Upload, type Batch, type Format } from '../client/upload.js';
import { fail } from './client.js';
import { EXIT, usageError } from './exit.js';
import { wholeNumber, withConnectionOptions, type ConnectionOptions } from './options.js';
import { Progress } from './progress.js';

const FORMAT_OF_EXTENSION: Record<string, Format> = { '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.csv': 'csv' };

/** The format a file's name says: its extension, under a `.gz` one (x.ndjson.gz is NDJSON). */
function formatOfName(file: string): Format | undefined {
  const name = file.replace(/\.gz$/i, '');
  return FORMAT_OF_EXTENSION[extname(name).toLowerCase()];
}

interface ImportOptions extends ConnectionOptions {
  farm: string;
  format?: Format;
  batchSize: number;
}

class ImportFailed extends Error {}

function rejection(answer: Answer, batch: Batch, format: Format, headerLine: number): string {
  const where = `batch ${batch.number} (file lines ${batch.firstLine} to ${batch.lastLine})`;
  const fields = answer.body.fieldList ?? [];
  if (answer.errorType !== 'ValidationException' || fields.length === 0) {
    const hint = authHint(answer.errorType);
    return `${where} failed: ${answer.errorType ?? `HTTP ${answer.status}`}: ${answer.body.message ?? ''}${hint ? `\n${hint}` : ''}`;
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

/** ` --port N` for an endpoint that names a port other than serve's default, else nothing. */
function portOption(endpoint: string): string {
  try {
    const port = new URL(endpoint).port;
    return port && port !== '8080' ? ` --port ${port}` : '';
  } catch {
    return '';
  }
}

function unreachable(err: unknown, endpoint: string, batch: number): string {
  const code = (err as { code?: string }).code ?? '';
  const why = err instanceof Error ? err.message : String(err);
  const certificate = untrustedCertificate(err);
  if (certificate) return certificate;
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(code)) {
    return `cannot reach farmtally at ${endpoint} (${code}). Is the server running there? Start it with \`npx farmtally serve${portOption(endpoint)}\` on that host, or fix --endpoint.`;
  }
  return `the connection to ${endpoint} broke while sending batch ${batch} (${why}); that batch was not written (a batch is all or nothing). Check the server, then run the import again.`;
}

/** Whether the server refused the farm itself (malformed or unknown), not a record of the file. */
function farmRefused(answer: Answer): boolean {
  const fields = answer.body.fieldList ?? [];
  if (answer.errorType === 'ValidationException') return fields.length > 0 && fields.every((f) => f.name === 'farmId');
  return answer.errorType === 'ResourceNotFoundException' && (answer.body as { resourceType?: string }).resourceType === 'farm';
}

/** What a failed batch means for the user, and what to do. */
function explain(err: BatchFailed, endpoint: string, format: Format, headerLine: number): string {
  return err.answer ? rejection(err.answer, err.batch, format, headerLine) : unreachable(err.networkError, endpoint, err.batch.number);
}

/** Refusals of the request's key, by error type: what the server said about it, in words. */
const KEY_REFUSED: Record<string, string> = {
  UnrecognizedClientException: 'the server does not know the access key this import signed with',
  MissingAuthenticationTokenException: 'the server runs in sigv4 mode and this import was not signed',
  InvalidSignatureException: "the server refused this import's signature",
  IncompleteSignatureException: "the server refused this import's signature",
  AccessDeniedException: "this key's principal is not granted deadline:IngestSessions on this farm",
};

/** A failed batch's error message for a refusal of the key or its grants, or undefined for any other failure. */
function keyRefused(answer: Answer, endpoint: string): string | undefined {
  const what = answer.errorType ? KEY_REFUSED[answer.errorType] : undefined;
  if (!what) return undefined;
  return `${what} (${endpoint} answered ${answer.errorType}: ${answer.body.message ?? ''})\n${authHint(answer.errorType)}`;
}

/** The closing line of a failed import: what was kept, and what to fix before running it again. */
function closing(err: BatchFailed, committed: { batches: number; lastLine: number }): string {
  const kept = committed.batches
    ? `Batches 1 to ${committed.batches} (file lines up to ${committed.lastLine}) were committed; re-sending them is safe (their records come back unchanged)`
    : 'No batch was committed';
  const errorType = err.answer?.errorType;
  let fix: string;
  if (!err.answer) fix = 'once the server answers, run the same import again';
  else if (errorType && KEY_REFUSED[errorType]) fix = 'the file is not at fault: fix the credentials or the grant, then run the same import again';
  else if (errorType === 'ValidationException') fix = committed.batches ? 'so fix the file and run the same import again' : 'fix the file and run the import again';
  else fix = 'the file is not at fault: once the server is fixed, run the same import again';
  return `${kept}; ${fix}.`;
}

/** What a gzip file that could not be read to its end means, and what to do. */
function gzipFailed(file: string, err: GzipFailed, committed: { batches: number; lastLine: number }): string {
  const what = err.truncated
    ? `${file} is a truncated gzip: it ends before its compressed data does (a download or copy cut short?).`
    : `${file} is a ${err.message}.`;
  const before = committed.batches
    ? `Batches 1 to ${committed.batches} (decompressed lines up to ${committed.lastLine}) were committed; the rest was not written.`
    : 'Nothing was written.';
  return `${what} ${before}\nGet the whole file again (\`gzip -t ${file}\` checks it), then run the same import again; batches already committed come back unchanged.`;
}

async function runImport(file: string, o: ImportOptions): Promise<void> {
  const format = o.format ?? formatOfName(file);
  if (!format) usageError(`cannot tell the format of ${file} from its extension; give --format ndjson or --format csv.`, 'import');
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new ImportFailed(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const batches = new Upload(ingestUrl(o.endpoint, o.farm), { format, batchSize: o.batchSize, sign: ingestSignerFor(o.region, o.profile) });
  const progress = new Progress(`import ${file}`);
  const started = Date.now();
  let lastShown = 0;
  let records: number;
  try {
    records = await uploadFile(file, batches, (bytesRead, read) => {
      if (Date.now() - lastShown < 250) return;
      lastShown = Date.now();
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      // Records read are not records the server has: a batch may be refused or never arrive.
      const committed = batches.totals.received;
      progress.update(`${read} records read, ${committed} committed, ${Math.round(read / seconds)} records/s, ${size ? Math.floor((bytesRead / size) * 100) : 100}% of the file`);
    });
  } catch (err) {
    progress.done(`stopped, ${batches.totals.received} records committed`);
    if (err instanceof GzipFailed) throw new ImportFailed(gzipFailed(file, err, batches.committed));
    if (!(err instanceof BatchFailed)) throw err;
    if (err.answer && farmRefused(err.answer)) {
      const why = `${err.answer.errorType}: ${err.answer.body.fieldList?.[0]?.message ?? err.answer.body.message ?? ''}`;
      throw new ImportFailed(`--farm ${o.farm} was refused, so nothing was written: ${why}\nCheck --farm: \`farmtally farms list\` shows the farms and their IDs.`);
    }
    const refused = err.answer && keyRefused(err.answer, o.endpoint);
    throw new ImportFailed(`${refused || explain(err, o.endpoint, format, batches.headerLine)}\n${closing(err, batches.committed)}`);
  } finally {
    batches.dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  progress.done(`${records} records sent`);
  const { received, created, updated, unchanged } = batches.totals;
  const n = batches.committed.batches;
  console.log(
    `imported ${file}: received ${received}, created ${created}, updated ${updated}, unchanged ${unchanged} ` +
      `(${n} batch${n === 1 ? '' : 'es'}, ${seconds.toFixed(1)} s, ${Math.round(received / Math.max(seconds, 0.001))} records/s)`,
  );
  if (batches.batchIds.length) {
    const ids = idRanges(batches.batchIds);
    console.log(`batch ID${batches.batchIds.length === 1 ? '' : 's'} ${ids} (\`farmtally sessions delete --farm ${o.farm} --batch ID\` counts, and with --yes deletes, what one of them wrote)`);
  }
}

/** Batch IDs as runs: 41-44, 47. */
function idRanges(ids: readonly string[]): string {
  const runs: string[] = [];
  let first = Number(ids[0]);
  let last = first;
  for (const id of [...ids.slice(1).map(Number), NaN]) {
    if (id === last + 1) {
      last = id;
      continue;
    }
    runs.push(first === last ? String(first) : `${first}-${last}`);
    first = last = id;
  }
  return runs.join(', ');
}

export function importCommand(): Command {
  const command = new Command('import')
    .description('Stream a file of session records (NDJSON or CSV) into a farm, in all-or-nothing batches.')
    .argument('<file>', 'the records: .ndjson/.jsonl (one JSON object per line) or .csv (a header row of field names); gzip-compressed (.gz) too')
    .requiredOption('--farm <farmId>', 'the farm the records belong to (farmtally farms list shows them)');
  return withConnectionOptions(command)
    .addOption(new Option('--format <format>', 'the file format (default: from the extension)').choices(['ndjson', 'csv']))
    .option('--batch-size <n>', 'records per batch (one request, one transaction)', wholeNumber(1), DEFAULT_BATCH_SIZE)
    .addHelpText(
      'after',
      `
Examples:
  $ farmtally import sessions.ndjson --farm farm-0123456789abcdef0123456789abcdef --endpoint http://127.0.0.1:8080
  $ farmtally import week.txt --format csv --farm farm-... --endpoint https://farmtally.example:8443 --profile render-wrangler
`,
    )
    .action(async (file: string, o: ImportOptions) => {
      try {
        await runImport(file, o);
      } catch (err) {
        if (!(err instanceof ImportFailed)) fail(err);
        console.error(`farmtally: ${err.message}`);
        process.exit(EXIT.FAILED);
      }
    });
}
