// The CLI's one way to fail: what went wrong and what to do, then exit 1.
import { DeadlineServiceException } from '@aws-sdk/client-deadline';
import { authHint, noCredentials, untrustedCertificate } from '../client/advice.js';
import { EXIT } from './exit.js';

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
    text = noCredentials(text);
  } else if (untrustedCertificate(err)) {
    text = untrustedCertificate(err)!;
  } else if (err instanceof Error && /ECONNREFUSED|fetch failed|ENOTFOUND/.test(`${text} ${(err as { code?: string }).code ?? ''}`)) {
    text = `cannot reach the server (${text}). Is farmtally running there? Start it with \`npx farmtally serve\`.`;
  }
  console.error(`farmtally: ${text}`);
  process.exit(EXIT.FAILED);
}
