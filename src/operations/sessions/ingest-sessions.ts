// IngestSessions, farmtally's extension (SPEC section 4): a batch of session records in the
// request body (NDJSON or CSV, as the content type says), all or nothing, answered with
// {received, created, updated, unchanged, batchId}. The body is a streaming payload: the wire hands
// it over as it arrives (within its limits, gzip undone), and this operation reads it.
//
// While a body arrives it holds an upload place (a few dozen per client) and nothing else.
// A small body (up to --group-commit-bytes) is read whole into memory and written by group
// commit. A larger one is received whole by the store (a spool file), its signature
// checked, and only then takes one of the few batch slots to be checked and staged
// (session-batch.ts): a slow upload holds no slot, nor the writer.
import { INGEST_PATH } from '../../domain/ingest-protocol.js';
import { SESSION_FORMATS, type SessionFormat } from '../../domain/session-formats/read-records.js';
import { FarmId } from '../common-shapes.js';
import { validationError } from '../errors.js';
import { defineOperation } from '../operation.js';
import { header, streamingPayload, string, structure, uri } from '../validation/shapes.js';
import { refusedPastRecords, SessionIngest } from './session-batch.js';

const input = structure({
  farmId: uri(FarmId),
  contentType: header('content-type', string()),
  body: streamingPayload(),
});

function formatOf(contentType: string | undefined): SessionFormat {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const format = SESSION_FORMATS[mediaType];
  if (format) return format;
  const given = mediaType ? `Unsupported content-type '${mediaType}'` : 'The request has no content-type';
  throw validationError(
    `${given}. Send session records as application/x-ndjson (one JSON object per line) or text/csv (a header row of field names, then one record per row).`,
    [],
    'CANNOT_PARSE',
  );
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

export const ingestSessions = defineOperation({
  name: 'IngestSessions',
  method: 'POST',
  path: INGEST_PATH,
  input,
  handle: async ({ farmId, contentType, body }, ctx) => {
    const format = formatOf(contentType);
    // The farm first: an unknown one is refused before a byte of the body is read.
    const batch = await SessionIngest.begin(ctx, farmId);
    const trace = ctx.trace && ((what: string) => ctx.trace!(`ingest into ${farmId} (request ${ctx.requestId}): ${what}`));
    const leaveUpload = await ctx.ingestSlots.uploads.take(ctx.clients);
    let received;
    try {
      const inMemoryBytes = ctx.settings.groupCommitBytes;
      const head = inMemoryBytes > 0 ? await readHead(body.chunks, inMemoryBytes) : {};
      if (head.whole) {
        leaveUpload();
        return await batch.ingest({ format, chunks: head.whole, verify: body.verify }, trace);
      }
      const rest = head.all ?? body.chunks;
      // NDJSON's records are its lines: one too many is refused while it arrives.
      received = await ctx.store.receiveBody(format === 'ndjson' ? refusedPastRecords(rest, ctx.settings.maxBatchRecords) : rest);
      // What the client signed, before the batch takes a slot.
      await body.verify();
    } catch (err) {
      await received?.release();
      throw err;
    } finally {
      leaveUpload();
    }
    try {
      const release = await ctx.ingestSlots.batches.take(ctx.clients);
      try {
        return await batch.ingest({ format, received, verify: async () => undefined }, trace);
      } finally {
        release();
      }
    } finally {
      await received.release();
    }
  },
});
