// Requests Node's HTTP parser refuses before any route sees them (headers past the size
// limit, bytes that are no HTTP): answered in the model's error shape like everything else,
// then the connection is closed, as Node itself would.
import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

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
  if (socket.writable) {
    const { status, shape, message } = answer(err);
    const body = JSON.stringify({ message, ...(shape === 'ValidationException' ? { reason: 'CANNOT_PARSE' } : {}) });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\nx-amzn-errortype: ${shape}\r\n` +
        `x-amzn-requestid: ${randomUUID()}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
