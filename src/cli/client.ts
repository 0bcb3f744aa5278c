// The official SDK client as the CLI uses it, and the CLI's one way to fail.
import { DeadlineClient, DeadlineServiceException } from '@aws-sdk/client-deadline';
import { credentialsFor } from './aws-credentials.js';
import { EXIT } from './exit.js';

/** A client for `endpoint`, signing with the credentials the AWS way finds (aws-credentials.ts). */
export function clientFor(endpoint: string, region = 'us-west-2', profile?: string): DeadlineClient {
  return new DeadlineClient({ endpoint, region, disableHostPrefix: true, credentials: credentialsFor(region, profile) });
}

const SET_CREDENTIALS =
  'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a key pair that `farmtally credentials add` made on the server, or put the pair in ~/.aws/credentials and give --profile NAME.';

/** What to do about an error a sigv4-mode server answers, by its type; undefined for other errors. */
export function authHint(errorType: string | undefined): string | undefined {
  switch (errorType) {
    case 'UnrecognizedClientException':
      return `The server does not know this access key. ${SET_CREDENTIALS}`;
    case 'MissingAuthenticationTokenException':
      return `The server runs in sigv4 mode and the request was not signed. ${SET_CREDENTIALS}`;
    case 'InvalidSignatureException':
    case 'IncompleteSignatureException':
      return "Check that the secret access key belongs to the access key ID (the server keeps the pair `farmtally credentials add` printed), and that this machine's clock is right (within 15 minutes).";
    case 'AccessDeniedException':
      return "This key's principal is not granted that; ask the server's operator (its grants are in the server's credentials file: farmtally credentials list).";
    case 'ThrottlingException':
      return "The server's --rate-limit was reached; wait a moment and run it again.";
    default:
      return undefined;
  }
}

/** Node's codes for a certificate it does not trust, or that names another host. */
const TLS_TRUST = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** What to do about a certificate Node does not trust; undefined for other errors. */
export function untrustedCertificate(err: unknown): string | undefined {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (!TLS_TRUST.test(code)) return undefined;
  return `the server's certificate is not trusted here (${(err as Error).message}). For a certificate of your own or a self-signed one, run with NODE_EXTRA_CA_CERTS=ca.pem; the host in --endpoint must be one the certificate names.`;
}

/**
 * Prints what went wrong, and what to do, then exits 1. `hintFor` gives the caller's own
 * advice for a service error of some type (a list command's unknown farm, say).
 */
export function fail(err: unknown, hintFor?: (errorType: string) => string | undefined): never {
  let text = err instanceof Error ? err.message : String(err);
  if (err instanceof DeadlineServiceException) {
    const hint = authHint(err.name) ?? hintFor?.(err.name);
    text = `${err.name}: ${err.message}${hint ? `\n${hint}` : ''}`;
  } else if (err instanceof Error && err.name === 'CredentialsProviderError') {
    text = `no AWS credentials found (${text}). ${SET_CREDENTIALS}`;
  } else if (untrustedCertificate(err)) {
    text = untrustedCertificate(err)!;
  } else if (err instanceof Error && /ECONNREFUSED|fetch failed|ENOTFOUND/.test(`${text} ${(err as { code?: string }).code ?? ''}`)) {
    text = `cannot reach the server (${text}). Is farmtally running there? Start it with \`npx farmtally serve\`.`;
  }
  console.error(`farmtally: ${text}`);
  process.exit(EXIT.FAILED);
}
