// POST /ingest/v1/farms/{farmId}/sessions: session records as NDJSON or CSV, read as the body
// streams in (no body size limit, bounded memory: one body chunk and one line at a time),
// answered with {received, created, updated, unchanged}. The route lives outside the API's
// JSON body handling, in its own plugin scope.
//
// The body is bounded (body-guard): it must keep arriving, stops when the server stops, and
// may hold so many bytes once unzipped and so many records; a few batches are taken at once
// (batch-slots). An answer sent before the body is whole reaches the client; the rest of the
// body is then dropped within bounds (early-answers.ts), never read as records.
//
// NDJSON takes the fast path when it is on: the body is spooled to a file as it streams in,
// and the store stages the whole file in one go if it can vouch for every record; if not, the
// careful reader below reads the same file record by record, which alone words the answer to
// a bad batch. The file is deleted however the request ends. CSV is always read record by
// record as it streams.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FarmId } from '../operations/common-shapes.js';
import type { OperationContext } from '../operations/context.js';
import { fieldValidationError, noSpaceError, ServiceError, validationError } from '../operations/errors.js';
import { SessionIngest } from '../operations/ingest-sessions.js';
import { validate } from '../operations/validation/validate.js';
import { BatchSlots } from './ingest/batch-slots.js';
import { BodyRefused, pacedBody, sizedBody, type BodyPace, type BodySize } from './body-guard.js';
import { CsvReader } from './ingest/csv.js';
import { readLines } from './ingest/lines.js';
import { readNdjson } from './ingest/ndjson.js';
import { prepareSpoolDir, spoolBody } from './ingest/spool.js';

export const INGEST_ROUTE = '/ingest/v1/farms/:farmId/sessions';
/** The most one line (NDJSON) or record (CSV) may take: a record is a few hundred bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;
export const INGEST_ACTION = 'deadline:IngestSessions';

const FORMATS: Record<string, 'ndjson' | 'csv'> = { 'application/x-ndjson': 'ndjson', 'text/csv': 'csv' };

export interface IngestLimits extends BodyPace, BodySize {
  /** Batches taken at once; more wait up to `slotWaitMs`, then are throttled. */
  concurrentBatches: number;
  slotWaitMs: number;
}

export interface IngestRouteOptions {
  context: (caller: string) => OperationContext;
  limits: IngestLimits;
  /** Aborted when the server begins to stop: bodies still arriving are refused whole. */
  stopping: AbortSignal;
  /**
   * Who is calling, once allowed to perform `action` on the farm, and the body to read;
   * throws a ServiceError otherwise (wire/auth/access.ts). Without it every caller is
   * `farmtally` and the body is read as received.
   */
  authorize?: (request: FastifyRequest, action: string, farmId: string) => IngestAccess;
  /** Folder for spooled NDJSON bodies; without it, a private one in the system's temporary folder. */
  spoolDir?: string;
  /** Told which path staged each NDJSON batch, and why the careful one when it did. */
  trace?: (line: string) => void;
}

/** The caller of one ingest request and its body, as the authorization seam gives them. */
export interface IngestAccess {
  caller: string;
  /** The body as received (the request itself, or a stream that checks it as it passes). */
  body: Readable;
  /** Throws when the bytes read differ from what the client signed; before the commit. */
  checkBody(): Promise<void>;
}

function formatOf(contentType: string | undefined): 'ndjson' | 'csv' {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const format = FORMATS[mediaType];
  if (format) return format;
  const given = mediaType ? `Unsupported content-type '${mediaType}'` : 'The request has no content-type';
  throw validationError(
    `${given}. Send session records as application/x-ndjson (one JSON object per line) or text/csv (a header row of field names, then one record per row).`,
    [],
    'CANNOT_PARSE',
  );
}

function gzipped(request: FastifyRequest): boolean {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === 'gzip') return encoding === 'gzip';
  throw validationError(`Unsupported content-encoding '${encoding}'. Send the body as is, or compressed with gzip.`, [], 'CANNOT_PARSE');
}

/** The body as sent, within the limits: gzip (large files travel well compressed) is undone as it streams. */
function decoded(received: AsyncIterable<Buffer>, gzip: boolean, limits: IngestLimits, stopping: AbortSignal): AsyncIterable<Buffer> {
  let sent = 0;
  const paced = pacedBody(received, limits, stopping);
  if (!gzip) return sizedBody(paced, limits);
  const counted = (async function* () {
    for await (const chunk of paced) {
      sent += chunk.length;
      yield chunk;
    }
  })();
  // pipeline, not pipe: a request that breaks off must end the reading with an error too.
  const gunzip = createGunzip();
  pipeline(counted, gunzip, () => undefined);
  return sizedBody(gunzip, limits, () => sent);
}

