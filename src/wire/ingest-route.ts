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
// NDJSON bodies are spooled to a file as they stream in when the fast path is on, so the
// operation (operations/ingest-sessions.ts) can offer the whole file to the store, or read it
// record by record; the file is deleted however the request ends. CSV is read record by
// record as it streams.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OperationContext } from '../operations/context.js';
import { noSpaceError, ServiceError, validationError } from '../operations/errors.js';
import { INGEST_SESSIONS, MAX_RECORD_BYTES, SessionIngest, type IngestBody } from '../operations/ingest-sessions.js';
import type { IngestAccess } from './auth/access.js';
import { toPath } from './rest-json.js';
import { BatchSlots } from './ingest/batch-slots.js';
import { BodyRefused, pacedBody, sizedBody, type BodyPace, type BodySize } from './body-guard.js';
import { CsvReader } from './ingest/csv.js';
import { readLines } from './ingest/lines.js';
import { readNdjson } from './ingest/ndjson.js';
import { prepareSpoolDir, spoolBody, type SpooledBody } from './ingest/spool.js';

export const INGEST_ROUTE = toPath(INGEST_SESSIONS.path);

const FORMATS: Record<string, 'ndjson' | 'csv'> = { 'application/x-ndjson': 'ndjson', 'text/csv': 'csv' };

export interface IngestLimits extends BodyPace, BodySize {
  /** A body up to this size (once unzipped) is read into memory whole and written by group commit, without a batch slot; 0: never. */
  inMemoryBytes: number;
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

/**
 * Reads the body's first `limit` bytes: `whole` when the body ended within them; otherwise
 * `all`, the whole body again (what was read, then the rest as it arrives).
 */
async function readHead(body: AsyncIterable<Buffer>, limit: number): Promise<{ whole?: Buffer[]; all?: AsyncIterable<Buffer> }> {
  const it = body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes <= limit) {
    const next = await it.next();
    if (next.done) return { whole: head };
    head.push(next.value);
    bytes += next.value.length;
  }
  const all = (async function* () {
    yield* head;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  })();
  return { all };
}

/** The careful path's reading: the body's lines into the batch, staging between chunks so memory holds one chunk's records. */
async function readRecords(body: AsyncIterable<Buffer> | Iterable<Buffer>, format: 'ndjson' | 'csv', batch: SessionIngest): Promise<void> {
  const csv = format === 'csv' ? new CsvReader(batch, MAX_RECORD_BYTES) : undefined;
  for await (const lines of readLines(body, MAX_RECORD_BYTES)) {
    if (csv) csv.read(lines);
    else readNdjson(lines, batch, MAX_RECORD_BYTES);
    await batch.stage();
  }
  csv?.end();
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
      const access = authorize(request, INGEST_SESSIONS.action, farmId);
      const format = formatOf(request.headers['content-type']);
      const gzip = gzipped(request);
      const trace = options.trace && ((what: string) => options.trace!(`ingest into ${farmId} (request ${request.id}): ${what}`));
      let release: (() => void) | undefined;
      let spooled: SpooledBody | undefined;
      try {
        // The farm first: an unknown one is refused before a byte of the body is read.
        const batch = await SessionIngest.begin(options.context(access.caller), farmId);
        const body = () => decoded(access.body, gzip, options.limits, options.stopping);
        const head = options.limits.inMemoryBytes > 0 ? await readHead(body(), options.limits.inMemoryBytes) : {};
        let ingestBody: IngestBody;
        if (head.whole) {
          // A small body (the continuous feed's): read from memory, written by group commit; it takes no batch slot.
          const whole = head.whole;
          ingestBody = { readRecords: (into) => readRecords(whole, format, into), verify: access.checkBody };
        } else {
          release = await slots.take();
          const rest = head.all ?? body();
          ingestBody = {
            spool: format === 'ndjson' ? async (maxRecords) => (spooled = await spoolBody(rest, spool, maxRecords)) : undefined,
            readRecords: (into) => readRecords(spooled ? createReadStream(spooled.path, { highWaterMark: 1 << 20 }) : rest, format, into),
            verify: access.checkBody,
          };
        }
        const counts = await batch.ingest(ingestBody, trace);
        reply.header('content-type', 'application/json');
        return JSON.stringify(counts);
      } catch (err) {
        throw interrupted(err) ?? err;
      } finally {
        if (spooled) await rm(spooled.path, { force: true }).catch(() => undefined);
        release?.();
      }
    });
  };
}
