// `farmtally credentials add|list|update|remove`: keeps the credentials file of sigv4 mode. `add`
// makes an access key pair from the system's secure random source, appends the principal
// and prints the secret once; the file is created private (0600) and always written whole
// to a temporary file that is then renamed over it, so a running server, which re-reads it
// on change, never sees half a file.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { OPERATIONS } from '../operations/registry.js';
import { checkCredentials, type Principal } from '../wire/auth/credentials.js';
import { EXIT } from './exit.js';

export const DEFAULT_CREDENTIALS_FILE = 'farmtally-credentials.json';
const KNOWN_ACTIONS = OPERATIONS.map((op) => `deadline:${op.name}`);
/** Access key IDs look like AWS's: a prefix and 16 characters of base32. */
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

class CredentialsFailed extends Error {}

function newAccessKeyId(): string {
  return `FTAK${[...randomBytes(16)].map((b) => KEY_ALPHABET[b % 32]).join('')}`;
}

/** 30 random bytes: 40 characters of base64, the length of an AWS secret access key. */
const newSecret = (): string => randomBytes(30).toString('base64');

interface FileContents {
  json: { principals: Record<string, unknown>[] } & Record<string, unknown>;
  principals: Principal[];
  mode: number;
}

function readFile(file: string, mustExist: boolean): FileContents {
  if (!existsSync(file)) {
    if (mustExist) throw new CredentialsFailed(`${file} does not exist; create it with \`farmtally credentials add\`.`);
    return { json: { principals: [] }, principals: [], mode: 0o600 };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CredentialsFailed(`${file} is not valid JSON; fix it (or move it away) first, nothing was changed.`);
  }
  const checked = checkCredentials(json, KNOWN_ACTIONS);
  if ('errors' in checked) throw new CredentialsFailed(`${file} is not valid; fix it first, nothing was changed:\n  - ${checked.errors.join('\n  - ')}`);
  return { json: json as FileContents['json'], principals: checked.principals, mode: statSync(file).mode & 0o777 };
}

/** Writes the whole file next to itself, then renames it over the old one. */
function writeFile(file: string, json: unknown, mode: number): void {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(temporary, mode);
    renameSync(temporary, file);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
}

const listOf = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);
/** `GetFarm` and `deadline:GetFarm` alike. */
const actionsOf = (text: string): string[] => listOf(text).map((a) => (a === '*' || a.startsWith('deadline:') ? a : `deadline:${a}`));

interface AddOptions {
  name: string;
  allow: string[];
  farms: string[];
  file: string;
}

function add(o: AddOptions): void {
  const contents = readFile(o.file, false);
  if (contents.principals.some((p) => p.name === o.name)) {
    throw new CredentialsFailed(`${o.file} already has a principal named ${o.name}; choose another name, or remove it first (farmtally credentials remove --name ${o.name}).`);
  }
  const principal: Principal = { name: o.name, accessKeyId: newAccessKeyId(), secretAccessKey: newSecret(), allow: o.allow, farms: o.farms };
  const json = { ...contents.json, principals: [...contents.json.principals, principal] };
  const checked = checkCredentials(json, KNOWN_ACTIONS);
  if ('errors' in checked) throw new CredentialsFailed(`not added:\n  - ${checked.errors.join('\n  - ')}`);
  writeFile(o.file, json, contents.mode);
  console.log(`Added principal ${o.name} to ${o.file}: allow ${o.allow.join(',')}; farms ${o.farms.join(',')}.`);
  console.log('Its secret access key is shown only this once. Give the pair to its user, to export:');
  console.log('');
  console.log(`  export AWS_ACCESS_KEY_ID=${principal.accessKeyId}`);
  console.log(`  export AWS_SECRET_ACCESS_KEY=${principal.secretAccessKey}`);
  console.log('');
  console.log('or to put in ~/.aws/credentials (then use --profile, or AWS_PROFILE):');
  console.log('');
  console.log(`  [${o.name}]`);
  console.log(`  aws_access_key_id = ${principal.accessKeyId}`);
  console.log(`  aws_secret_access_key = ${principal.secretAccessKey}`);
  console.log('');
  console.log('A server running with this file (serve --auth sigv4 --credentials FILE) takes the change within a second.');
}

