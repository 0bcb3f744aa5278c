// Cheap hostile clients over plain node:http (no SDK, no retries): the inputs of issue 16
// that cost the sender little and the server a lot. Shared by `npm run load`'s attackers
// (bench/load/attackers.ts) and the fuzz's attack hazards (test/fuzz/attacks.ts).
// - slowUpload: an ingest body that trickles, from its first byte or after a burst of more
//   than 1 MiB (past --group-commit-bytes, so the server spools it; before issue 16 it held a batch slot);
// - gzipBomb: a few KB of gzip that inflate to a million `{}` lines (all invalid records);
// - healthFlood: GET /health in tight loops on keep-alive connections;
// - surrogate bodies: JSON with a lone surrogate escape in a string member.
// Every request can come from its own loopback address (127.0.0.2 and up, Linux), so a
// server that bounds work per source address tells attackers from honest clients (127.0.0.1).
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { gzipSync } from 'node:zlib';
import { newId } from '../../src/domain/resources.js';
import { jsonOrUndefined } from '../fuzz/raw-http.js';

export interface HostileAnswer {
  status: number;
  /** Lower-case names, as node:http gives them (repeated ones joined). */
  headers: Record<string, string>;
  text: string;
  json: unknown;
}

/** What one hostile request came to: an answer, or how it failed (a reset, a close, given up by the client). */
export interface HostileOutcome {
  answer?: HostileAnswer;
  /** Set when there is no answer: `ECONNRESET`, `EPIPE`, `closed without an answer`, `given up`... */
  failure?: string;
  /** From the first byte sent to the answer (or the failure). */
  ms: number;
  /** Body bytes written. */
  sent: number;
}

/** A short name for an outcome, for tallies: `400 ValidationException`, `408 RequestTimeoutException`, `ECONNRESET`. */
export function outcomeKind(outcome: HostileOutcome): string {
  if (!outcome.answer) return outcome.failure ?? 'no answer';
  const type = outcome.answer.headers['x-amzn-errortype']?.split(':')[0];
  return type ? `${outcome.answer.status} ${type}` : String(outcome.answer.status);
}

/**
 * The `i`-th source address for hostile clients: 127.0.0.2 upwards when the server is on
 * 127.0.0.1 and the system routes all of 127/8 to loopback (Linux); otherwise none (the
 * system's choice).
 */
export function hostileSourceAddress(url: string, i: number): string | undefined {
  const { hostname } = new URL(url);
  if (process.platform !== 'linux' || (hostname !== '127.0.0.1' && hostname !== 'localhost')) return undefined;
  return `127.0.0.${2 + (i % 250)}`;
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

function parsed(status: number, headers: Record<string, string>, body: Buffer): HostileAnswer {
  const text = body.toString('utf8');
  return { status, headers, text, json: jsonOrUndefined(text) };
}

export interface HostileRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent whole at once (with its content-length); none for a GET. */
  body?: Buffer | string;
  localAddress?: string;
  /** A keep-alive agent to reuse connections (a flood); default: a connection of its own, closed after. */
  agent?: Agent;
  /** Abort (the outcome is `given up`) when this fires. */
  signal?: AbortSignal;
  /** Give up after this long without an answer. */
  timeoutMs?: number;
}

/**
 * Sends a request and collects the answer. `write` (when given) writes the body instead of
 * `body` and may keep writing while the answer is awaited (a slow upload); it gets the
 * request and a function telling it the outcome is settled (stop writing).
 */
function exchange(url: string, options: HostileRequest & { contentLength?: number; write?: (req: ClientRequest, settled: () => boolean, count: (n: number) => void) => void }): Promise<HostileOutcome> {
  const { hostname, port } = new URL(url);
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  const headers: Record<string, string> = { ...options.headers };
  const length = options.contentLength ?? body?.length;
  if (length !== undefined) headers['content-length'] = String(length);
  if (!options.agent) headers.connection = 'close';
  const started = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Omit<HostileOutcome, 'ms' | 'sent'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...outcome, ms: performance.now() - started, sent });
      // A client done with the exchange lets go of its connection (a flood's agent keeps its own).
      if (!options.agent || outcome.failure) req.destroy();
    };
    const req = httpRequest({ host: hostname, port: Number(port), method: options.method, path: options.path, headers, localAddress: options.localAddress, agent: options.agent ?? false });
    const onAbort = () => finish({ failure: 'given up' });
    if (options.signal?.aborted) return void queueMicrotask(onAbort);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) timer = setTimeout(() => finish({ failure: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => finish({ answer: parsed(res.statusCode ?? 0, headersOf(res), Buffer.concat(chunks)) }));
      // Closed part way through the answer: what came is the answer (its status is known).
      res.on('error', () => finish({ answer: parsed(res.statusCode ?? 0, headersOf(res), Buffer.concat(chunks)) }));
      res.on('aborted', () => finish({ answer: parsed(res.statusCode ?? 0, headersOf(res), Buffer.concat(chunks)) }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ failure: err.code ?? err.message }));
    req.on('close', () => finish({ failure: 'closed without an answer' }));
    if (options.write) options.write(req, () => done, (n) => (sent += n));
    else {
      if (body) sent = body.length;
      req.end(body);
    }
  });
}

