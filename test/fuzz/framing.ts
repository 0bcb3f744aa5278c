// A generated request as bytes on the wire: its headers and body framed by a content-length
// or chunked encoding, and the hazards a run may add on top. Hazards are the kinds of input
// that a plain HTTP client never sends and that the server must refuse before any route
// (Node's parser, the router) or by its body timeout. Each is checked in a test of its own;
// the stall, which takes the body timeout to answer, stays out of the main property.
import fc from 'fast-check';
import type { RawHttpRequest } from './raw-http.js';

export const HAZARDS = {
  'malformed-http':
    "bytes Node's HTTP parser refuses: a control character in a header value, a content-length shorter than the body or beside chunked encoding, a content-length that is not a number, broken chunk framing, a request target with raw 8-bit bytes, no Host header",
  'oversized-headers': "headers past Node's 16 KiB limit (one huge value, or very many headers)",
  'unroutable-path': "a path the router refuses before any route: '%' not followed by two hex digits, percent-encoded bytes that are not UTF-8, a path parameter longer than 512 characters",
  'stalled-body': 'a content-length longer than the body sent: the client then waits without sending the rest',
} as const;
export type Hazard = keyof typeof HAZARDS;
export const ALL_HAZARDS = Object.keys(HAZARDS) as Hazard[];

/** Which hazards a generator may add: none in the green properties, `forced` in each hazard's own test. */
export interface HazardChoice {
  allowed: readonly Hazard[];
  /** Every case carries this one. */
  forced?: Hazard;
}
export const NO_HAZARDS: HazardChoice = { allowed: [] };
/** The hazards answered at once, mixed into the main properties. */
export const QUICK_HAZARDS: HazardChoice = { allowed: ['malformed-http', 'oversized-headers', 'unroutable-path'] };

/** A request before it is framed: what the generators build. */
export interface RequestParts {
  method: string;
  /** Percent-encoded path and query, as the request line carries them. */
  target: string;
  headers: [string, string | Buffer][];
  body: Buffer;
  /** What was chosen, for reports. */
  notes: string[];
}

export interface FuzzRequest {
  raw: RawHttpRequest;
  notes: string[];
  hazards: Hazard[];
}

/** How the body's length is told: the usual content-length, or valid chunked encoding in random chunk sizes. */
const framing = fc.oneof({ weight: 6, arbitrary: fc.constant<'length'>('length') }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 6 }) });

export function chunked(body: Buffer, sizes: readonly number[], terminated = true): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const piece = body.subarray(at, at + sizes[i % sizes.length]!);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    at += piece.length;
  }
  if (terminated) parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

function frame(parts: RequestParts, how: 'length' | number[]): FuzzRequest {
  const headers: [string, string | Buffer][] = [['host', '127.0.0.1'], ...parts.headers];
  if (how === 'length') {
    // A GET without a body goes out as clients send it: no content-length at all.
    if (parts.body.length || parts.method !== 'GET') headers.push(['content-length', String(parts.body.length)]);
    return { raw: { method: parts.method, target: parts.target, headers, body: parts.body, endAfterBody: false }, notes: parts.notes, hazards: [] };
  }
  headers.push(['transfer-encoding', 'chunked']);
  return {
    raw: { method: parts.method, target: parts.target, headers, body: chunked(parts.body, how), endAfterBody: false },
    notes: [...parts.notes, `chunked in pieces of ${how.join(', ')} bytes`],
    hazards: [],
  };
}

const CONTROL_BYTES = [0x00, 0x01, 0x07, 0x0b, 0x7f, 0x0a];

/** One way of making the request unreadable to an HTTP/1.1 parser. */
function malformed(request: FuzzRequest): fc.Arbitrary<FuzzRequest> {
  const raw = request.raw;
  const withHeaders = (headers: [string, string | Buffer][], note: string, body = raw.body): FuzzRequest => ({ raw: { ...raw, headers, body }, notes: [...request.notes, note], hazards: ['malformed-http'] });
  const others = raw.headers.filter(([n]) => n !== 'content-length' && n !== 'transfer-encoding');
  const body = raw.body.length ? raw.body : Buffer.from('{}');
  return fc.oneof(
    fc.tuple(fc.constantFrom(...CONTROL_BYTES), fc.string({ maxLength: 8 })).map(([byte, text]) =>
      withHeaders([...raw.headers, ['x-fuzz', Buffer.concat([Buffer.from(text), Buffer.from([byte]), Buffer.from('x')])]], `a header value with byte 0x${byte.toString(16)}`),
    ),
    fc.integer({ min: 1, max: 64 }).map((short) =>
      withHeaders([...others, ['content-length', String(Math.max(0, body.length - short))]], `content-length ${short} bytes short of the body`, body),
    ),
    fc.constant(withHeaders([...others, ['content-length', String(body.length)], ['transfer-encoding', 'chunked']], 'content-length beside chunked encoding', chunked(body, [body.length]))),
    fc.constantFrom('abc', '-1', '1e3', '0x10', `${body.length}, ${body.length + 1}`).map((value) => withHeaders([...others, ['content-length', value]], `content-length '${value}'`, body)),
    fc.constant(withHeaders([...others, ['transfer-encoding', 'chunked']], 'a chunk size that is not hex', Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]))),
    fc.constant<FuzzRequest>({ raw: { ...raw, target: `${raw.target}\u00e9` }, notes: [...request.notes, 'a raw 8-bit byte in the request target'], hazards: ['malformed-http'] }),
    fc.constant(withHeaders(raw.headers.filter(([n]) => n !== 'host'), 'no Host header')),
  );
}

