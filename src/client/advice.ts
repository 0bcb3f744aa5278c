// What to do about the failures every client of farmtally meets alike: a sigv4-mode server's
// refusals, by their error type, and a server certificate Node does not trust. The CLI's
// commands and the senders of session records word them the same way from here.

const SET_CREDENTIALS =
  'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a key pair that `farmtally credentials add` made on the server, or put the pair in ~/.aws/credentials and give --profile NAME.';

/** What to do when no credentials were found (the SDK's CredentialsProviderError). */
export function noCredentials(message: string): string {
  return `no AWS credentials found (${message}). ${SET_CREDENTIALS}`;
}

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

/**
 * What to do about an AccessDeniedException, from its `context` (principal, action,
 * resource) and message: the `farmtally credentials update` that grants it on the server.
 */
export function grantHint(message: string, context: Record<string, string> | undefined): string {
  const principal = context?.principal ?? 'NAME';
  const action = context?.action ?? 'deadline:...';
  const farm = context?.resource?.replace(/^farm\//, '');
  const update = /is not among/.test(message) && farm
    ? `farmtally credentials update --name ${principal} --farms <its farms>,${farm}`
    : `farmtally credentials update --name ${principal} --allow <its actions>,${action}`;
  return `${principal} is not granted ${action}${farm ? ` on ${farm}` : ''}. On the server, grant it: ${update} (farmtally credentials list shows its grants now; update replaces them), or sign with another key.`;
}

/** Node's codes for a certificate it does not trust, or that names another host. */
const TLS_TRUST = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** What to do about a certificate Node does not trust; undefined for other errors. */
export function untrustedCertificate(err: unknown): string | undefined {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (!TLS_TRUST.test(code)) return undefined;
  return `the server's certificate is not trusted here (${(err as Error).message}). For a certificate of your own or a self-signed one, run with NODE_EXTRA_CA_CERTS=ca.pem; the host in --endpoint must be one the certificate names.`;
}
