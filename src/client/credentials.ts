// The credentials farmtally's clients sign with, found the standard AWS way: the SDK's default provider
// chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the profile of --profile or AWS_PROFILE in
// ~/.aws/credentials and ~/.aws/config, SSO, ...). When the chain finds nothing and no
// profile was named, placeholders stand in: an open-mode server checks no signature, so the
// commands work there with no setup. Also signs the ingest route's requests, which the
// clients send themselves (the SDK has no operation for them), with the same credentials:
// over plain http with the body's SHA-256, over https with the body unsigned (it streams).
import { DeadlineClient } from '@aws-sdk/client-deadline';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type CredentialsProvider = () => Promise<Credentials>;

/** The SDK's own SHA-256 (Node's or the browser's, as the SDK picks), so signing needs nothing of the server's. */
const SDK_SHA256 = new DeadlineClient({ region: 'us-west-2' }).config.sha256;

const PLACEHOLDERS: Credentials = { accessKeyId: 'farmtally', secretAccessKey: 'farmtally' };

/** The default chain for `profile` (or AWS_PROFILE), falling back to placeholders as above. */
export function credentialsFor(region: string, profile?: string): CredentialsProvider {
  // A client built without credentials holds the SDK's default chain, refreshing as it must.
  const chain = new DeadlineClient({ region, ...(profile ? { profile } : {}) }).config.credentials;
  const named = profile ?? process.env.AWS_PROFILE;
  let fallback = false;
  return async () => {
    if (fallback) return PLACEHOLDERS;
    try {
      return await chain();
    } catch (err) {
      if ((err as Error).name !== 'CredentialsProviderError') throw err;
      if (named) {
        const files = `${process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'} or ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'}`;
        throw Object.assign(new Error(`the profile ${named} has no keys in ${files}: ${(err as Error).message}`), { name: 'CredentialsProviderError' });
      }
      fallback = true;
      return PLACEHOLDERS;
    }
  };
}

/** The payload hash a request whose body its signature does not cover declares. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/**
 * Signs a POST to one of farmtally's own routes (the ingest route, the deletion extensions):
 * answers `headers` plus the host, x-amz-date, x-amz-content-sha256 and Authorization
 * headers to send with it. `payloadHash` is the body's SHA-256 in hex; without one the body
 * goes unsigned (UNSIGNED-PAYLOAD), which a server takes on the ingest route over https only.
 */
export function signPost(url: URL, headers: Record<string, string>, credentials: CredentialsProvider, region: string, payloadHash = UNSIGNED_PAYLOAD): Promise<Record<string, string>> {
  return signRequest('POST', url, headers, credentials, region, payloadHash);
}

/** As signPost, for another method (UpdateBudget's PATCH with an extension member). */
export async function signRequest(method: string, url: URL, headers: Record<string, string>, credentials: CredentialsProvider, region: string, payloadHash = UNSIGNED_PAYLOAD): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials, region, service: 'deadline', sha256: SDK_SHA256, uriEscapePath: true });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...headers, host: url.host, 'x-amz-content-sha256': payloadHash },
  });
  return signed.headers as Record<string, string>;
}

/** Signs the ingest route's requests (Upload's `sign`), with the body's SHA-256 where it must. */
export interface IngestSigner {
  /** `headers` and the signature's; the body's SHA-256 in hex, or none for a body streamed unsigned. */
  sign(url: URL, headers: Record<string, string>, payloadHash?: string): Promise<Record<string, string>>;
  /**
   * Whether a batch to `url` must be signed with its body's SHA-256, so held until whole:
   * over plain http, where a server takes no unsigned body (a request seen on the way could
   * be sent again with another one). Not over https, nor with placeholders for keys: they
   * sign nothing a server checks (an open-mode server takes anything, a sigv4 one refuses
   * the key first), and the body keeps streaming as the file is read.
   */
  hashesBody(url: URL): Promise<boolean>;
}

export function ingestSigner(credentials: CredentialsProvider, region: string): IngestSigner {
  return {
    sign: (url, headers, payloadHash) => signPost(url, headers, credentials, region, payloadHash),
    hashesBody: async (url) => url.protocol === 'http:' && (await credentials()) !== PLACEHOLDERS,
  };
}

/** An IngestSigner with the credentials the default chain finds for `region` and `profile`. */
export function ingestSignerFor(region: string, profile?: string): IngestSigner {
  return ingestSigner(credentialsFor(region, profile), region);
}
