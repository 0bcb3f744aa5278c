// Requests for every operation of src/operations/registry.ts, read from each operation's
// method, path and input declaration: path parameters that name what the server holds, IDs
// nobody has and text that is no ID at all; query strings and headers built from the
// declared members plus strangers; bodies from jsonBody; now and then another method or a
// route that does not exist.
import fc from 'fast-check';
import { OPERATIONS } from '../../src/operations/registry.js';
import { streamingMemberOf } from '../../src/operations/validation/shapes.js';

/** The operations with JSON input (IngestSessions' streamed body has its own fuzz, fuzz-ingest). */
export const JSON_OPERATIONS = OPERATIONS.filter((op) => !streamingMemberOf(op.input));
import type { AnyOperation } from '../../src/operations/operation.js';
import type { Member } from '../../src/operations/validation/shapes.js';
import type { ApiFixture, FarmIds } from './fixture.js';
import { framed, type FuzzRequest, type HazardChoice, type RequestParts } from './framing.js';
import { INVALID_UTF8, jsonBody, LONE_SURROGATE_ESCAPES, withBytesInString } from './json-text.js';
import { validBody, validishBody, validishValue, type IdPool } from './shape-values.js';

/** Percent-encodes every byte outside RFC 3986's unreserved set: any text (lone surrogates become U+FFFD) is a valid path segment. */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A member's value as text in a URI or header: strings as they are, other JSON as JSON. */
const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');

function idPool(farm: FarmIds): IdPool {
  return {
    farm: [farm.farmId],
    queue: farm.queueIds,
    fleet: farm.fleetIds,
    job: farm.jobs.map((j) => j.jobId),
    session: farm.jobs.flatMap((j) => j.sessionIds),
    aggregation: farm.aggregationIds,
  };
}

/** The path members the fixture can fill coherently (the job's own queue, the session's own job). */
function heldPathValues(farm: FarmIds): fc.Arbitrary<Record<string, string>> {
  const jobs = farm.jobs.length ? farm.jobs : [{ queueId: farm.queueIds[0]!, jobId: `job-${'0'.repeat(32)}`, sessionIds: [] }];
  return fc.tuple(fc.constantFrom(...jobs), fc.constantFrom(...farm.fleetIds), fc.nat()).map(([job, fleetId, n]) => ({
    farmId: farm.farmId,
    queueId: job.queueId,
    jobId: job.jobId,
    fleetId,
    sessionId: job.sessionIds.length ? job.sessionIds[n % job.sessionIds.length]! : `session-${'0'.repeat(32)}`,
    // ForgetUser's: the user the fixture's records name (session-records.ts).
    userId: 'ana',
  }));
}

/** Stands for the value the fixture holds for a path parameter, filled in once the request's job is chosen. */
const HELD = Symbol('held');

/** A path parameter: what the server holds, or a value of the member's shape (often wrong), or text routers trip on. */
function pathValue(name: string, member: Member, ids: IdPool): fc.Arbitrary<string | typeof HELD> {
  // Longer than the router's 512-character limit is the 'unroutable-path' hazard.
  const odd = fc.constantFrom('', '.', '..', '%2F', 'a%2Fb', '%00', '%20', 'x'.repeat(512), 'null', '-1', '%25', '%E2%80%A8');
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant<typeof HELD>(HELD) },
    { weight: 4, arbitrary: validishValue(member.shape, ids, name).map((v) => percentEncode(asText(v).slice(0, 512))) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(percentEncode) },
    { weight: 1, arbitrary: odd },
  );
}

function queryString(op: AnyOperation, ids: IdPool): fc.Arbitrary<string> {
  const members = Object.entries(op.input.members).filter(([, m]) => m.location === 'query');
  const pairs = members.map(([name, m]) =>
    fc.oneof(
      { weight: m.required ? 0 : 3, arbitrary: fc.constant<string[]>([]) },
      { weight: 6, arbitrary: validishValue(m.shape, ids, name).map((v) => [`${m.wireName ?? name}=${percentEncode(asText(v))}`]) },
      { weight: 1, arbitrary: fc.constant([`${m.wireName ?? name}=`]) },
      { weight: 1, arbitrary: fc.constant([`${m.wireName ?? name}`]) },
      { weight: 1, arbitrary: validishValue(m.shape, ids, name).map((v) => [`${m.wireName ?? name}=${percentEncode(asText(v))}`, `${m.wireName ?? name}=1`]) },
    ),
  );
  const extra = fc.oneof(
    { weight: 6, arbitrary: fc.constant<string[]>([]) },
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(['&&'], ['='], ['a=%ZZ'], ['a=%FF'], ['maxResults=%'], ['a=b=c'], ['__proto__=x'], ['nextToken=' + 'A'.repeat(5000)], ['x=' + '%41'.repeat(3000)]) },
  );
  return fc.tuple(fc.tuple(...pairs), extra, fc.boolean()).map(([declared, more, shuffleFirst]) => {
    const all = [...declared.flat(), ...more];
    if (shuffleFirst) all.reverse();
    return all.join('&');
  });
}

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/x-amz-json-1.1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'APPLICATION/JSON', 'application/json; charset=latin1', '*/*', 'application/x-ndjson'];

