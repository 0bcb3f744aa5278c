// HTTP/1.1 over a bare socket, for clients no HTTP library will play: one that sends its
// body a byte at a time, stops half way, or lies about its length. The answer is read until
// the server closes the connection (or `timeoutMs` passes).
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** When the connection ended, from the start (ms). */
  endedAfterMs: number;
}

export interface RawRequestOptions {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Body pieces, each sent `gapMs` after the one before (then nothing more is sent). */
  pieces?: Buffer[];
  gapMs?: number;
  timeoutMs?: number;
  /** The client's own address (any 127.x.y.z on loopback): another client, as the server sees it. */
  localAddress?: string;
}

export function rawRequest(url: string, options: RawRequestOptions): Promise<RawAnswer | 'no answer'> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ port: Number(port), host: hostname, localAddress: options.localAddress });
    const received: Buffer[] = [];
    let timers: NodeJS.Timeout[] = [];
    const done = () => {
      timers.forEach(clearTimeout);
      timers = [];
      socket.destroy();
      resolve(parse(Buffer.concat(received), Date.now() - started));
    };
    socket.on('data', (d) => received.push(d));
    socket.on('close', done);
    socket.on('error', () => undefined);
    timers.push(setTimeout(done, options.timeoutMs ?? 30_000));
    socket.on('connect', () => {
      const head = [`${options.method} ${options.path} HTTP/1.1`, `host: ${hostname}:${port}`, ...Object.entries(options.headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      (options.pieces ?? []).forEach((piece, i) => {
        timers.push(setTimeout(() => socket.writable && socket.write(piece), (i + 1) * (options.gapMs ?? 0)));
      });
    });
  });
}

function parse(bytes: Buffer, endedAfterMs: number): RawAnswer | 'no answer' {
  const text = bytes.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  if (split === -1) return 'no answer';
  const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = text.slice(split + 4);
  const length = headers['content-length'] ? Number(headers['content-length']) : rest.length;
  let body: any = rest.slice(0, length);
  try {
    body = JSON.parse(body);
  } catch {
    // not JSON: kept as text
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body, endedAfterMs };
}
