// `farmtally serve` as scripts use it (SPEC section 8): the ready line, clean stops, and
// clear refusals of bad settings.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, newDataDir, startFarmtally } from './support/server.js';

function serve(args: string[]) {
  return spawnSync(process.execPath, [BIN, 'serve', '--port', '0', ...args], { encoding: 'utf8', timeout: 30_000 });
}

test('prints exactly one ready line with the real port, and stops cleanly on SIGTERM and SIGINT', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const ft = await startFarmtally();
    const lines = ft.output().split('\n').filter((l) => l.startsWith('farmtally listening on'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^farmtally listening on http:\/\/127\.0\.0\.1:(\d+)$/);
    assert.notEqual(new URL(ft.url).port, '0');
    const exited = new Promise<[number | null, string | null]>((r) => ft.process.on('exit', (code, killedBy) => r([code, killedBy])));
    ft.process.kill(signal);
    assert.deepEqual(await exited, [0, null], ft.output());
    assert.match(ft.output(), new RegExp(`${signal} received, stopping`));
  }
});

test('open mode refuses a non-loopback address', () => {
  const run = serve(['--host', '0.0.0.0', '--data', newDataDir()]);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /loopback/);
  assert.match(run.stderr, /--host 127\.0\.0\.1/);
});

test('an IPv6 loopback address in brackets, as URLs write it (--host [::1]), is listened on and passes open mode\'s check', async () => {
  for (const host of ['[::1]', '::1']) {
    const ft = await startFarmtally({ args: ['--host', host] });
    try {
      assert.match(ft.url, /^http:\/\/\[::1\]:\d+$/, host);
      const health = await fetch(`${ft.url}/health`);
      assert.equal(health.status, 200, host);
    } finally {
      await ft.stop();
    }
  }
  // Brackets do not make another address loopback.
  const run = serve(['--host', '[::]', '--data', newDataDir()]);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /only listens on a loopback address, not \[::\]/);
});

test('a bad pricing file is refused at start, saying what is wrong', () => {
  const dir = newDataDir();
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ instanceTypes: { 'c5.large': -1 }, licenseProduct: {}, customerManagedFleets: { 'fleet-1': 1 } }));
  const run = serve(['--data', dir, '--pricing', bad]);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /instanceTypes\.c5\.large/);
  assert.match(run.stderr, /licenseProduct/);
  assert.match(run.stderr, /fleet-1/);
  const missing = serve(['--data', dir, '--pricing', join(dir, 'nope.json')]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /cannot read the pricing file/);
  const notJson = join(dir, 'text.json');
  writeFileSync(notJson, 'instanceTypes: 1');
  assert.match(serve(['--data', dir, '--pricing', notJson]).stderr, /cannot read the pricing file/);
});

test('bad numbers in options are refused with the rule', () => {
  assert.match(serve(['--port', 'eighty']).stderr, /port is a whole number/);
  assert.match(serve(['--max-result-rows', '0']).stderr, /greater than 0/);
  assert.match(serve(['--data', newDataDir(), '--memory-limit', 'lots']).stderr, /--memory-limit/);
});

test('a second server on the same data folder says why it cannot start', async () => {
  const ft = await startFarmtally();
  try {
    const second = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', ft.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    second.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => second.on('exit', r));
    assert.notEqual(code, 0);
    assert.match(err, /another farmtally server/);
  } finally {
    await ft.stop();
  }
});
