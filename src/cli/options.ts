// Options that every command talking to a server takes alike: where the server is, and the
// region and profile the requests are signed with; and the parser of counts (sessions, batch sizes).
import { Command, InvalidArgumentError } from 'commander';
import { usageError } from './exit.js';

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

/** The variables an endpoint comes from without --endpoint, first found wins, as the AWS CLI and SDKs read them. */
export const ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL_DEADLINE', 'AWS_ENDPOINT_URL'] as const;

/**
 * The endpoint when no --endpoint is given: AWS_ENDPOINT_URL_DEADLINE, then AWS_ENDPOINT_URL
 * (an empty one counts as unset), then npm start's address. A malformed one is a usage error
 * naming the variable.
 */
export function defaultEndpoint(command?: string): string {
  for (const name of ENDPOINT_VARIABLES) {
    const value = process.env[name]?.trim();
    if (!value) continue;
    try {
      return endpointUrl(value);
    } catch (err) {
      usageError(`${name}=${value}: ${err instanceof Error ? err.message : String(err)}`, command);
    }
  }
  return DEFAULT_ENDPOINT;
}

/**
 * Adds --endpoint, --region and --profile to `command`. Without --endpoint, the endpoint is
 * defaultEndpoint()'s unless `defaultEndpoint` is false (demo: no endpoint means a file
 * only; it looks for one itself).
 */
export function withConnectionOptions(command: Command, { defaultEndpoint: useDefault = true } = {}): Command {
  return command
    .option(
      '--endpoint <url>',
      `the farmtally server's URL (default: ${ENDPOINT_VARIABLES.join(', then ')}, then ${DEFAULT_ENDPOINT})`,
      endpointUrl,
    )
    .option('--region <region>', 'the region requests are signed for (any: farmtally serves every region)', 'us-west-2')
    .option('--profile <name>', 'sigv4 servers: the AWS profile whose keys sign the requests (default: AWS_PROFILE, the environment, ~/.aws)')
    .hook('preAction', (self) => {
      if (useDefault && self.getOptionValue('endpoint') === undefined) self.setOptionValueWithSource('endpoint', defaultEndpoint(commandPath(self)), 'default');
    });
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** A parser of whole numbers from `min` up (`1_000_000` reads as a million), for counts and sizes. */
export function wholeNumber(min: number) {
  return (text: string): number => {
    const n = Number(text.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`give a whole number, at least ${min}.`);
    return n;
  };
}
