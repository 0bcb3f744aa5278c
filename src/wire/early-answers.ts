// An answer sent before its request's body was read to the end (a refusal before reading,
// a cap, a signature mismatch) must reach the client. Closing the connection at once would
// reset it while the client is still sending (unread bytes make the kernel send a reset),
// and a reset can drop the answer before the client reads it. So the rest of the body is
// read and dropped for a while ("lingering"), within bounds (a client could send forever),
// and only then is the connection closed; the answer says `connection: close`, so the
// client opens a new one for its next request. A body that stopped arriving (408), or a
// server that is stopping (503), is not waited for.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long, and how much, of an unread body is read and dropped after an early answer. */
export const LINGER_MS = 10_000;
export const LINGER_BYTES = 1024 * 1024 * 1024;

export function lingerAfterEarlyAnswers(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    const raw = request.raw;
    if (raw.complete) return;
    if (reply.statusCode === 408 || reply.statusCode === 503) {
      reply.header('connection', 'close');
      return;
    }
    // The client must not send another request on this connection: the body's reader may
    // have given up on it part way, which ends the connection once the rest is dropped (a
    // reuse then met a reset). The lingering below closes it gently.
    reply.header('connection', 'close');
    const socket = raw.socket;
    // Node ends a connection that is to close (the client asked so) as soon as the answer is
    // out, resetting it if bytes are unread: half-close it instead, and let dropRest end it.
    let closing = false;
    socket.destroySoon = () => {
      closing = true;
      socket.end();
    };
    reply.raw.once('finish', () => dropRest(raw, socket, () => closing));
  });
}

function dropRest(raw: IncomingMessage, socket: Socket, closing: () => boolean): void {
  const from = socket.bytesRead;
  const done = () => {
    clearTimeout(timer);
    clearInterval(watch);
    if (closing()) socket.destroy();
  };
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  const watch = setInterval(() => socket.bytesRead - from > LINGER_BYTES && socket.destroy(), 100);
  if (raw.complete || raw.destroyed) return done();
  raw.once('end', done);
  raw.once('close', done);
  // Read whatever arrives, whoever began reading it (a handler that gave up part way).
  // What is buffered already is read now: a reader that gave up may have been told of it
  // ('readable' emitted) without reading it to the end, and then 'readable' is not emitted
  // again, so the body stalled with the socket paused until LINGER_MS ended the connection.
  const drop = () => {
    while (raw.read() !== null);
  };
  raw.on('readable', drop);
  raw.resume();
  drop();
}
