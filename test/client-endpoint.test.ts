// Where client commands find the server (SPEC section 8), as the AWS CLI and SDKs do:
// --endpoint, then AWS_ENDPOINT_URL_DEADLINE, then AWS_ENDPOINT_URL, then npm start's address.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closedPort, farmtally } from './support/cli.js';
import { newDataDir, startFarmtally, type Farmtally } from './support/server.js';

const FARM = 'farm-0123456789abcdef0123456789abcdef';

/** The environment without any endpoint variable of the developer's own, plus `vars`. */
function envWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AWS_ENDPOINT_URL_DEADLINE;
  delete env.AWS_ENDPOINT_URL;
  return { ...env, ...vars };
}

describe('the endpoint order', () => {
  let file: string;
  let ports: { flag: number; deadline: number; any: number };
  before(async () => {
    file = join(newDataDir(), 'one.ndjson');
    writeFileSync(file, '{}\n');
    ports = { flag: await closedPort(), deadline: await closedPort(), any: await closedPort() };
  });

  // import names the address it could not reach: which one it picked.
  async function tried(args: string[], vars: Record<string, string>): Promise<string> {
    const run = await farmtally(['import', file, '--farm', FARM, ...args], envWith(vars));
    assert.equal(run.code, 1, run.stderr);
    const m = /cannot reach farmtally at (\S+) /.exec(run.stderr);
    assert.ok(m, run.stderr);
    return m[1]!;
  }

  test('--endpoint first, then AWS_ENDPOINT_URL_DEADLINE, then AWS_ENDPOINT_URL', async () => {
    const all = { AWS_ENDPOINT_URL_DEADLINE: `http://127.0.0.1:${ports.deadline}`, AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.any}` };
    assert.equal(await tried(['--endpoint', `http://127.0.0.1:${ports.flag}`], all), `http://127.0.0.1:${ports.flag}`);
    assert.equal(await tried([], all), `http://127.0.0.1:${ports.deadline}`);
    assert.equal(await tried([], { AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.any}/` }), `http://127.0.0.1:${ports.any}`);
    assert.equal(await tried([], { AWS_ENDPOINT_URL_DEADLINE: '', AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.any}` }), `http://127.0.0.1:${ports.any}`, 'an empty variable counts as unset');
  });

  test('neither variable: http://127.0.0.1:8080, as --help says', async () => {
    const help = await farmtally(['stats', '--help'], envWith({}));
    assert.match(help.stdout.replace(/\s+/g, ' '), /AWS_ENDPOINT_URL_DEADLINE, then AWS_ENDPOINT_URL, then http:\/\/127\.0\.0\.1:8080/);
    const run = await farmtally(['import', file, '--farm', FARM], envWith({}));
    // A server of the developer's own may answer there; either way the address is that one.
    if (run.code === 1 && /cannot reach/.test(run.stderr)) assert.match(run.stderr, /cannot reach farmtally at http:\/\/127\.0\.0\.1:8080 /);
  });

  test('a malformed variable is a usage error that names it', async () => {
    const run = await farmtally(['farms', 'list'], envWith({ AWS_ENDPOINT_URL_DEADLINE: '127.0.0.1:8080' }));
    assert.equal(run.code, 2);
    assert.match(run.stderr, /AWS_ENDPOINT_URL_DEADLINE=127\.0\.0\.1:8080: give the URL with its scheme/);
  });
});

describe('SDK commands use the variables too', () => {
  let ft: Farmtally;
  before(async () => (ft = await startFarmtally()));
  after(() => ft.stop());

  test('farms list and queues list reach the server named by AWS_ENDPOINT_URL_DEADLINE or AWS_ENDPOINT_URL', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    for (const vars of [{ AWS_ENDPOINT_URL_DEADLINE: ft.url, AWS_ENDPOINT_URL: closed }, { AWS_ENDPOINT_URL: ft.url }] as Record<string, string>[]) {
      const run = await farmtally(['farms', 'list', '--format', 'json'], envWith(vars));
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), []);
    }
    const queues = await farmtally(['queues', 'list', '--farm', FARM], envWith({ AWS_ENDPOINT_URL_DEADLINE: closed, AWS_ENDPOINT_URL: ft.url }));
    assert.equal(queues.code, 1, 'AWS_ENDPOINT_URL_DEADLINE comes first, and nothing listens there');
    assert.match(queues.stderr, /cannot reach/);
  });
});
