// Bounds on a streamed request body, so that no client can hold the server with one:
// - pace: the body must keep arriving (no wait longer than `idleMs` for its next bytes, and
//   at least `minBytesPerSecond` on average once twice `idleMs` have passed, so that a body
//   that stops is always told it stopped), and reading stops at once when the server stops;
// - size: at most `maxBytes` once decoded, and a gzip body may not inflate more than
//   `maxInflation`-fold past its first mebibyte (a record file compresses about tenfold; a
//   gzip bomb a thousandfold): a small gzip body buys at most that much reading.
// A body that breaks one ends in a BodyRefused carrying the answer. The route sends it with
// `connection: close`, so the rest of the body is never read: the guards never destroy the
// request themselves, which would take the socket and the answer with it.
import { ServiceError, tooLarge } from '../operations/errors.js';

export class BodyRefused extends Error {
  constructor(readonly answer: ServiceError) {
    super(answer.message);
    this.name = 'BodyRefused';
  }
}

export interface BodyPace {
  idleMs: number;
  minBytesPerSecond: number;
}

export interface BodySize {
  maxBytes: number;
  maxInflation: number;
}

/**
 * Decoded bytes a body may hold before the inflation rule applies: enough for gzip's own
 * overhead on a small batch, little enough that a bomb is refused before it costs anything.
 */
const INFLATION_GRACE_BYTES = 1024 * 1024;

const timedOut = (why: string) =>
  new BodyRefused(new ServiceError('RequestTimeoutException', 408, `The request body ${why}; nothing was written. Send it again over a steadier connection.`));

export const stoppingRefusal = () =>
  new BodyRefused(new ServiceError('InternalServerErrorException', 503, 'The server is stopping, so this request was not finished and nothing was written. Send it again once the server is back.', {}, 5));

/** The body's chunks as they arrive, refused when they stop coming, come too slowly, or the server stops. */
export async function* pacedBody(source: AsyncIterable<Buffer>, pace: BodyPace, stopping: AbortSignal): AsyncGenerator<Buffer> {
  const started = Date.now();
  let lastBytesAt = started;
  let bytes = 0;
  const chunks = source[Symbol.asyncIterator]();
  for (;;) {
    // The wait ends at the first rule the body would break: no bytes for idleMs, or the
    // average falling under the rate once 2 × idleMs have passed.
    const slowFrom = started + Math.max(2 * pace.idleMs, (bytes / pace.minBytesPerSecond) * 1000);
    const deadline = Math.min(lastBytesAt + pace.idleMs, slowFrom);
    const next = await nextWithin(chunks, deadline - Date.now(), stopping);
    if (next === 'stopping') throw stoppingRefusal();
    if (next === 'late') {
      if (Date.now() >= lastBytesAt + pace.idleMs) throw timedOut(`stopped arriving (nothing for ${pace.idleMs / 1000} s)`);
      throw timedOut(`arrived slower than ${pace.minBytesPerSecond} bytes/s`);
    }
    if (next.done) return;
    bytes += next.value.length;
    lastBytesAt = Date.now();
    yield next.value;
  }
}

async function nextWithin(chunks: AsyncIterator<Buffer>, ms: number, stopping: AbortSignal): Promise<IteratorResult<Buffer> | 'late' | 'stopping'> {
  if (stopping.aborted) return 'stopping';
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  try {
    return await Promise.race([
      chunks.next(),
      new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, ms)))),
      new Promise<'stopping'>((resolve) => stopping.addEventListener('abort', (onStop = () => resolve('stopping')), { once: true })),
    ]);
  } finally {
    clearTimeout(timer);
    if (onStop) stopping.removeEventListener('abort', onStop);
  }
}

/** The decoded body, refused past `maxBytes`, or (gzip) past `maxInflation` times the bytes sent. */
export async function* sizedBody(decoded: AsyncIterable<Buffer>, size: BodySize, sentBytes?: () => number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of decoded) {
    bytes += chunk.length;
    if (bytes > size.maxBytes) {
      throw new BodyRefused(
        tooLarge(`The batch is larger than this server's limit of ${size.maxBytes} bytes${sentBytes ? ' once unzipped' : ''}; nothing was written. Send fewer records per request (farmtally import --batch-size).`),
      );
    }
    if (sentBytes && bytes > INFLATION_GRACE_BYTES && bytes > size.maxInflation * sentBytes()) {
      throw new BodyRefused(
        tooLarge(`The gzip body inflates more than ${size.maxInflation}-fold, which no file of session records does; nothing was written. Send the records themselves, gzip-compressed.`),
      );
    }
    yield chunk;
  }
}
