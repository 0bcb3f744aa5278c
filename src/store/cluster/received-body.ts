// A large ingest body on the cluster, held in the API server's memory until its batch is
// staged: the cluster's staging holds the records in memory too (session-ingest.ts), bounded
// by --max-batch-bytes and --max-batch-records, so a spool file would save nothing. An API
// server of the cluster keeps no files.
import type { ReceivedBody } from '../store.js';

export async function receiveInMemory(body: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<ReceivedBody> {
  let chunks: Buffer[] | undefined = [];
  let bytes = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    bytes += chunk.length;
  }
  return {
    bytes,
    async *chunks() {
      if (!chunks) throw new Error('the received body was released');
      yield* chunks;
    },
    async release() {
      chunks = undefined;
    },
  };
}
