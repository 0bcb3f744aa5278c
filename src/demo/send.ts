// Streams generated records into the ingest route as NDJSON, in all-or-nothing batches,
// through the same Upload that `farmtally import` sends files with: each batch is one
// request whose body is written while the records are generated, so memory holds about
// one megabyte of records whatever the count.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { authHint } from '../cli/client.js';
import { BatchFailed, Upload, type Counts } from '../cli/import-upload.js';

export interface SendOptions {
  batchSize: number;
  /** Called about every megabyte sent, with the records sent so far. */
  onProgress?: (records: number) => void;
  /** Adds the signature's headers to each batch's request (sigv4 servers). */
  sign?: (url: URL, headers: Record<string, string>) => Promise<Record<string, string>>;
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

export interface Sent extends Counts {
  /** Time spent waiting for answers after each batch's last byte: the server's commits. */
  commitWaitMs: number;
}

export async function sendRecords(endpoint: string, farmId: string, records: Iterable<object>, options: SendOptions): Promise<Sent> {
  const url = new URL(`${endpoint.replace(/\/+$/, '')}/ingest/v1/farms/${encodeURIComponent(farmId)}/sessions`);
  const agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const upload = new Upload(url, 'ndjson', options.batchSize, agent, options.sign);
  let chunk = '';
  let line = 0;
  let commitWaitMs = 0;
  const close = async () => {
    const started = performance.now();
    await upload.close();
    commitWaitMs += performance.now() - started;
  };
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
      if (full) await close();
    }
    await flush();
    await close();
  } catch (err) {
    if (err instanceof BatchFailed) throw new Error(describe(err, endpoint));
    throw err;
  } finally {
    agent.destroy();
  }
  return { ...upload.totals, commitWaitMs };
}
