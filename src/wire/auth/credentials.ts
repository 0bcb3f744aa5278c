// The credentials file of sigv4 mode (SPEC section 8), IAM-like: principals, each with an
// access key pair, the actions it may perform (`deadline:<OperationName>`, `*` wildcards)
// and the farms it may touch (IDs, or `*` for all). Read and checked as a whole: a file with
// any mistake is refused with every mistake listed, so the server can keep the last good one.
import { readFileSync } from 'node:fs';

export interface Principal {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  allow: string[];
  farms: string[];
}

/** A file's principals, ready to answer who a key is and what it may do. */
export class Credentials {
  private readonly byKey: Map<string, Principal>;
  private readonly patterns = new Map<Principal, RegExp[]>();

  constructor(readonly principals: readonly Principal[]) {
    this.byKey = new Map(principals.map((p) => [p.accessKeyId, p]));
    for (const p of principals) this.patterns.set(p, p.allow.map(actionPattern));
  }

  principalOf(accessKeyId: string): Principal | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** Whether one of the principal's `allow` patterns matches `action` (case-insensitive, as IAM). */
  allows(principal: Principal, action: string): boolean {
    return (this.patterns.get(principal) ?? principal.allow.map(actionPattern)).some((p) => p.test(action));
  }
}

/** Whether the principal may touch every farm, including ones not created yet. */
export const allFarms = (p: Pick<Principal, 'farms'>): boolean => p.farms.includes('*');

/** `deadline:Get*` as a whole-string, case-insensitive pattern. */
export function actionPattern(glob: string): RegExp {
  const source = glob.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`, 'i');
}

const NAME = /^[\w+=,.@-]{1,64}$/;
const ACCESS_KEY_ID = /^\w{16,128}$/;
const FARM_ID = /^farm-[0-9a-f]{32}$/;
const ACTION = /^(\*|deadline:[A-Za-z*]+)$/;

/** The mistakes of one principal entry, each naming where it is. */
function entryErrors(entry: unknown, where: string, knownActions: readonly string[]): string[] {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [`${where} must be an object with name, accessKeyId, secretAccessKey, allow and farms`];
  const e = entry as Record<string, unknown>;
  const errors: string[] = [];
  const text = (field: string, rule: RegExp | undefined, what: string) => {
    const v = e[field];
    if (typeof v !== 'string' || v === '') errors.push(`${where}: ${field} is missing (${what})`);
    else if (rule && !rule.test(v)) errors.push(`${where}: ${field} ${JSON.stringify(v.slice(0, 80))} is not ${what}`);
  };
  text('name', NAME, '1 to 64 letters, digits or +=,.@_-');
  text('accessKeyId', ACCESS_KEY_ID, '16 to 128 letters, digits or _');
  text('secretAccessKey', /^.{16,}$/s, 'a secret of at least 16 characters');
  const list = (field: string, check: (item: string, at: string) => string | undefined) => {
    const v = e[field];
    if (!Array.isArray(v) || v.length === 0) {
      errors.push(`${where}: ${field} must be a non-empty list`);
      return;
    }
    v.forEach((item, i) => {
      const at = `${where}: ${field}[${i}]`;
      const problem = typeof item === 'string' ? check(item, at) : `${at} must be a string`;
      if (problem) errors.push(problem);
    });
  };
  list('allow', (action, at) => {
    if (!ACTION.test(action)) return `${at} ${JSON.stringify(action.slice(0, 80))} is not an action: write deadline:<OperationName> (e.g. deadline:GetFarm, deadline:List*, deadline:*)`;
    const pattern = actionPattern(action);
    if (!knownActions.some((a) => pattern.test(a))) return `${at} ${JSON.stringify(action)} matches no action farmtally has (${knownActions.join(', ')})`;
    return undefined;
  });
  list('farms', (farm, at) => (farm === '*' || FARM_ID.test(farm) ? undefined : `${at} ${JSON.stringify(farm.slice(0, 80))} is not a farm ID (farm- and 32 hex digits) or *`));
  return errors;
}

/** Checks a parsed file; `knownActions` are the `deadline:` actions an allow entry may name. */
export function checkCredentials(json: unknown, knownActions: readonly string[]): { principals: Principal[] } | { errors: string[] } {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { principals?: unknown }).principals)) {
    return { errors: ['the file must be a JSON object with a "principals" list'] };
  }
  const entries = (json as { principals: unknown[] }).principals;
  const errors: string[] = [];
  const names = new Set<string>();
  const keys = new Set<string>();
  entries.forEach((entry, i) => {
    const name = (entry as { name?: unknown } | null)?.name;
    const where = `principals[${i}]${typeof name === 'string' ? ` (${name.slice(0, 64)})` : ''}`;
    const found = entryErrors(entry, where, knownActions);
    errors.push(...found);
    if (found.length) return;
    const p = entry as Principal;
    if (names.has(p.name)) errors.push(`${where}: the name ${p.name} is used by another principal`);
    if (keys.has(p.accessKeyId)) errors.push(`${where}: the access key ID ${p.accessKeyId} is used by another principal`);
    names.add(p.name);
    keys.add(p.accessKeyId);
  });
  if (errors.length) return { errors };
  return {
    principals: entries.map((entry) => {
      const p = entry as Principal;
      return { name: p.name, accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey, allow: [...p.allow], farms: [...p.farms] };
    }),
  };
}

/** Reads and checks a credentials file; throws an Error listing every mistake. */
export function readCredentialsFile(file: string, knownActions: readonly string[]): Credentials {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `sigv4 mode needs a credentials file, and ${file} does not exist. Make it with a first principal: ` +
          `\`farmtally credentials add --name admin --allow 'deadline:*' --farms '*' --file ${file}\` (it prints the key pair), ` +
          'or give --credentials the path of the file you have.',
      );
    }
    throw new Error(`cannot read the credentials file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseCredentials(text, file, knownActions);
}

/** Checks the text of the credentials file `file`; throws an Error listing every mistake. */
export function parseCredentials(text: string, file: string, knownActions: readonly string[]): Credentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // The parser's message may quote the text around the mistake, secrets included: give only where it is.
    const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    const line = at ? ` (line ${text.slice(0, Number(at[1])).split('\n').length})` : '';
    throw new Error(`the credentials file ${file} is not valid JSON${line}`);
  }
  const checked = checkCredentials(json, knownActions);
  if ('errors' in checked) throw new Error(`the credentials file ${file} is not valid:\n  - ${checked.errors.join('\n  - ')}`);
  return new Credentials(checked.principals);
}
