// `farmtally serve` configured by environment variables, as a service manager passes them
// (SPEC section 8): FARMTALLY_ + the option's name; the flag wins; --help lists them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { closedPort } from './support/cli.js';
import { BIN, http, newDataDir, startFarmtally } from './support/server.js';

/** A server started with no flags at all: everything from `env`. Resolves with its URL. */
async function serveFromEnv(env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 30 s:\n${output}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /farmtally listening on (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise((r) => child.on('exit', r));
  return { url, output: () => output, stop: async () => (child.kill('SIGTERM'), await exited) };
}

test('FARMTALLY_PORT, FARMTALLY_DATA, FARMTALLY_STRICT and FARMTALLY_LOG_LEVEL take effect without flags', async () => {
  const port = await closedPort();
  const data = join(newDataDir(), 'from-env');
  const ft = await serveFromEnv({ FARMTALLY_PORT: String(port), FARMTALLY_DATA: data, FARMTALLY_STRICT: 'true', FARMTALLY_LOG_LEVEL: 'warn' });
  try {
    assert.equal(ft.url, `http://127.0.0.1:${port}`);
    assert.ok(existsSync(data) && readdirSync(data).length > 0, 'the store is in FARMTALLY_DATA');
    const settings = await http(ft.url, 'GET', '/explorer/settings.json');
    assert.deepEqual(settings.body, { auth: 'open', strict: true });
    assert.equal((await fetch(`${ft.url}/health`)).status, 200);
    assert.doesNotMatch(ft.output(), /"level":30/, 'no request lines at warn');
  } finally {
    await ft.stop();
  }
});

test('FARMTALLY_STRICT=false (or 0, off, no) leaves strict off; another value is a usage error naming the variable', async () => {
  const ft = await startFarmtally({ env: { FARMTALLY_STRICT: 'false' } });
  try {
    assert.deepEqual((await http(ft.url, 'GET', '/explorer/settings.json')).body, { auth: 'open', strict: false });
  } finally {
    await ft.stop();
  }
  const run = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data', newDataDir()], { encoding: 'utf8', env: { ...process.env, FARMTALLY_STRICT: 'maybe' }, timeout: 30_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /FARMTALLY_STRICT=maybe/);
});

test('a flag wins over its variable', async () => {
  const unused = join(newDataDir(), 'not-this-one');
  const ft = await startFarmtally({ env: { FARMTALLY_PORT: '1', FARMTALLY_DATA: unused, FARMTALLY_LOG_LEVEL: 'nonsense' }, args: ['--log-level', 'info'] });
  try {
    assert.notEqual(new URL(ft.url).port, '1');
    assert.equal((await fetch(`${ft.url}/health`)).status, 200);
    assert.ok(!existsSync(unused), 'the --data folder is used, not FARMTALLY_DATA');
    assert.ok(existsSync(ft.dataDir));
  } finally {
    await ft.stop();
  }
});

test('a bad value in a variable is a usage error that names the variable', () => {
  const run = spawnSync(process.execPath, [BIN, 'serve'], { encoding: 'utf8', env: { ...process.env, FARMTALLY_PORT: 'eighty' }, timeout: 30_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /from env 'FARMTALLY_PORT'/);
  assert.match(run.stderr, /port is a whole number/);
});

test('serve --help lists every option\'s variable', () => {
  const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' }).stdout.split('Every option')[0]!.replace(/\s+/g, ' ');
  const flags = [...help.matchAll(/ --([a-z][a-z0-9-]*)/g)].map((m) => m[1]!).filter((f) => f !== 'help');
  for (const name of ['host', 'port', 'data', 'auth', 'credentials', 'tls-cert', 'tls-key', 'strict', 'log-level']) assert.ok(flags.includes(name), name);
  for (const flag of new Set(flags)) assert.match(help, new RegExp(`env: FARMTALLY_${flag.toUpperCase().replace(/-/g, '_')}\\b`), `--${flag}`);
});