/** Headers besides the framing: content-type, the operation's header members, strangers. */
function headers(op: AnyOperation, ids: IdPool, hasBody: boolean): fc.Arbitrary<[string, string | Buffer][]> {
  const contentType = fc.oneof(
    { weight: hasBody ? 10 : 1, arbitrary: fc.constant<[string, string][]>([['content-type', 'application/json']]) },
    { weight: hasBody ? 1 : 10, arbitrary: fc.constant<[string, string][]>([]) },
    { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES).map((t): [string, string][] => [['content-type', t]]) },
  );
  const declared = Object.entries(op.input.members)
    .filter(([, m]) => m.location === 'header')
    .map(([name, m]) =>
      fc.option(
        validishValue(m.shape, ids, name).map((v): [string, string | Buffer] => {
          const text = asText(v).replace(/[\r\n]/g, ' ');
          // Header values are bytes: text past Latin-1 goes out as its UTF-8 bytes (obs-text).
          return [m.wireName!.toLowerCase(), /^[\x20-\x7e\t]*$/.test(text) ? text : Buffer.from(text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' '), 'utf8')];
        }),
        { freq: 2 },
      ),
    );
  const strangers = fc.array(
    fc.oneof(
      fc.tuple(fc.constantFrom('user-agent', 'accept', 'x-amz-date', 'x-amz-target', 'authorization', 'x-amz-security-token', 'content-encoding', 'accept-encoding', 'expect', 'x-forwarded-for'), fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x'))),
      fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x'))),
      fc.tuple(fc.constant('x-fuzz-long'), fc.integer({ min: 1000, max: 8000 }).map((n) => 'v'.repeat(n))),
    ),
    { maxLength: 4 },
  );
  return fc.tuple(contentType, fc.tuple(...declared), strangers).map(([ct, d, s]) => [...ct, ...d.filter((h): h is [string, string | Buffer] => h !== null), ...s.filter(([name]) => name !== 'expect')]);
}

/**
 * Node refuses a request line plus headers past 16 KiB (431): that is the 'oversized-headers'
 * hazard, so the plain generator drops query pairs and headers from the end to stay well under.
 */
const HEAD_BUDGET = 12 * 1024;
function withinHeaderLimit(query: string, pathLength: number): string;
function withinHeaderLimit(headers: [string, string | Buffer][]): [string, string | Buffer][];
function withinHeaderLimit(what: string | [string, string | Buffer][], pathLength = 0): string | [string, string | Buffer][] {
  if (typeof what === 'string') {
    const pairs = what.split('&');
    while (pairs.length && pathLength + pairs.join('&').length > HEAD_BUDGET / 2) pairs.pop();
    return pairs.join('&');
  }
  const kept = [...what];
  const size = () => kept.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  while (kept.length && size() > HEAD_BUDGET / 2) kept.pop();
  return kept;
}

/** POST operations that delete or rewrite stored sessions. */
const REWRITES_SESSIONS = new Set(['DeleteSessions', 'ForgetUser']);

function operationParts(op: AnyOperation, fixture: ApiFixture): fc.Arbitrary<RequestParts> {
  // Deletes (and the extensions that delete or rewrite sessions) name the disposable farm, so
  // the farm the other requests name keeps its resources and sessions.
  const farm = op.method === 'DELETE' || REWRITES_SESSIONS.has(op.name) ? fixture.disposable : fixture.farm;
  const ids = idPool(farm);
  const pathNames = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const sendsBody = op.method !== 'GET' && op.method !== 'DELETE';
  const fallbackField = Object.entries(op.input.members).find(([, m]) => m.location === 'body' && m.shape.type === 'string')?.[0] ?? 'displayName';
  return fc
    .record({
      held: heldPathValues(farm),
      path: fc.tuple(...pathNames.map((name) => pathValue(name, op.input.members[name]!, ids))),
      query: fc.oneof({ weight: 3, arbitrary: queryString(op, ids) }, { weight: 1, arbitrary: fc.constant('') }),
      method: fc.oneof({ weight: 12, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'TRACE') }),
      body: sendsBody
        ? validishBody(op.input.members, ids).chain((value) => jsonBody(value, fallbackField))
        : fc.oneof({ weight: 8, arbitrary: fc.constant({ body: Buffer.alloc(0), headers: [] as [string, string][], note: 'no body' }) }, { weight: 1, arbitrary: jsonBody({ displayName: 'x' }, 'displayName') }),
      headers: headers(op, ids, sendsBody),
      trailingSlash: fc.nat(9).map((n) => n === 0),
    })
    .map(({ held, path, query, method, body, headers: hs, trailingSlash }) => {
      let i = 0;
      const filled =
        op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
          const value = path[i++]!;
          return value === HELD ? held[name]! : value;
        }) + (trailingSlash ? '/' : '');
      return {
        method,
        target: query ? `${filled}?${withinHeaderLimit(query, filled.length)}` : filled,
        headers: withinHeaderLimit([...hs.filter(([n]) => !(n === 'content-encoding' && body.headers.length)), ...body.headers]),
        body: body.body,
        notes: [`${op.name}${method === op.method ? '' : ` sent as ${method}`}`, body.note],
      };
    });
}

