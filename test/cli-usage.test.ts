// The command line's contract with people and scripts: every command's --help shows an
// example, `farmtally --help` documents the exit codes, and the exit code says how a run
// ended: 0 done, 1 failed (the server or a file said no, or could not be reached), 2 bad
// usage (the command line itself is wrong). Usage cases point at a closed port, so a
// mistake that slipped through to the network would end 1, not 2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { closedPort, farmtally, type CliRun } from './support/cli.js';

/** The command names listed under "Commands:" in a help text, `help` aside. */
function commandsIn(help: string): string[] {
  const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

/** Every command path with its --help run, found by reading the help texts from the top down. */
async function allCommands(path: string[] = []): Promise<{ path: string[]; help: CliRun }[]> {
  const help = await farmtally([...path, '--help']);
  const below = await Promise.all(commandsIn(help.stdout).map((name) => allCommands([...path, name])));
  return [{ path, help }, ...below.flat()];
}

/** `run` over `items`, three at a time: each is a Node process starting up. */
async function threeAtATime<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += 3) results.push(...(await Promise.all(items.slice(i, i + 3).map(run))));
  return results;
}

function assertUsageError(run: CliRun, message: RegExp, what: string): void {
  assert.equal(run.code, 2, `${what}: expected exit 2 (bad usage):\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stderr, message, what);
  assert.match(run.stderr, /farmtally .*--help/, `${what}: says where the help is`);
  assert.doesNotMatch(run.stderr, /^\s+at .+:\d+:\d+\)?$/m, `${what}: no stack trace`);
}

describe('help', () => {
  test('every command and subcommand shows an example in its --help, and exits 0', async () => {
    const commands = (await allCommands()).filter(({ path }) => path.length > 0);
    const names = commands.map(({ path }) => path.join(' '));
    for (const expected of ['serve', 'import', 'stats', 'demo', 'farms list', 'queues list', 'fleets list', 'budgets list', 'budgets create', 'budgets show', 'credentials add', 'credentials list', 'credentials remove', 'sessions delete', 'users forget']) {
      assert.ok(names.includes(expected), `${expected} among ${names.join(', ')}`);
    }
    for (const { path, help } of commands) {
      assert.equal(help.code, 0, path.join(' '));
      assert.match(help.stdout, new RegExp(`Examples?:\\n\\s+\\$ ([A-Z_]+=\\S+ )?farmtally ${path[0]}\\b`), path.join(' '));
    }
  });

  test('farmtally --help documents the exit codes', async () => {
    const help = await farmtally(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:\n\s+0\s+done\n\s+1\s+failed[^\n]*\n(\s{4,}[^\n]*\n)*\s+2\s+bad usage/);
  });
});

describe('exit codes', () => {
  let endpoint: string;
  before(async () => {
    endpoint = `http://127.0.0.1:${await closedPort()}`;
  });
  const farm = `farm-${'0'.repeat(32)}`;
  const queue = `queue-${'0'.repeat(32)}`;
  const stats = (...more: string[]) => ['stats', '--endpoint', endpoint, '--farm', farm, '--start', '2025-01-01', '--end', '2025-02-01', '--group-by', 'QUEUE_ID', ...more];

  test('bad usage exits 2, naming the mistake and where the help is', async () => {
    const cases: [string, string[], RegExp][] = [
      ['no command', [], /Usage: farmtally/],
      ['an unknown command', ['report'], /unknown command 'report'/],
      ['an unknown option', ['farms', 'list', '--endpoint', endpoint, '--colour'], /unknown option '--colour'/],
      ['a missing required option', ['queues', 'list', '--endpoint', endpoint], /required option '--farm <farmId>' not specified/],
      ['a value outside the choices', stats('--queues', queue, '--format', 'xml'), /--format.*xml.*Allowed choices are table, csv, json/],
      ['an endpoint without its scheme', ['farms', 'list', '--endpoint', '127.0.0.1:8080'], /http:\/\/127\.0\.0\.1:8080/],
      ['both --queues and --fleets', stats('--queues', queue, '--fleets', `fleet-${'0'.repeat(32)}`), /one of --queues or --fleets, not both/],
      ['a start that is no date', stats('--queues', queue, '--start', '2025-13-01'), /--start 2025-13-01 is not a time/],
      ['an unknown time zone', stats('--queues', queue, '--timezone', 'Mars/Olympus'), /--timezone Mars\/Olympus/],
      ['an import file of no known format', ['import', 'sessions.txt', '--farm', farm, '--endpoint', endpoint], /give --format ndjson or --format csv/],
      ['a demo of no sessions', ['demo', '--endpoint', endpoint, '--sessions', '0'], /--sessions/],
      ['HTTPS with a certificate and no key', ['serve', '--port', '0', '--tls-cert', 'cert.pem'], /both --tls-cert FILE and --tls-key FILE/],
    ];
    const runs = await threeAtATime(cases, ([, args]) => farmtally(args));
    cases.forEach(([what, , message], i) => assertUsageError(runs[i]!, message, what));
  });

  test('a failure exits 1 and says what to do: a server that cannot be reached', async () => {
    const cases = [['farms', 'list', '--endpoint', endpoint], stats('--queues', queue)];
    for (const [i, run] of (await Promise.all(cases.map((args) => farmtally(args)))).entries()) {
      const args = cases[i]!;
      assert.equal(run.code, 1, `${args.join(' ')}:\n${run.stderr}`);
      assert.match(run.stderr, /cannot reach the server .*Start it with `npx farmtally serve`/);
    }
  });
});

test('farmtally --version (and -V) prints package.json\'s version and exits 0', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const run = await farmtally([flag]);
    assert.equal(run.code, 0, flag);
    assert.equal(run.stdout, `${version}\n`, flag);
  }
});
