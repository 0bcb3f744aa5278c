// AWS Signature Version 4, checked the way AWS checks it: the Authorization header is read
// and its scope, date and signed headers are checked here; the signature itself is computed
// again by the SDK's own signer (@smithy/signature-v4) over exactly the headers the client
// signed, with the values received, the path as received (still percent-encoded) and the
// query, and compared in constant time. The canonicalisation is never written by hand.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NodeSha256 } from './node-sha256.js';
import { incompleteSignature, invalidSignature, missingAuthenticationToken, SIGNATURE_MISMATCH } from './errors.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const SERVICE = 'deadline';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** How far the signing time may be from the server's clock, either way (as AWS allows). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** What the Authorization and X-Amz-Date headers claim, before anything is verified. */
export interface SignatureClaim {
  accessKeyId: string;
  /** The credential scope: date (YYYYMMDD), region, service. */
  scopeDate: string;
  region: string;
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Date as sent (YYYYMMDDTHHMMSSZ) and as a time. */
  amzDate: string;
  signingDate: Date;
}

export const sha256Hex = (bytes: Buffer | undefined): string => createHash('sha256').update(bytes ?? Buffer.alloc(0)).digest('hex');

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** YYYYMMDDTHHMMSSZ, the form every SDK sends X-Amz-Date in. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Reads what the request claims: the key, the scope, the signed headers and the time.
 * Throws MissingAuthenticationToken without an Authorization header, IncompleteSignature
 * when it lacks a part, InvalidSignature when its scope is not one this service signs.
 */
export function readClaim(headers: IncomingHttpHeaders): SignatureClaim {
  const authorization = header(headers, 'authorization')?.trim();
  if (!authorization) throw missingAuthenticationToken();
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw incompleteSignature(`Unsupported Authorization type '${algorithm.slice(0, 40)}'. Sign requests with AWS Signature Version 4 (${ALGORITHM}); any AWS SDK or CLI does, given an access key.`);
  }
  const parts = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((p) => !parts.get(p)).map((p) => `Authorization header requires '${p}' parameter.`);
  const amzDate = header(headers, 'x-amz-date')?.trim();
  if (!amzDate) missing.push("Authorization header requires existence of a 'X-Amz-Date' header.");
  if (missing.length) throw incompleteSignature(missing.join(' '));

  const credential = parts.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((c) => c === '')) {
    throw incompleteSignature("Authorization header's 'Credential' parameter must be 'ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request'.");
  }
  const [accessKeyId, scopeDate, region, service, terminator] = credential as [string, string, string, string, string];
  if (service !== SERVICE) throw invalidSignature(`Credential should be scoped to correct service: '${SERVICE}'.`);
  if (terminator !== 'aws4_request') throw invalidSignature(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator.slice(0, 40)}'.`);
  const signingDate = parseAmzDate(amzDate!);
  if (!signingDate) throw incompleteSignature(`X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z', not '${amzDate!.slice(0, 40)}'.`);
  if (scopeDate !== amzDate!.slice(0, 8)) {
    throw invalidSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate.slice(0, 8)}' != '${amzDate!.slice(0, 8)}', from '${amzDate}'.`);
  }
  const signedHeaders = parts.get('SignedHeaders')!.split(';').map((h) => h.trim().toLowerCase());
  if (!signedHeaders.includes('host')) throw invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  return { accessKeyId, scopeDate, region, signedHeaders, signature: parts.get('Signature')!, amzDate: amzDate!, signingDate };
}

/** The claim's time within 15 minutes of `now`, or InvalidSignature in AWS's words. */
export function checkSigningTime(claim: SignatureClaim, now: number): void {
  const basic = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const at = claim.signingDate.getTime();
  if (at < now - MAX_CLOCK_SKEW_MS) {
    throw invalidSignature(`Signature expired: ${claim.amzDate} is now earlier than ${basic(now - MAX_CLOCK_SKEW_MS)} (${basic(now)} - 15 min.)`);
  }
  if (at > now + MAX_CLOCK_SKEW_MS) {
    throw invalidSignature(`Signature not yet current: ${claim.amzDate} is still later than ${basic(now + MAX_CLOCK_SKEW_MS)} (${basic(now)} + 15 min.)`);
  }
}

/** Query parameters as the signer wants them: decoded, repeated keys as lists. */
function queryOf(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}

/** The request as received, and what its payload hash is to be. */
export interface ReceivedRequest {
  method: string;
  /** The request target as received: path (percent-encoded) and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /**
   * The body in memory (API routes), or undefined when it streams (ingest): then the signed
   * x-amz-content-sha256 header stands for it, and is checked against the bytes later.
   */
  body: Buffer | undefined;
}

/**
 * Computes the signature again with `secretAccessKey` and compares it with the claim's, in
 * constant time. Throws InvalidSignature when they differ.
 */
/** The SDK's signer, loaded at the first signed request: a server in open mode never needs it (a fifth of a second at start). */
let signerModule: Promise<typeof import('@smithy/signature-v4')> | undefined;

export async function verifySignature(claim: SignatureClaim, secretAccessKey: string, request: ReceivedRequest): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of claim.signedHeaders) {
    const value = header(request.headers, name);
    if (value === undefined) throw invalidSignature(`${SIGNATURE_MISMATCH} (The signed header '${name.slice(0, 60)}' is not in the request.)`);
    headers[name] = value;
  }
  const question = request.url.indexOf('?');
  const path = question < 0 ? request.url : request.url.slice(0, question);
  let query: Record<string, string | string[]>;
  try {
    query = queryOf(question < 0 ? '' : request.url.slice(question + 1));
  } catch {
    throw invalidSignature(`${SIGNATURE_MISMATCH} (The query string is not valid percent-encoding.)`);
  }
  const { SignatureV4 } = await (signerModule ??= import('@smithy/signature-v4'));
  const signer = new SignatureV4({
    credentials: { accessKeyId: claim.accessKeyId, secretAccessKey },
    region: claim.region,
    service: SERVICE,
    sha256: NodeSha256,
    uriEscapePath: true,
    // Only what the client signed: the signer must not add a payload hash header of its own.
    applyChecksum: false,
  });
  let expected: string;
  try {
    const signed = await signer.sign(
      { method: request.method, protocol: 'http:', hostname: '', path, query, headers, body: request.body },
      { signingDate: claim.signingDate, signableHeaders: new Set(claim.signedHeaders) },
    );
    expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
  } catch {
    // Whatever a client sends that the signer cannot take is a request it did not sign as we would.
    throw invalidSignature(SIGNATURE_MISMATCH);
  }
  const given = Buffer.from(claim.signature);
  const ours = Buffer.from(expected);
  if (given.length !== ours.length || !timingSafeEqual(given, ours)) throw invalidSignature(SIGNATURE_MISMATCH);
}

/** The payload hash a request declares (x-amz-content-sha256), if any, and whether it was signed. */
export function declaredPayloadHash(claim: SignatureClaim, headers: IncomingHttpHeaders): { value: string; signed: boolean } | undefined {
  const value = header(headers, 'x-amz-content-sha256')?.trim();
  return value === undefined ? undefined : { value, signed: claim.signedHeaders.includes('x-amz-content-sha256') };
}

export const isHexSha256 = (text: string): boolean => HEX_SHA256.test(text);
