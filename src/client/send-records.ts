// Streams records made in this process (the demo's generated sessions) into the ingest route
// as NDJSON, in all-or-nothing batches, through the same Upload that files go through: each
// batch is one request whose body is written while the records are made, so memory holds
// about one megabyte of records whatever the count.
import type { IngestCounts } from '../domain/ingest-protocol.js';
import { authHint } from './advice.js';
import type { IngestSigner } from './credentials.js';
import { BatchFailed, ingestUrl, Upload } from './upload.js';

export interface SendOptions {
  batchSize: number;
  /** Called about every megabyte sent, with the records sent so far. */
  onProgress?: (records: number) => void;
  /** Signs each batch's request (sigv4 servers). */
  sign?: IngestSigner;
}

const CHUNK_BYTES = 1 << 20;

function describe(err: BatchFailed, endpoint: string): string {
  const { answer, batch } = err;
  if (!answer) {
    const why = err.networkError instanceof Error ? err.networkError.message : String(err.networkError);
    return `batch ${batch.number} got no answer from ${endpoint} (${why}). Is the server running there?`;
  }
  const fields = (answer.body.fieldList ?? []).slice(0, 5).map((f) => `\n  ${f.name}: ${f.message}`).join('');
  const hint = authHint(answer.errorType);
  return `batch ${batch.number} was rejected: ${answer.errorType ?? `HTTP ${answer.status}`}: ${answer.body.message ?? ''}${fields}${hint ? `\n${hint}` : ''}`;
}

/**
 * The server throttled a batch (its --rate-limit, or its batch slots): nothing of that batch
 * was written, the batches before it were. Sending the records again after
 * `retryAfterSeconds` is safe: the committed ones come back unchanged.
 */
export class Throttled extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
    this.name = 'Throttled';
  }
}

export interface Sent extends IngestCounts {
  /** Time spent waiting for answers after each batch's last byte: the server's commits. */
  commitWaitMs: number;
}

export async function sendRecords(endpoint: string, farmId: string, records: Iterable<object>, options: SendOptions): Promise<Sent> {
  const upload = new Upload(ingestUrl(endpoint, farmId), { format: 'ndjson', batchSize: options.batchSize, sign: options.sign });
  let chunk = '';
  let line = 0;
  const flush = async () => {
    if (!chunk) return;
    const bytes = Buffer.from(chunk);
    chunk = '';
    await upload.send(bytes);
    options.onProgress?.(line);
  };
  try {
    for (const record of records) {
      chunk += `${JSON.stringify(record)}\n`;
      const full = await upload.recordEnded(++line);
      if (full || chunk.length >= CHUNK_BYTES) await flush();
      if (full) await upload.close();
    }
    await flush();
    await upload.close();
  } catch (err) {
    if (err instanceof BatchFailed && err.answer?.errorType === 'ThrottlingException') {
      throw new Throttled(Number((err.answer.body as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1), describe(err, endpoint));
    }
    if (err instanceof BatchFailed) throw new Error(describe(err, endpoint));
    throw err;
  } finally {
    upload.dispose();
  }
  return { ...upload.totals, commitWaitMs: upload.commitWaitMs };
}
