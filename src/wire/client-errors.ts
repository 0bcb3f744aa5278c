// Requests Node's HTTP parser refuses before any route sees them (headers past the size
// limit, bytes that are no HTTP, a chunk size that is not hex): answered in the model's error
// shape like everything else, then the connection is closed. Not at once: a client may still
// be sending (a body whose framing broke part way), and closing with bytes unread makes the
// kernel reset the connection, which can take the answer with it. So the connection is
// half-closed and whatever still arrives is dropped, within the early answers' bounds.
import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { LINGER_BYTES, LINGER_MS } from './early-answers.js';

function answer(err: NodeJS.ErrnoException): { status: number; shape: string; message: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, shape: 'ValidationException', message: `The request's headers are larger than ${maxHeaderSize} bytes. Send fewer or shorter headers.` };
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    return { status: 408, shape: 'RequestTimeoutException', message: 'The request did not arrive in time. Send it again.' };
  }
  return { status: 400, shape: 'ValidationException', message: 'The request is not valid HTTP/1.1 and could not be read. Check the client.' };
}

export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // As Node itself: no answer of ours into the middle of one already under way.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  const { status, shape, message } = answer(err);
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({ message, ...(shape === 'ValidationException' ? { reason: 'CANNOT_PARSE' } : {}) });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\nx-amzn-errortype: ${shape}\r\n` +
        `x-amzn-requestid: ${randomUUID()}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  // A client too slow to send its request is not waited for any longer.
  if (status === 408) socket.destroy();
  else closeAfterDraining(socket);
}

/**
 * Half-closes, drops what still arrives, and closes once the client ends or the bounds pass.
 * A request under way on this connection (its framing broke part way) ends with the close.
 */
function closeAfterDraining(socket: Socket): void {
  // The HTTP parser is done with this connection: nothing it reads from here on is a request.
  socket.removeAllListeners('data');
  const from = socket.bytesRead;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  socket.on('data', () => socket.bytesRead - from > LINGER_BYTES && close());
  socket.once('end', close);
  socket.once('close', () => clearTimeout(timer));
  socket.end();
  socket.resume();
}
