// Requests to farmtally's own JSON routes beyond the service's API (DeleteSessions,
// ForgetUser under /ingest/v1/), which the SDK has no command for, and the service's own
// operations with an extension member the SDK cannot send (CreateBudget's fleetId, farmId
// and recurring schedule; UpdateBudget's recurring schedule): a JSON body, signed as
// the SDKs sign (AWS Signature Version 4 covering the body's SHA-256, with the credentials
// the default chain finds), its answer read whatever the server sends (readAnswer). Throttling is waited
// out and retried, as the SDK clients do (deadline-client.ts).
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { credentialsFor, signRequest } from './credentials.js';
import { readAnswer } from './ingest-request.js';

export interface ExtensionAnswer {
  status: number;
  /** The error shape's name (x-amzn-errortype), for an error. */
  errorType?: string;
  body: Record<string, unknown> & { message?: string; context?: Record<string, string> };
}

/** Attempts at most, as the SDK clients make (deadline-client.ts MAX_ATTEMPTS). */
const MAX_ATTEMPTS = 8;

function send(method: ExtensionMethod, url: URL, headers: Record<string, string>, body: string): Promise<ExtensionAnswer> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers }, (res) => {
      const retryAfter = Number(res.headers['retry-after']);
      readAnswer<ExtensionAnswer['body']>(res).then(
        (answer) => resolve({ ...answer, body: { ...answer.body, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) } }),
        reject,
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

type ExtensionMethod = 'POST' | 'PATCH';

/** POSTs `body` as JSON to `path` on the server at `endpoint`, signed; a network failure throws, an error answer is returned. */
export function postExtension(endpoint: string, path: string, body: object, o: { region: string; profile?: string }): Promise<ExtensionAnswer> {
  return sendExtension('POST', endpoint, path, body, o);
}

/** As postExtension, with another method (PATCH: UpdateBudget). */
export async function sendExtension(method: ExtensionMethod, endpoint: string, path: string, body: object, o: { region: string; profile?: string }): Promise<ExtensionAnswer> {
  const url = new URL(endpoint + path);
  const text = JSON.stringify(body);
  const credentials = credentialsFor(o.region, o.profile);
  for (let attempt = 1; ; attempt++) {
    const headers = await signRequest(method, url, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }, credentials, o.region, createHash('sha256').update(text).digest('hex'));
    const answer = await send(method, url, headers, text);
    if (answer.errorType !== 'ThrottlingException' || attempt >= MAX_ATTEMPTS) return answer;
    const seconds = Number(answer.body.retryAfterSeconds ?? 1);
    await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(seconds, 0.1), 10) * 1000));
  }
}
