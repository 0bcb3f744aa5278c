// IngestSessions, farmtally's extension (SPEC section 4): a batch of session records in the
// request body (NDJSON or CSV, as the content type says), all or nothing, answered with
// {received, created, updated, unchanged}. The body is a streaming payload: the wire hands
// it over as it arrives (within its limits, gzip undone), and this operation reads it.
//
// A small body (up to --group-commit-bytes) is read whole into memory and written by group
// commit; it takes no batch slot. A larger one waits for one of the few batch slots, then
// is staged as it streams (session-batch.ts).
import { INGEST_PATH } from '../../domain/ingest-protocol.js';
import { SESSION_FORMATS, type SessionFormat } from '../../domain/session-formats/read-records.js';
import { FarmId } from '../common-shapes.js';
import { validationError } from '../errors.js';
import { defineOperation } from '../operation.js';
import { header, streamingPayload, string, structure, uri } from '../validation/shapes.js';
import { SessionIngest } from './session-batch.js';

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
    const inMemoryBytes = ctx.settings.groupCommitBytes;
    const head = inMemoryBytes > 0 ? await readHead(body.chunks, inMemoryBytes) : {};
    if (head.whole) return batch.ingest({ format, chunks: head.whole, bulk: false, verify: body.verify }, trace);
    const release = await ctx.batchSlots.take();
    try {
      return await batch.ingest({ format, chunks: head.all ?? body.chunks, bulk: format === 'ndjson', verify: body.verify }, trace);
    } finally {
      release();
    }
  },
});
