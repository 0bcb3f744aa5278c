// docs/farmtally.service, the README's way to run farmtally as a service: systemd accepts it
// (`systemd-analyze verify`, where that command exists), and what it sets is what serve reads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, newDataDir } from './support/server.js';

const UNIT = readFileSync(new URL('../docs/farmtally.service', import.meta.url), 'utf8');
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze = analyze.error ? 'systemd-analyze is not installed here (Debian: the systemd package)' : false;

/** key=value lines of the unit, comments aside. */
function settings(key: string): string[] {
  return UNIT.split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

test('systemd-analyze verify accepts the unit, without a warning', { skip: noAnalyze }, () => {
  // The unit names /usr/bin/node and /opt/farmtally; verify checks that the program exists,
  // so it is checked with this machine's node and this clone in their place.
  const file = join(newDataDir(), 'farmtally.service');
  writeFileSync(file, UNIT.replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/farmtally', new URL('..', import.meta.url).pathname.replace(/\/$/, '')));
  const run = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const about = run.stderr.split('\n').filter((l) => l.includes('farmtally.service'));
  assert.deepEqual(about, [], 'systemd ignores what it does not understand, with only a warning');
});

test('the unit runs serve with absolute paths as its own user, restarts on failure, and sets real options', () => {
  const [exec] = settings('ExecStart');
  assert.match(exec!, /^\/\S+\/node \/\S+\/bin\/farmtally\.js serve$/);
  assert.ok(settings('User')[0] && settings('User')[0] !== 'root');
  assert.deepEqual(settings('Restart'), ['on-failure']);
  for (const path of [...settings('WorkingDirectory'), ...settings('ReadWritePaths')]) assert.match(path, /^\//);
  const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
  const variables = [...UNIT.matchAll(/\b(FARMTALLY_[A-Z_]+)=/g)].map((m) => m[1]!);
  assert.ok(variables.includes('FARMTALLY_DATA') && variables.includes('FARMTALLY_PORT'));
  for (const name of variables) assert.match(help, new RegExp(`env: ${name}\\b`), `${name} is a serve option's variable`);
  assert.match(UNIT, /\/health/);
});
