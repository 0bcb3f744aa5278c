// A streaming payload member (an operation's input with a `streamingPayload()` member: the
// request body itself, as Smithy models a @streaming blob): the body as it arrives, bounded
// (body-guard: it must keep arriving, stops when the server stops, and may hold so many
// bytes once unzipped), gzip undone as it streams when content-encoding says so, and an
// error while reading it turned into the answer it deserves (the client's doing is no
// server fault). What the bytes mean is the operation's to read.
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ServiceError, validationError } from '../operations/errors.js';
import type { ByteStream } from '../operations/validation/shapes.js';
import { BodyRefused, pacedBody, sizedBody, type BodyPace, type BodySize } from './body-guard.js';

export interface PayloadLimits extends BodyPace, BodySize {}

/** Whether the body is gzip; ValidationException for an encoding farmtally does not undo. */
export function gzipped(contentEncoding: string | string[] | undefined): boolean {
  const encoding = (Array.isArray(contentEncoding) ? contentEncoding.join(',') : (contentEncoding ?? 'identity')).trim().toLowerCase();
  if (encoding === 'identity' || encoding === 'gzip') return encoding === 'gzip';
  throw validationError(`Unsupported content-encoding '${encoding}'. Send the body as is, or compressed with gzip.`, [], 'CANNOT_PARSE');
}

/** The body as sent, within the limits: gzip (large files travel well compressed) is undone as it streams. */
function decoded(received: AsyncIterable<Buffer>, gzip: boolean, limits: PayloadLimits, stopping: AbortSignal): AsyncIterable<Buffer> {
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

/** A body that stopped arriving, or does not unzip, is the client's doing, not a server fault to log. */
function interrupted(err: unknown): ServiceError | undefined {
  if (err instanceof BodyRefused) return err.answer;
  const code = (err as { code?: string }).code;
  if (code?.startsWith('Z_')) {
    return validationError(`The gzip body could not be unzipped (${(err as Error).message}); nothing was written.`, [], 'CANNOT_PARSE');
  }
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err instanceof Error && err.message === 'aborted')) {
    return validationError('The request body ended before it was complete; nothing was written. Send the batch again.', [], 'CANNOT_PARSE');
  }
  return undefined;
}

/**
 * The payload member's value: the body's bytes, and the check of what the client signed.
 * Nothing is read (nor unzipped, nor timed) until the operation first asks for bytes: an
 * error of the body then always reaches the one reading it.
 */
export function streamingPayload(body: Readable, gzip: boolean, verify: () => Promise<void>, limits: PayloadLimits, stopping: AbortSignal): { payload: ByteStream; decodedBytes(): number } {
  let bytes = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of decoded(body, gzip, limits, stopping)) {
        bytes += chunk.length;
        yield chunk;
      }
    } catch (err) {
      throw interrupted(err) ?? err;
    }
  }
  return { payload: { chunks: chunks(), verify }, decodedBytes: () => bytes };
}