function list(file: string): void {
  const { principals } = readFile(file, true);
  if (!principals.length) {
    console.log(`${file} has no principals.`);
    return;
  }
  const rows = [['NAME', 'ACCESS KEY ID', 'ALLOW', 'FARMS'], ...principals.map((p) => [p.name, p.accessKeyId, p.allow.join(','), p.farms.join(',')])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  '));
}

interface UpdateOptions {
  name: string;
  allow?: string[];
  farms?: string[];
  file: string;
}

/** New grants for a principal; its key stays as it is (its user needs nothing new). */
function update(o: UpdateOptions): void {
  if (!o.allow && !o.farms) throw new CredentialsFailed('give --allow, --farms or both: what the principal may do from now on.');
  const contents = readFile(o.file, true);
  const at = contents.json.principals.findIndex((p) => p.name === o.name);
  if (at === -1) throw new CredentialsFailed(`${o.file} has no principal named ${o.name} (see farmtally credentials list).`);
  const changed = { ...contents.json.principals[at]!, ...(o.allow ? { allow: o.allow } : {}), ...(o.farms ? { farms: o.farms } : {}) };
  const json = { ...contents.json, principals: contents.json.principals.map((p, i) => (i === at ? changed : p)) };
  const checked = checkCredentials(json, KNOWN_ACTIONS);
  if ('errors' in checked) throw new CredentialsFailed(`not updated:\n  - ${checked.errors.join('\n  - ')}`);
  writeFile(o.file, json, contents.mode);
  const now = checked.principals.find((p) => p.name === o.name)!;
  console.log(`Updated ${o.name} in ${o.file}: allow ${now.allow.join(',')}; farms ${now.farms.join(',')}. Its key is unchanged; a running server applies the grants within a second.`);
}

function remove(name: string, file: string): void {
  const contents = readFile(file, true);
  const kept = contents.json.principals.filter((p) => p.name !== name);
  if (kept.length === contents.json.principals.length) throw new CredentialsFailed(`${file} has no principal named ${name} (see farmtally credentials list).`);
  writeFile(file, { ...contents.json, principals: kept }, contents.mode);
  console.log(`Removed ${name} from ${file}; its key stops working as soon as the server has re-read the file (within a second).`);
}

function run(action: () => void): void {
  try {
    action();
  } catch (err) {
    console.error(`farmtally: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(EXIT.FAILED);
  }
}

const required = (what: string) => (text: string) => {
  const items = listOf(text);
  if (!items.length) throw new InvalidArgumentError(`give at least one ${what}.`);
  return items;
};

export function credentialsCommand(): Command {
  const fileOption = ['--file <file>', 'the credentials file (serve --credentials)', DEFAULT_CREDENTIALS_FILE] as const;
  const command = new Command('credentials')
    .description('Manage the principals of sigv4 mode: access keys, the actions and the farms each may use.')
    .addHelpText('after', `\nExamples:\n  $ farmtally credentials add --name admin --allow 'deadline:*' --farms '*'\n  $ farmtally credentials list\n  $ farmtally credentials update --name admin --farms '*'\n  $ farmtally credentials remove --name admin\n`);
  command
    .command('add')
    .description('Create an access key pair for a new principal, add it to the credentials file (created 0600 if absent), and print the secret once.')
    .requiredOption('--name <name>', 'who the principal is: shown in createdBy/updatedBy and the request log')
    .requiredOption('--allow <actions>', 'comma-separated actions: deadline:<Operation> with * wildcards (deadline:*, deadline:Get*,deadline:List*, deadline:IngestSessions)', (t) => actionsOf(required('action')(t).join(',')))
    .requiredOption('--farms <farms>', "comma-separated farm IDs, or '*' for every farm (creating farms needs '*')", required('farm ID or *'))
    .option(...fileOption)
    .addHelpText(
      'after',
      `
Examples:
  $ farmtally credentials add --name admin --allow 'deadline:*' --farms '*'
  $ farmtally credentials add --name lighting-viewer --allow 'deadline:Get*,deadline:List*' --farms farm-0123456789abcdef0123456789abcdef
  $ farmtally credentials add --name render-wrangler --allow deadline:IngestSessions --farms farm-0123456789abcdef0123456789abcdef --file /etc/farmtally/credentials.json
`,
    )
    .action((o: AddOptions) => run(() => add(o)));
  command
    .command('list')
    .description('List the principals of the credentials file (names, key IDs and grants; never secrets).')
    .option(...fileOption)
    .addHelpText('after', `\nExample:\n  $ farmtally credentials list --file /etc/farmtally/credentials.json\n`)
    .action((o: { file: string }) => run(() => list(o.file)));
  command
    .command('update')
    .description("Change a principal's grants (its actions, its farms, or both) without changing its key.")
    .requiredOption('--name <name>', 'the principal to change')
    .option('--allow <actions>', 'the actions it may perform from now on (as for add)', (t) => actionsOf(required('action')(t).join(',')))
    .option('--farms <farms>', "the farm IDs it may use from now on, or '*'", required('farm ID or *'))
    .option(...fileOption)
    .addHelpText('after', `\nExample:\n  $ farmtally credentials update --name lighting-viewer --farms farm-0123456789abcdef0123456789abcdef,farm-fedcba9876543210fedcba9876543210\n`)
    .action((o: UpdateOptions) => run(() => update(o)));
  command
    .command('remove')
    .description('Remove a principal from the credentials file; its key stops working once a running server has re-read the file.')
    .requiredOption('--name <name>', 'the principal to remove')
    .option(...fileOption)
    .addHelpText('after', `\nExample:\n  $ farmtally credentials remove --name lighting-viewer\n`)
    .action((o: { name: string; file: string }) => run(() => remove(o.name, o.file)));
  return command;
}
