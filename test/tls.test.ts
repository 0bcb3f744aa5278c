// HTTPS with --tls-cert/--tls-key (a self-signed certificate made by openssl for the test),
// the SDK and `farmtally import` trusting it, the CLI saying how to trust it when it does
// not, and which modes may listen beyond loopback: open mode stays on loopback, sigv4 may
// take any address.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, DeadlineClient, ListFarmsCommand } from '@aws-sdk/client-deadline';
import { farmtally } from './support/cli.js';
import { BIN, startFarmtally } from './support/server.js';
import { farmWithParents, sessionRecord, toNdjson } from './support/session-records.js';
import { clientAs, principal, sdkError, signedFetch, startSigv4, type Sigv4Server } from './support/sigv4.js';

const admin = principal('admin');
const dir = mkdtempSync(join(tmpdir(), 'farmtally-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
let server: Sigv4Server;

before(async () => {
  // CI installs Debian's openssl package (.ci/run); without it this file cannot run.
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  assert.equal(made.status, 0, `openssl could not make a test certificate (install Debian's openssl package): ${made.error?.message ?? made.stderr}`);
  server = await startSigv4([admin], ['--tls-cert', cert, '--tls-key', key]);
});
after(() => server?.ft.stop());

/** The start-up error of a server that must not start (one that does start is stopped, then fails the test). */
async function refusedStart(args: string[]): Promise<string> {
  const started = await startFarmtally({ args }).catch((err: Error) => err);
  if (started instanceof Error) return started.message;
  await started.stop();
  assert.fail(`the server started with ${args.join(' ')}`);
}

const trusting = () => ({ requestHandler: { httpsAgent: new Agent({ ca: readFileSync(cert) }) } });

test('--tls-cert/--tls-key serve HTTPS: the listening line says https, the SDK trusting the certificate works, one that does not is refused', async () => {
  assert.match(server.ft.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const client = clientAs(server.ft.url, admin, trusting());
  const { farmId } = await client.send(new CreateFarmCommand({ displayName: 'over TLS' }));
  assert.deepEqual((await client.send(new ListFarmsCommand({}))).farms!.map((f) => f.farmId), [farmId]);
  const untrusting = await sdkError(clientAs(server.ft.url, admin).send(new ListFarmsCommand({})));
  assert.match(`${untrusting.name} ${untrusting.message}`, /self[- ]signed|certificate/i);
  await assert.rejects(fetch(server.ft.url.replace('https:', 'http:') + '/2023-10-12/farms'));
});

test('farmtally import streams over HTTPS with NODE_EXTRA_CA_CERTS, signing the https request', async () => {
  const farm = await farmWithParents(clientAs(server.ft.url, admin, trusting()), 'tls import');
  const file = join(dir, 'sessions.ndjson');
  writeFileSync(file, toNdjson([sessionRecord(farm), sessionRecord(farm)]));
  const child = spawn(process.execPath, [BIN, 'import', file, '--farm', farm.farmId, '--endpoint', server.ft.url], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, AWS_ACCESS_KEY_ID: admin.accessKeyId, AWS_SECRET_ACCESS_KEY: admin.secretAccessKey },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /received 2, created 2/);
});

test('over the server\'s own TLS an ingest body may go unsigned (UNSIGNED-PAYLOAD), as `farmtally import` streams it there', async () => {
  const farm = await farmWithParents(clientAs(server.ft.url, admin, trusting()), 'tls unsigned');
  const records = [sessionRecord(farm), sessionRecord(farm)];
  const res = await signedFetch(server.ft.url, admin, {
    method: 'POST',
    path: `/ingest/v1/farms/${farm.farmId}/sessions`,
    body: toNdjson(records),
    headers: { 'content-type': 'application/x-ndjson', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    ca: readFileSync(cert),
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.created, 2);
});

test('the CLI with a certificate it does not trust: exit 1, saying how to trust it', async () => {
  const keys = { AWS_ACCESS_KEY_ID: admin.accessKeyId, AWS_SECRET_ACCESS_KEY: admin.secretAccessKey };
  const file = join(dir, 'one.ndjson');
  writeFileSync(file, toNdjson([sessionRecord(await farmWithParents(clientAs(server.ft.url, admin, trusting()), 'untrusted'))]));
  const env = { ...process.env, ...keys, NODE_EXTRA_CA_CERTS: '' };
  for (const args of [['farms', 'list', '--endpoint', server.ft.url], ['import', file, '--farm', `farm-${'0'.repeat(32)}`, '--endpoint', server.ft.url]]) {
    const run = await farmtally(args, env);
    assert.equal(run.code, 1, `${args[0]}: ${run.stderr}`);
    assert.match(run.stderr, /certificate is not trusted here \(self[- ]signed certificate\)\. .*NODE_EXTRA_CA_CERTS=ca\.pem/, args[0]);
  }
  const trusted = await farmtally(['farms', 'list', '--endpoint', server.ft.url], { ...env, NODE_EXTRA_CA_CERTS: cert });
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.match(trusted.stdout, /^untrusted +farm-/m);
});

test('open mode refuses a non-loopback address; sigv4 listens on 0.0.0.0', async () => {
  assert.match(await refusedStart(['--host', '0.0.0.0']), /open mode \(no authentication\) only listens on a loopback address, not 0\.0\.0\.0/);
  const anywhere = await startSigv4([admin], ['--host', '0.0.0.0']);
  try {
    assert.match(anywhere.ft.url, /^http:\/\/0\.0\.0\.0:\d+$/);
    const url = anywhere.ft.url.replace('0.0.0.0', '127.0.0.1');
    assert.ok((await clientAs(url, admin).send(new ListFarmsCommand({}))).farms);
    assert.match(anywhere.ft.output(), /serving plain HTTP on 0\.0\.0\.0/);
  } finally {
    await anywhere.ft.stop();
  }
});

test('unreadable or mismatched TLS files, or only one of them, stop the start with a clear error', async () => {
  const otherKey = join(dir, 'other-key.pem');
  spawnSync('openssl', ['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', otherKey]);
  const cases: [string[], RegExp][] = [
    [['--tls-cert', join(dir, 'missing.pem'), '--tls-key', key], /cannot read the TLS certificate \(--tls-cert\) .*missing\.pem/],
    [['--tls-cert', cert, '--tls-key', cert], /cannot be used .*Give a PEM certificate \(chain\) and its own PEM private key/],
    [['--tls-cert', cert, '--tls-key', otherKey], /cannot be used \(.*key values mismatch/],
    [['--tls-cert', cert], /HTTPS needs both --tls-cert FILE and --tls-key FILE/],
  ];
  for (const [args, message] of cases) assert.match(await refusedStart(args), message, args.join(' '));
});

test("the README's self-signed certificate recipe, run as written, is trusted by the SDK at https://127.0.0.1 and https://localhost", async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const recipe = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((block) => block.startsWith('openssl req -x509'));
  assert.ok(recipe, "the README's TLS recipe (a ```sh block starting openssl req -x509) was not found");
  const where = mkdtempSync(join(tmpdir(), 'farmtally-readme-tls-'));
  const made = spawnSync('sh', ['-c', recipe], { cwd: where, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const ft = await startFarmtally({ args: ['--tls-cert', join(where, 'cert.pem'), '--tls-key', join(where, 'key.pem')] });
  try {
    assert.match(ft.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(join(where, 'cert.pem'));
    for (const endpoint of [ft.url, ft.url.replace('127.0.0.1', 'localhost')]) {
      const client = new DeadlineClient({
        endpoint,
        region: 'us-west-2',
        disableHostPrefix: true,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        maxAttempts: 1,
        requestHandler: { httpsAgent: new Agent({ ca }) },
      });
      const { farms } = await client.send(new ListFarmsCommand({}));
      assert.deepEqual(farms, [], endpoint);
    }
  } finally {
    await ft.stop(true);
  }
});