async function readBody(body: AsyncIterable<Buffer>, format: 'ndjson' | 'csv', ingest: SessionIngest): Promise<void> {
  const csv = format === 'csv' ? new CsvReader(ingest, MAX_RECORD_BYTES) : undefined;
  for await (const lines of readLines(body, MAX_RECORD_BYTES)) {
    if (csv) csv.read(lines);
    else readNdjson(lines, ingest, MAX_RECORD_BYTES);
    // Staging between chunks keeps memory at one chunk's records, whatever the body's size.
    await ingest.stage();
  }
  csv?.end();
}

/** NDJSON through the spool: the store's bulk load when it vouches for the batch, else the careful reader on the same bytes. */
async function readSpooled(body: AsyncIterable<Buffer>, ingest: SessionIngest, spoolDir: string, maxRecords: number, trace: ((why: string) => void) | undefined): Promise<void> {
  const spooled = await spoolBody(body, spoolDir, maxRecords);
  try {
    let careful: string;
    const started = performance.now();
    if (spooled.longestLine > MAX_RECORD_BYTES) {
      careful = `a line is longer than ${MAX_RECORD_BYTES} bytes`;
    } else {
      const loaded = await ingest.loadSpooledNdjson(spooled.path);
      if (loaded.staged) {
        trace?.(`${loaded.records} records staged by the bulk load (${Math.round(performance.now() - started)} ms)`);
        return;
      }
      careful = loaded.why;
    }
    trace?.(`read record by record: ${careful}`);
    await readBody(createReadStream(spooled.path, { highWaterMark: 1 << 20 }), 'ndjson', ingest);
    trace?.(`read record by record in ${Math.round(performance.now() - started)} ms`);
  } finally {
    await rm(spooled.path, { force: true }).catch(() => undefined);
  }
}

/** A body that stopped arriving, or does not unzip, is the client's doing, not a server fault to log; a full disk is the operator's. */
function interrupted(err: unknown): ServiceError | undefined {
  if (err instanceof BodyRefused) return err.answer;
  const code = (err as { code?: string }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') return noSpaceError(`spooling the body: ${(err as Error).message}`);
  if (code?.startsWith('Z_')) {
    return validationError(`The gzip body could not be unzipped (${(err as Error).message}); nothing was written.`, [], 'CANNOT_PARSE');
  }
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err instanceof Error && err.message === 'aborted')) {
    return validationError('The request body ended before it was complete; nothing was written. Send the batch again.', [], 'CANNOT_PARSE');
  }
  return undefined;
}

export function ingestRoute(options: IngestRouteOptions): (app: FastifyInstance) => Promise<void> {
  const authorize = options.authorize ?? ((request: FastifyRequest): IngestAccess => ({ caller: 'farmtally', body: request.raw, checkBody: async () => undefined }));
  return async (app) => {
    let spoolDir = options.spoolDir;
    if (spoolDir) {
      prepareSpoolDir(spoolDir);
    } else {
      const own = (spoolDir = await mkdtemp(join(tmpdir(), 'farmtally-spool-')));
      app.addHook('onClose', async () => rm(own, { recursive: true, force: true }));
    }
    const spool = spoolDir;
    // Leave the body unread: the handler streams it from the raw request.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const slots = new BatchSlots(options.limits.concurrentBatches, options.limits.slotWaitMs);

    app.post(INGEST_ROUTE, async (request, reply) => {
      const { farmId } = request.params as { farmId: string };
      const access = authorize(request, INGEST_ACTION, farmId);
      const { failures } = validate(FarmId, farmId, 'farmId');
      if (failures.length) throw fieldValidationError(failures);
      const format = formatOf(request.headers['content-type']);
      const gzip = gzipped(request);
      const ctx = options.context(access.caller);
      const release = await slots.take();
      try {
        const ingest = await SessionIngest.begin(ctx, farmId);
        const trace = options.trace && ((what: string) => options.trace!(`ingest into ${farmId} (request ${request.id}): ${what}`));
        const body = decoded(access.body, gzip, options.limits, options.stopping);
        try {
          if (format === 'ndjson' && ctx.settings.bulkIngest) await readSpooled(body, ingest, spool, ctx.settings.maxBatchRecords, trace);
          else await readBody(body, format, ingest);
          await access.checkBody();
        } catch (err) {
          await ingest.abandon();
          throw interrupted(err) ?? err;
        }
        const finishing = performance.now();
        const counts = await ingest.finish();
        trace?.(`${counts.received} records committed (${Math.round(performance.now() - finishing)} ms)`);
        reply.header('content-type', 'application/json');
        return JSON.stringify(counts);
      } finally {
        release();
      }
    });
  };
}
