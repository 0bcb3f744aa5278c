// HTTP/1.1 by hand over a TCP socket, for requests no well-behaved client sends: a
// content-length that does not match the body, header bytes Node's client refuses, a body
// that stops short. One request per connection (`connection: close`); the first response on
// the socket is parsed, whatever the server writes after it is ignored.
import { connect } from 'node:net';

export interface RawHttpRequest {
  method: string;
  /** As written on the request line: already percent-encoded, or deliberately not. */
  target: string;
  /** In order, written as given (`name: value`); no Host or Connection is added for you. */
  headers: [string, string | Buffer][];
  body: Buffer;
  /** Half-close the socket after the body (a client that is done sending), or keep it open. */
  endAfterBody: boolean;
}

export interface RawHttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** The body as JSON, when it is JSON. */
  json: unknown;
  ms: number;
}

export class NoAnswer extends Error {
  constructor(
    message: string,
    readonly received: Buffer,
    /** The wait ran out (rather than the server closing the connection). */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

function decodeChunked(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** The first complete final (non-1xx) response in `data`, or undefined while it is incomplete. A HEAD's has no body. */
export function parseResponse(data: Buffer, closed: boolean, head = false): Omit<RawHttpResponse, 'ms'> | undefined {
  let headEnd = data.indexOf('\r\n\r\n');
  while (headEnd >= 0 && /^HTTP\/1\.[01] 1\d\d/.test(data.subarray(0, 12).toString('latin1'))) {
    data = data.subarray(headEnd + 4);
    headEnd = data.indexOf('\r\n\r\n');
  }
  if (headEnd < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!status) throw new NoAnswer(`not an HTTP response: ${JSON.stringify(statusLine)}`, data);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const rest = data.subarray(headEnd + 4);
  let body: Buffer | undefined;
  if (head) body = Buffer.alloc(0);
  else if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) body = decodeChunked(rest);
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    body = rest.length >= length ? rest.subarray(0, length) : undefined;
  } else if (closed || status === 204 || status === 304) body = rest;
  if (!body) return undefined;
  const text = body.toString('utf8');
  return { status, headers, body, text, json: jsonOrUndefined(text) };
}

export function rawRequestBytes(request: RawHttpRequest): Buffer {
  const head: Buffer[] = [Buffer.from(`${request.method} ${request.target} HTTP/1.1\r\n`, 'latin1')];
  for (const [name, value] of request.headers) head.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n'));
  head.push(Buffer.from('\r\n'));
  return Buffer.concat([...head, request.body]);
}

/** Sends the request and resolves with the first response; rejects with NoAnswer when none comes in `timeoutMs` or the socket closes without one. */
export function sendRaw(url: string, request: RawHttpRequest, timeoutMs: number): Promise<RawHttpResponse> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean, error?: Error) => {
      if (settled) return;
      const data = Buffer.concat(chunks);
      let parsed: Omit<RawHttpResponse, 'ms'> | undefined;
      try {
        parsed = parseResponse(data, closed, request.method === 'HEAD');
      } catch (err) {
        error = err as Error;
      }
      if (parsed) {
        settled = true;
        socket.destroy();
        resolve({ ...parsed, ms: performance.now() - started });
      } else if (closed || error) {
        settled = true;
        socket.destroy();
        reject(error instanceof NoAnswer ? error : new NoAnswer(error ? `connection failed: ${error.message}` : 'the server closed the connection without an answer', data));
      }
    };
    const timer = setTimeout(() => finish(true, new NoAnswer(`no answer within ${timeoutMs} ms`, Buffer.concat(chunks), true)), timeoutMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => {
      clearTimeout(timer);
      finish(true);
    });
    // A server that answers before reading the whole body may reset the socket under the write.
    socket.on('error', (err) => finish(true, chunks.length ? undefined : err));
    socket.write(rawRequestBytes(request), () => {
      if (request.endAfterBody) socket.end();
    });
  });
}

/** The text parsed as JSON, or undefined when it is not JSON. */
export function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
