// sigv4 mode for tests: principals with fresh key pairs, a credentials file written the way
// an operator's tools write it (whole, then renamed over the old one), a server started on
// it, SDK clients signing as a principal, and requests signed with @smithy/signature-v4
// directly, for what the SDK will not send (an old signature, a body or path changed after
// signing).
import { createHash, createHmac, randomBytes, type Hash } from 'node:crypto';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { DeadlineClient, type DeadlineClientConfig } from '@aws-sdk/client-deadline';
import { SignatureV4 } from '@smithy/signature-v4';
import { readResponse, startFarmtally, type Farmtally, type RawResponse } from './server.js';

/** The signer's SHA-256, written here apart from the server's own, so a fault in one is not hidden by the other. */
class TestSha256 {
  private readonly hash: Hash;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = typeof secret === 'string' || secret === undefined ? secret : ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret);
    this.hash = (key === undefined ? createHash('sha256') : createHmac('sha256', key)) as unknown as Hash;
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {}
}

export interface TestPrincipal {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  allow: string[];
  farms: string[];
}

export function principal(name: string, allow: string[] = ['deadline:*'], farms: string[] = ['*']): TestPrincipal {
  return { name, accessKeyId: `TEST${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64'), allow, farms };
}

/** Writes the file whole next to itself, then renames it into place (as editors and the CLI do). */
export function writeCredentials(file: string, principals: TestPrincipal[] | string): void {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, typeof principals === 'string' ? principals : JSON.stringify({ principals }, null, 2), { mode: 0o600 });
  renameSync(temporary, file);
}

export interface Sigv4Server {
  ft: Farmtally;
  credentialsFile: string;
}

export async function startSigv4(principals: TestPrincipal[], args: string[] = [], env?: Record<string, string>): Promise<Sigv4Server> {
  const credentialsFile = join(mkdtempSync(join(tmpdir(), 'farmtally-creds-')), 'credentials.json');
  writeCredentials(credentialsFile, principals);
  const ft = await startFarmtally({ args: ['--auth', 'sigv4', '--credentials', credentialsFile, ...args], env });
  return { ft, credentialsFile };
}

export function clientAs(url: string, keys: { accessKeyId: string; secretAccessKey: string }, config: Partial<DeadlineClientConfig> = {}): DeadlineClient {
  return new DeadlineClient({
    endpoint: url,
    region: 'eu-central-1',
    disableHostPrefix: true,
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
    maxAttempts: 1,
    ...config,
  });
}

/** What the SDK raised: its name (from x-amzn-errortype), status and message. */
export async function sdkError(call: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('the call succeeded; an error was expected');
}

export interface SignedRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: string | Buffer;
  headers?: Record<string, string>;
  signingDate?: Date;
  /** Sign like botocore (no x-amz-content-sha256 header) instead of like the JS SDK. */
  withoutPayloadHeader?: boolean;
  /** An https server's certificate to trust (fetch takes none: sent with node:https then). */
  ca?: Buffer;
}

/** A request over https trusting `ca`, answered as fetch would be. */
function httpsFetch(url: string, init: { method: string; headers: Record<string, string>; body?: string | Buffer }, ca: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const length = init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) };
    const req = httpsRequest(url, { method: init.method, headers: { ...init.headers, ...length }, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode!, headers, body, text });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The request as @smithy/signature-v4 signs it: `change` may alter it after signing, before it is sent. */
export async function signedFetch(
  url: string,
  keys: { accessKeyId: string; secretAccessKey: string },
  request: SignedRequest,
  change: (sent: { path: string; body?: string | Buffer; headers: Record<string, string> }) => void = () => undefined,
): Promise<RawResponse> {
  const target = new URL(url);
  const signer = new SignatureV4({
    credentials: keys,
    region: 'us-west-2',
    service: 'deadline',
    sha256: TestSha256,
    applyChecksum: !request.withoutPayloadHeader,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: Number(target.port),
      path: request.path,
      query: request.query ?? {},
      headers: { host: target.host, ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}), ...request.headers },
      body: request.body,
    },
    { signingDate: request.signingDate },
  );
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers.host; // fetch sends the same one itself
  const sent = { path: request.path, body: request.body, headers };
  change(sent);
  const query = new URLSearchParams(request.query ?? {}).toString().replace(/\+/g, '%20');
  const address = `${url}${sent.path}${query ? `?${query}` : ''}`;
  if (request.ca) return httpsFetch(address, { method: request.method, headers: sent.headers, body: sent.body }, request.ca);
  return readResponse(await fetch(address, { method: request.method, headers: sent.headers, body: sent.body }));
}

