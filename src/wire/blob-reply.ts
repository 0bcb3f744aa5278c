// Sends an operation's blob output (operations/blob-output.ts) as the response body, with its
// length and header members, and lets go of it (a backup's file) once the response has ended,
// sent whole or cut short by the client.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { BlobOutput } from '../operations/blob-output.js';

export function sendBlob(reply: FastifyReply, output: BlobOutput): FastifyReply {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    void output.release();
  };
  reply.raw.once('close', release);
  reply.header('content-type', output.contentType);
  reply.header('content-length', output.bytes);
  for (const [name, value] of Object.entries(output.headers)) reply.header(name, value);
  return reply.send(Readable.from(output.chunks()));
}