/** One request, sent whole. */
export function sendHostile(url: string, options: HostileRequest): Promise<HostileOutcome> {
  return exchange(url, options);
}

export interface SlowUploadOptions {
  path: string;
  contentType: string;
  /** The body the client pretends to send: its length is the content-length; it is never all sent unless the trickle reaches its end. */
  body: Buffer;
  /** Bytes sent at once before the trickle: 0 trickles from the first byte; past 1 MiB the server spools the body (before issue 16, holding a batch slot meanwhile). */
  burstBytes: number;
  /** The trickle: `bytesPerTick` bytes every `tickMs`. */
  tickMs: number;
  bytesPerTick?: number;
  localAddress?: string;
  /** The client gives up (closes its connection) when this fires: the outcome is `given up`. */
  signal?: AbortSignal;
  /** Called once the burst has been handed to the system (written, not necessarily read). */
  onBurstSent?: () => void;
}

/** An upload that sends its headers (and a burst), then trickles the rest until answered, reset or told to stop. */
export function slowUpload(url: string, options: SlowUploadOptions): Promise<HostileOutcome> {
  const perTick = options.bytesPerTick ?? 1;
  return exchange(url, {
    method: 'POST',
    path: options.path,
    headers: { 'content-type': options.contentType },
    contentLength: options.body.length,
    localAddress: options.localAddress,
    signal: options.signal,
    write: (req, settled, count) => {
      let at = Math.min(options.burstBytes, options.body.length);
      req.flushHeaders();
      const tick = () => {
        if (settled() || req.destroyed) return;
        if (at >= options.body.length) return void req.end();
        const piece = options.body.subarray(at, at + perTick);
        at += piece.length;
        count(piece.length);
        req.write(piece);
        setTimeout(tick, options.tickMs).unref();
      };
      if (at > 0) {
        count(at);
        req.write(options.body.subarray(0, at), () => options.onBurstSent?.());
      } else options.onBurstSent?.();
      setTimeout(tick, options.tickMs).unref();
    },
  });
}

/** `{}` lines: valid JSON, every one an invalid record. */
const bombs = new Map<string, Buffer>();

/** A gzip body of `lines` copies of `line` (+ newline): a million `{}` lines is about 3 KB. Built once per size. */
export function gzipBomb(lines: number, line = '{}'): Buffer {
  const key = `${lines}:${line}`;
  let bomb = bombs.get(key);
  if (!bomb) bombs.set(key, (bomb = gzipSync(Buffer.from(`${line}\n`.repeat(lines)), { level: 9 })));
  return bomb;
}

export interface FloodOptions {
  /** Requests kept in flight at once (each loop sends the next when its answer is in). */
  loops: number;
  path?: string;
  localAddress?: string;
  signal: AbortSignal;
  onOutcome: (outcome: HostileOutcome) => void;
}

/** GET `path` (default /health) in `loops` tight loops over keep-alive connections until the signal fires. */
export async function flood(url: string, options: FloodOptions): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.loops });
  try {
    await Promise.all(
      Array.from({ length: options.loops }, async () => {
        while (!options.signal.aborted) {
          const outcome = await sendHostile(url, { method: 'GET', path: options.path ?? '/health', agent, localAddress: options.localAddress, signal: options.signal });
          if (outcome.failure === 'given up') return;
          options.onOutcome(outcome);
          // A refused connection (the server gone or its backlog full) is not a tight loop's business to spin on.
          if (!outcome.answer) await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
  } finally {
    agent.destroy();
  }
}

/** A JSON string member holding `escape` (written as is: `\\ud800` is six characters) between `before` and `after`. */
export function jsonWithEscape(value: Record<string, unknown>, member: string, escape: string, before = 'a', after = 'b'): string {
  const mark = '\u0001escape-here\u0001';
  const text = JSON.stringify({ ...value, [member]: `${before}${mark}${after}` });
  return text.replace(JSON.stringify(mark).slice(1, -1), escape);
}

/** Lone surrogates as JSON escapes: high or low alone, two highs, a low before a high, a high before a letter. */
export const LONE_SURROGATE_ESCAPES = ['\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\uD800', '\\ud800\\ud800', '\\udc00\\ud800', '\\ud800\\u0041'] as const;

export interface IngestParents {
  farmId: string;
  queueId: string;
  fleetId: string;
}

/** A valid NDJSON session record with fresh IDs, as one line (no newline). */
export function recordLine(parents: IngestParents, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    sessionId: newId('session'), queueId: parents.queueId, jobId: newId('job'), jobName: 'hostile job', userId: 'mallory', fleetId: parents.fleetId,
    workerId: newId('worker'), instanceType: 'c5.4xlarge', startedAt: '2025-06-01T10:00:00Z', endedAt: '2025-06-01T11:00:00Z', ...overrides,
  });
}

/** Valid NDJSON records with fresh IDs, at least `bytes` long: what a slow upload pretends to send. */
export function recordsOfSize(parents: IngestParents, bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${recordLine(parents)}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}
