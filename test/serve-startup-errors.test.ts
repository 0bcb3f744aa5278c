// `farmtally serve` failing to start the way a first hour meets it: each message names the
// cause and the option or command that fixes it, and the exit code is 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, newDataDir } from './support/server.js';

function serve(args: string[]) {
  return spawnSync(process.execPath, [BIN, 'serve', ...args], { encoding: 'utf8', timeout: 30_000 });
}

/** Root may write anywhere: as root, the server runs as `nobody` (setpriv, util-linux) for a folder it may not write. */
function serveUnprivileged(args: string[]) {
  if (process.getuid?.() !== 0) return serve(args);
  return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'serve', ...args], { encoding: 'utf8', timeout: 30_000 });
}

test('a port in use names --port', async () => {
  const taken = createServer();
  const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)));
  try {
    const run = await new Promise<ReturnType<typeof serve>>((resolve) => setImmediate(() => resolve(serve(['--port', String(port), '--data', newDataDir()]))));
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`farmtally: port ${port} on 127\\.0\\.0\\.1 is in use .*give another port: --port N \\(or FARMTALLY_PORT; 0 picks a free one\\)`));
  } finally {
    taken.close();
  }
});

test('--data naming a file, or a path through one, says it must be a folder', () => {
  const file = join(newDataDir(), 'not-a-folder');
  writeFileSync(file, 'x');
  for (const [data, code] of [[file, 'EEXIST'], [join(file, 'below'), 'ENOTDIR']] as const) {
    const run = serve(['--port', '0', '--data', data]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`--data ${data.replace(/[/.]/g, '\\$&')} must be a folder, and .* is a file \\(${code}\\)\\. Give --data \\(or FARMTALLY_DATA\\) a folder`));
  }
});

test('--data in a folder this user may not write says so', (t) => {
  if (process.getuid?.() === 0 && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', BIN]).status !== 0) {
    return t.skip('running as root, and nobody may not read this clone (or setpriv is missing)');
  }
  const parent = newDataDir();
  chmodSync(parent, 0o755); // so that nobody may look inside when the tests run as root
  const readOnly = join(parent, 'read-only');
  mkdirSync(readOnly);
  chmodSync(readOnly, 0o555);
  const run = serveUnprivileged(['--port', '0', '--data', join(readOnly, 'data')]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /\(EACCES\): --data .* must be a folder this user .* may write/);
});

test('--auth sigv4 without a credentials file names farmtally credentials add', () => {
  const missing = join(newDataDir(), 'farmtally-credentials.json');
  const run = serve(['--port', '0', '--data', newDataDir(), '--auth', 'sigv4', '--credentials', missing]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /sigv4 mode needs a credentials file, and .*farmtally-credentials\.json does not exist/);
  assert.match(run.stderr, /`farmtally credentials add --name admin --allow 'deadline:\*' --farms '\*' --file .*farmtally-credentials\.json`/);
});
