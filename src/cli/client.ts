// The official SDK client as the CLI uses it, and the CLI's one way to fail.
import { DeadlineClient, DeadlineServiceException } from '@aws-sdk/client-deadline';

/**
 * A client for `endpoint`. Credentials come from the usual AWS environment when set;
 * otherwise placeholders, which a farmtally server in open mode accepts.
 */
export function clientFor(endpoint: string, region = 'us-west-2'): DeadlineClient {
  const fromEnv = process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY;
  return new DeadlineClient({
    endpoint,
    region,
    disableHostPrefix: true,
    ...(fromEnv ? {} : { credentials: { accessKeyId: 'farmtally', secretAccessKey: 'farmtally' } }),
  });
}

/** Prints what went wrong, and what to do, then exits non-zero. */
export function fail(err: unknown): never {
  let text = err instanceof Error ? err.message : String(err);
  if (err instanceof DeadlineServiceException) text = `${err.name}: ${err.message}`;
  else if (err instanceof Error && /ECONNREFUSED|fetch failed|ENOTFOUND/.test(`${text} ${(err as { code?: string }).code ?? ''}`)) {
    text = `cannot reach the server (${text}). Is farmtally running there? Start it with \`npx farmtally serve\`.`;
  }
  console.error(`farmtally: ${text}`);
  process.exit(1);
}