function oversized(request: FuzzRequest): fc.Arbitrary<FuzzRequest> {
  const raw = request.raw;
  return fc.oneof(
    fc.integer({ min: 17 * 1024, max: 64 * 1024 }).map((n) => ({ ...request, raw: { ...raw, headers: [...raw.headers, ['x-fuzz-big', 'v'.repeat(n)] as [string, string]] }, notes: [...request.notes, `a ${n}-byte header value`] })),
    fc.integer({ min: 600, max: 2000 }).map((n) => ({
      ...request,
      raw: { ...raw, headers: [...raw.headers, ...Array.from({ length: n }, (_, i) => [`x-fuzz-${i}`, 'vvvvvvvvvvvvvvvvvvvvvvvvvvvv'] as [string, string])] },
      notes: [...request.notes, `${n} extra headers`],
    })),
  ).map((r) => ({ ...r, hazards: ['oversized-headers' as Hazard] }));
}

function unroutable(request: FuzzRequest): fc.Arbitrary<FuzzRequest> {
  const [path, query] = request.raw.target.split('?', 2) as [string, string | undefined];
  const segments = path.split('/');
  const bad = fc.oneof(fc.constantFrom('%', '%Z', '%ZZ', '%FF', '%C0%AF', '%ED%A0%80', 'a%2', '%%'), fc.integer({ min: 513, max: 5000 }).map((n) => 'x'.repeat(n)));
  return fc.tuple(fc.integer({ min: 1, max: segments.length - 1 }), bad).map(([i, text]) => {
    const copy = [...segments];
    copy[i] = text.length > 100 ? text : `${copy[i]}${text}`;
    const target = copy.join('/') + (query === undefined ? '' : `?${query}`);
    const what = text.length > 100 ? `a ${text.length}-character path segment` : `'${text}' in path segment ${i}`;
    return { raw: { ...request.raw, target }, notes: [...request.notes, what], hazards: ['unroutable-path' as Hazard] };
  });
}

function stalled(request: FuzzRequest): fc.Arbitrary<FuzzRequest> {
  const raw = request.raw;
  const others = raw.headers.filter(([n]) => n !== 'content-length' && n !== 'transfer-encoding');
  const sent = raw.method === 'GET' ? raw.body : raw.body.length ? raw.body : Buffer.from('{');
  return fc.integer({ min: 1, max: 1 << 20 }).map((missing) => ({
    raw: { ...raw, headers: [...others, ['content-length', String(sent.length + missing)] as [string, string]], body: sent },
    notes: [...request.notes, `content-length ${missing} bytes past the body, and the rest never sent`],
    hazards: ['stalled-body' as Hazard],
  }));
}

const ADD: Record<Hazard, (r: FuzzRequest) => fc.Arbitrary<FuzzRequest>> = {
  'malformed-http': malformed,
  'oversized-headers': oversized,
  'unroutable-path': unroutable,
  'stalled-body': stalled,
};

/** fast-check prints a counterexample with this: the notes and the request line, not every byte. */
function summarized(request: FuzzRequest): FuzzRequest {
  const line = `${request.raw.method} ${request.raw.target.length > 200 ? `${request.raw.target.slice(0, 200)}...` : request.raw.target}`;
  Object.defineProperty(request, fc.toStringMethod, { value: () => `${line} (${request.notes.join('; ')}; ${request.raw.body.length} body bytes)`, enumerable: false });
  return request;
}

/** Frames the parts, then adds the forced hazard, or now and then an allowed one. */
export function framed(parts: fc.Arbitrary<RequestParts>, hazards: HazardChoice): fc.Arbitrary<FuzzRequest> {
  const plain = fc.tuple(parts, framing).map(([p, how]) => frame(p, how));
  let all: fc.Arbitrary<FuzzRequest> = plain;
  if (hazards.forced) all = plain.chain(ADD[hazards.forced]);
  else if (hazards.allowed.length) {
    all = fc.tuple(plain, fc.option(fc.constantFrom(...hazards.allowed), { freq: 4 })).chain(([request, hazard]) => (hazard ? ADD[hazard](request) : fc.constant(request)));
  }
  return all.map(summarized);
}