/** Paths no operation has: other API versions, near misses, the page's folder (the root is the page). */
const unknownRoutes = fc
  .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.constantFrom('/explorer', '/2023-10-12', '/2023-10-12/', '/2022-01-01/farms', '/2023-10-12/farmz', '/2023-10-12/farms/x/y/z/w', '/ingest/v1/farms', '/health', '/favicon.ico', '/2023-10-12/farms/%2E%2E/%2E%2E'))
  .map(([method, target]): RequestParts => ({ method, target, headers: [['content-type', 'application/json']], body: Buffer.from(method === 'GET' ? '' : '{}'), notes: [`unknown route ${method} ${target}`] }));

/** Any API request: every operation of the registry alike, and now and then a route that is none. */
export function apiRequest(fixture: ApiFixture, hazards: HazardChoice, operations: readonly AnyOperation[] = JSON_OPERATIONS): fc.Arbitrary<FuzzRequest> {
  const perOperation = operations.map((op) => operationParts(op, fixture));
  const parts = fc.oneof({ weight: 20, arbitrary: fc.oneof(...perOperation) }, { weight: 1, arbitrary: unknownRoutes });
  return framed(parts, hazards);
}

/** What goes inside a string member of an otherwise valid body: bytes as they stand in the JSON text, and what they are. */
interface BrokenText {
  bytes: Buffer;
  note: string;
}

/** A valid request of an operation that takes a body, but with `inner` inside one of its free-text string members. */
function brokenTextRequest(fixture: ApiFixture, inner: fc.Arbitrary<BrokenText>): fc.Arbitrary<FuzzRequest> {
  const freeText = (m: Member) => m.location === 'body' && m.shape.type === 'string' && !m.shape.enum && !m.shape.pattern;
  const withBodies = JSON_OPERATIONS.filter((op) => op.method === 'POST' || op.method === 'PATCH').filter((op) => Object.values(op.input.members).some(freeText));
  const parts = fc.constantFrom(...withBodies).chain((op) => {
    const ids = idPool(fixture.farm);
    const texts = Object.entries(op.input.members).filter(([, m]) => freeText(m)).map(([name]) => name);
    return fc.tuple(heldPathValues(fixture.farm), validBody(op.input.members, ids), fc.constantFrom(...texts), inner).map(([held, body, field, broken]): RequestParts => ({
      method: op.method,
      target: op.path.replace(/\{(\w+)\}/g, (_, name: string) => held[name]!),
      headers: [['content-type', 'application/json']],
      body: withBytesInString(body, field, broken.bytes),
      notes: [op.name, `${broken.note} in '${field}'`],
    }));
  });
  return framed(parts, { allowed: [] });
}

/**
 * A valid request of an operation that takes a body, but with bytes that are not UTF-8
 * inside one of its string members: the server must refuse it, not store U+FFFD.
 */
export function invalidUtf8Request(fixture: ApiFixture): fc.Arbitrary<FuzzRequest> {
  return brokenTextRequest(fixture, fc.constantFrom(...INVALID_UTF8).map((bytes) => ({ bytes: Buffer.from(bytes), note: `invalid UTF-8 (${bytes.map((b) => b.toString(16)).join(' ')})` })));
}

/**
 * A valid request of an operation that takes a body, but with a lone surrogate escape
 * (`\ud800`: valid JSON, no Unicode text) inside one of its string members: the server must
 * refuse it naming that member, not store U+FFFD.
 */
export function loneSurrogateRequest(fixture: ApiFixture): fc.Arbitrary<FuzzRequest> {
  return brokenTextRequest(fixture, fc.constantFrom(...LONE_SURROGATE_ESCAPES).map((escape) => ({ bytes: Buffer.from(escape), note: `the escape ${escape}` })));
}
