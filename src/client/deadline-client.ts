// The official SDK client pointed at a farmtally server, as every client of ours makes it:
// no host prefix (farmtally serves the API at the endpoint itself), credentials found the
// standard AWS way (credentials.ts).
import { DeadlineClient } from '@aws-sdk/client-deadline';
import { credentialsFor } from './credentials.js';

export function clientFor(endpoint: string, region = 'us-west-2', profile?: string): DeadlineClient {
  return new DeadlineClient({ endpoint, region, disableHostPrefix: true, credentials: credentialsFor(region, profile) });
}
