// The official SDK client pointed at a farmtally server, as every client of ours makes it:
// no host prefix (farmtally serves the API at the endpoint itself), credentials found the
// standard AWS way (credentials.ts), throttling retried with back-off as the SDKs do.
import { DeadlineClient } from '@aws-sdk/client-deadline';
import { credentialsFor } from './credentials.js';

/**
 * Attempts per call: the SDK's 3 give up within a second or two against a server's
 * --rate-limit (a command makes many calls in a row); 8 back off for up to about a minute.
 */
const MAX_ATTEMPTS = 8;

export function clientFor(endpoint: string, region = 'us-west-2', profile?: string): DeadlineClient {
  return new DeadlineClient({ endpoint, region, disableHostPrefix: true, credentials: credentialsFor(region, profile), maxAttempts: MAX_ATTEMPTS });
}
