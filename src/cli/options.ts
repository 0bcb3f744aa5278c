// Options that every command talking to a server takes alike: where the server is, and the
// region and profile the requests are signed with; and the parser of counts (sessions, batch sizes).
import { Command, InvalidArgumentError } from 'commander';

/** Where `npm start` (farmtally serve with its defaults) listens. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/** An http(s) URL, without trailing slashes (the CLI appends paths to it). */
export function endpointUrl(text: string): string {
  const trimmed = text.trim();
  // `127.0.0.1:8080` fails to parse, `localhost:8080` parses with the scheme `localhost:`.
  const schemeless = !/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new InvalidArgumentError(
      schemeless ? `give the URL with its scheme: http://${trimmed} (or https://).` : `give the server's http:// or https:// URL, such as ${DEFAULT_ENDPOINT}.`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

export interface ConnectionOptions {
  endpoint: string;
  region: string;
  profile?: string;
}

/**
 * Adds --endpoint, --region and --profile to `command`. --endpoint defaults to npm start's
 * address unless `defaultEndpoint` is false (demo: no endpoint means a file only).
 */
export function withConnectionOptions(command: Command, { defaultEndpoint = true } = {}): Command {
  return command
    .option('--endpoint <url>', "the farmtally server's URL", endpointUrl, defaultEndpoint ? DEFAULT_ENDPOINT : undefined)
    .option('--region <region>', 'the region requests are signed for (any: farmtally serves every region)', 'us-west-2')
    .option('--profile <name>', 'sigv4 servers: the AWS profile whose keys sign the requests (default: AWS_PROFILE, the environment, ~/.aws)');
}

/** A parser of whole numbers from `min` up (`1_000_000` reads as a million), for counts and sizes. */
export function wholeNumber(min: number) {
  return (text: string): number => {
    const n = Number(text.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`give a whole number, at least ${min}.`);
    return n;
  };
}
