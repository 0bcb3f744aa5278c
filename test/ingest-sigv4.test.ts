// The ingest route and the CLI clients in sigv4 mode: `farmtally import`, `stats`, `demo`
// and the list commands signing with credentials found the AWS way (environment, a profile in the shared
// files, --profile), placeholders refused with what to do, a streamed body signed with
// its SHA-256 refused whole, before anything is committed, when the bytes differ, and an
// unsigned body (UNSIGNED-PAYLOAD) refused over plain HTTP, where it could be replayed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { GetSessionCommand } from '@aws-sdk/client-deadline';
import { BIN } from './support/server.js';
import { farmWithParents, numberedRecord, sessionRecord, toCsv, toNdjson, type FarmParents, type IngestRecord } from './support/session-records.js';
import { clientAs, principal, sdkError, signedFetch, startSigv4, type Sigv4Server } from './support/sigv4.js';

const wrangler = principal('wrangler', ['deadline:IngestSessions', 'deadline:Get*', 'deadline:List*', 'deadline:StartSessionsStatisticsAggregation'], ['*']);
const admin = principal('admin');
const reader = principal('reader', ['deadline:Get*'], ['*']);
let server: Sigv4Server;
let farm: FarmParents;
let home: string;

before(async () => {
  server = await startSigv4([admin, wrangler, reader]);
  farm = await farmWithParents(clientAs(server.ft.url, admin), 'sigv4 ingest');
  home = mkdtempSync(join(tmpdir(), 'farmtally-home-'));
});
after(() => server.ft.stop());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI with no AWS settings but `env`: a home of its own, nothing from this machine's environment. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...clean, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const keysEnv = (p: { accessKeyId: string; secretAccessKey: string }) => ({ AWS_ACCESS_KEY_ID: p.accessKeyId, AWS_SECRET_ACCESS_KEY: p.secretAccessKey });

function recordsFile(records: IngestRecord[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'farmtally-records-')), 'sessions.ndjson');
  writeFileSync(file, toNdjson(records));
  return file;
}

/** Whether the session is stored, read as admin. */
async function stored(r: IngestRecord): Promise<boolean> {
  try {
    await clientAs(server.ft.url, admin).send(new GetSessionCommand({ farmId: farm.farmId, queueId: r.queueId, jobId: r.jobId, sessionId: r.sessionId }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

describe('ingest and the CLI in sigv4 mode', () => {
  test('farmtally import signs with keys from the environment', async () => {
    const records = [sessionRecord(farm), sessionRecord(farm)];
    const run = await cli(['import', recordsFile(records), '--farm', farm.farmId, '--endpoint', server.ft.url], keysEnv(wrangler));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /received 2, created 2/);
    assert.deepEqual(await Promise.all(records.map(stored)), [true, true]);
  });

  test('over plain http farmtally import signs each batch\'s SHA-256: held in memory, past 8 MiB in a temporary file it removes', async () => {
    const temporary = mkdtempSync(join(tmpdir(), 'farmtally-import-tmp-'));
    // About 12 MiB of NDJSON in one batch (the default size): past the memory bound.
    const large = Array.from({ length: 30_000 }, (_, i) => numberedRecord(farm, i, 16));
    const file = recordsFile(large);
    assert.ok(statSync(file).size > 8 * 1024 * 1024, `${statSync(file).size} bytes`);
    const run = await cli(['import', file, '--farm', farm.farmId, '--endpoint', server.ft.url], { ...keysEnv(wrangler), TMPDIR: temporary });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /received 30000, created 30000, updated 0, unchanged 0 \(1 batch,/);
    // CSV, its header again in each of three small batches, held in memory.
    const csv = join(mkdtempSync(join(tmpdir(), 'farmtally-records-')), 'sessions.csv');
    const small = [sessionRecord(farm), sessionRecord(farm), sessionRecord(farm), sessionRecord(farm), sessionRecord(farm)];
    writeFileSync(csv, toCsv(small));
    const csvRun = await cli(['import', csv, '--farm', farm.farmId, '--endpoint', server.ft.url, '--batch-size', '2'], { ...keysEnv(wrangler), TMPDIR: temporary });
    assert.equal(csvRun.code, 0, csvRun.stderr);
    assert.match(csvRun.stdout, /received 5, created 5, updated 0, unchanged 0 \(3 batches,/);
    assert.deepEqual(await Promise.all([large[0]!, large[29_999]!, ...small].map(stored)), Array(7).fill(true));
    assert.deepEqual(readdirSync(temporary), [], 'a temporary file was left behind');
  });

  test('farmtally import signs with a profile from the shared files (--profile, and AWS_PROFILE)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'farmtally-aws-'));
    writeFileSync(join(dir, 'credentials'), `[other]\naws_access_key_id = ${reader.accessKeyId}\naws_secret_access_key = ${reader.secretAccessKey}\n\n[wrangler]\naws_access_key_id = ${wrangler.accessKeyId}\naws_secret_access_key = ${wrangler.secretAccessKey}\n`);
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-1\n');
    const files = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') };
    for (const [how, args, env] of [['--profile', ['--profile', 'wrangler'], files], ['AWS_PROFILE', [], { ...files, AWS_PROFILE: 'wrangler' }]] as const) {
      const record = sessionRecord(farm);
      const run = await cli(['import', recordsFile([record]), '--farm', farm.farmId, '--endpoint', server.ft.url, ...args], env);
      assert.equal(run.code, 0, `${how}: ${run.stderr}`);
      assert.ok(await stored(record), how);
    }
    // The other profile's key may not ingest: the import says so, and what to do.
    const record = sessionRecord(farm);
    const denied = await cli(['import', recordsFile([record]), '--farm', farm.farmId, '--endpoint', server.ft.url, '--profile', 'other'], files);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /AccessDeniedException: User: reader is not authorized to perform: deadline:IngestSessions/);
    assert.match(denied.stderr, /ask the server's operator/);
    assert.match(denied.stderr, /this key's principal is not granted deadline:IngestSessions on this farm/);
    assert.match(denied.stderr, /the file is not at fault: fix the credentials or the grant/);
    assert.doesNotMatch(denied.stderr, /fix the file/);
    assert.equal(await stored(record), false);
    const missing = await cli(['import', recordsFile([record]), '--farm', farm.farmId, '--endpoint', server.ft.url, '--profile', 'nobody'], files);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no AWS credentials found .*nobody/s);
  });

  test('without credentials the CLI sends placeholders, which a sigv4 server refuses; the error says how to set them', async () => {
    const run = await cli(['import', recordsFile([sessionRecord(farm)]), '--farm', farm.farmId, '--endpoint', server.ft.url]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /UnrecognizedClientException: The security token included in the request is invalid\./);
    assert.match(run.stderr, /Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    assert.match(run.stderr, /the server does not know the access key this import signed with/);
    assert.match(run.stderr, /the file is not at fault: fix the credentials or the grant/);
    assert.doesNotMatch(run.stderr, /fix the file/);
    const stats = await cli(['stats', '--endpoint', server.ft.url, '--farm', farm.farmId, '--queues', farm.queueId, '--start', '2025-01-01', '--end', '2025-02-01', '--group-by', 'QUEUE_ID']);
    assert.equal(stats.code, 1);
    assert.match(stats.stderr, /UnrecognizedClientException[^\n]*\n.*Set AWS_ACCESS_KEY_ID/);
  });

  test('farmtally stats and demo sign through the SDK and the ingest route alike', async () => {
    const stats = await cli(
      ['stats', '--endpoint', server.ft.url, '--farm', farm.farmId, '--queues', farm.queueId, '--start', '2025-03-01', '--end', '2025-03-02', '--group-by', 'QUEUE_ID', '--format', 'json'],
      keysEnv(wrangler),
    );
    assert.equal(stats.code, 0, stats.stderr);
    assert.ok(JSON.parse(stats.stdout).length > 0, stats.stdout);
    const pricing = join(mkdtempSync(join(tmpdir(), 'farmtally-demo-')), 'pricing.json');
    const demo = await cli(['demo', '--endpoint', server.ft.url, '--sessions', '300', '--pricing-out', pricing], keysEnv(admin));
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stderr, /300 sessions sent \(created 300/);
  });

  test('the list commands sign like stats: keys from the environment list, no keys or no grant say what to do', async () => {
    const listed = await cli(['queues', 'list', '--endpoint', server.ft.url, '--farm', farm.farmId, '--format', 'json'], keysEnv(wrangler));
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((q: { queueId: string }) => q.queueId), [farm.queueId]);
    const farms = await cli(['farms', 'list', '--endpoint', server.ft.url], keysEnv(wrangler));
    assert.equal(farms.code, 0, farms.stderr);
    assert.match(farms.stdout, new RegExp(`^sigv4 ingest +${farm.farmId} `, 'm'));
    const unsigned = await cli(['farms', 'list', '--endpoint', server.ft.url]);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /UnrecognizedClientException[^\n]*\n.*Set AWS_ACCESS_KEY_ID/);
    const denied = await cli(['fleets', 'list', '--endpoint', server.ft.url, '--farm', farm.farmId], keysEnv(reader));
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /AccessDeniedException: .*reader[^\n]*\n.*not granted/);
  });

  test('a streamed body signed with its SHA-256 is taken as sent (gzip too), refused whole when the bytes differ', async () => {
    const path = `/ingest/v1/farms/${farm.farmId}/sessions`;
    const post = (body: Buffer, headers: Record<string, string>, change?: Parameters<typeof signedFetch>[3]) =>
      signedFetch(server.ft.url, wrangler, { method: 'POST', path, body, headers: { 'content-type': 'application/x-ndjson', ...headers } }, change);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

    const plain = [sessionRecord(farm)];
    const plainBody = Buffer.from(toNdjson(plain));
    assert.equal((await post(plainBody, { 'x-amz-content-sha256': sha(plainBody) })).status, 200);
    const zipped = [sessionRecord(farm)];
    const zippedBody = gzipSync(toNdjson(zipped));
    const gz = await post(zippedBody, { 'x-amz-content-sha256': sha(zippedBody), 'content-encoding': 'gzip' });
    assert.equal(gz.status, 200, gz.text);
    assert.deepEqual(await Promise.all([...plain, ...zipped].map(stored)), [true, true]);

    // The hash of other bytes: every record valid, the batch read to its end, then refused.
    const refused = [sessionRecord(farm), sessionRecord(farm)];
    const refusedBody = Buffer.from(toNdjson(refused));
    const wrong = await post(refusedBody, { 'x-amz-content-sha256': sha(Buffer.from('other bytes')) });
    assert.deepEqual([wrong.status, wrong.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.match(wrong.body.message, /x-amz-content-sha256' header does not match what was computed; nothing was written/);
    // The right hash, and the body changed after signing.
    const swapped = await post(refusedBody, { 'x-amz-content-sha256': sha(refusedBody) }, (r) => (r.body = Buffer.from(toNdjson([refused[0]!]))));
    assert.deepEqual([swapped.status, swapped.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.deepEqual(await Promise.all(refused.map(stored)), [false, false]);
  });

  test('UNSIGNED-PAYLOAD over plain HTTP is refused before the body is read: a captured request cannot be sent again with another body', async () => {
    const path = `/ingest/v1/farms/${farm.farmId}/sessions`;
    const first = [sessionRecord(farm)];
    const replayed = [sessionRecord(farm), sessionRecord(farm), sessionRecord(farm)];
    const unsigned = (records: IngestRecord[], change?: Parameters<typeof signedFetch>[3]) =>
      signedFetch(server.ft.url, wrangler, { method: 'POST', path, body: toNdjson(first), headers: { 'content-type': 'application/x-ndjson', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, (r) => {
        r.body = toNdjson(records);
        change?.(r);
      });
    // As signed, and as an eavesdropper would send it again (same headers, another body).
    for (const [res, what] of [[await unsigned(first), 'as signed'], [await unsigned(replayed), 'replayed with another body']] as const) {
      assert.deepEqual([res.status, res.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException'], `${what}: ${res.text}`);
      assert.match(res.body.message, /UNSIGNED-PAYLOAD is accepted only over https.*Sign the payload: x-amz-content-sha256 set to the body's SHA-256 in hex .*or use https/);
    }
    // Gzip changes nothing: the rule is the transport's.
    const zipped = await unsigned(first, (r) => {
      r.body = gzipSync(toNdjson(first));
      r.headers['content-encoding'] = 'gzip';
    });
    assert.equal(zipped.status, 403, zipped.text);
    assert.deepEqual(await Promise.all([...first, ...replayed].map(stored)), [false, false, false, false]);
  });

  test('a streamed body needs a signed x-amz-content-sha256: without one it is refused, saying which values to use', async () => {
    const record = sessionRecord(farm);
    const res = await signedFetch(server.ft.url, wrangler, {
      method: 'POST',
      path: `/ingest/v1/farms/${farm.farmId}/sessions`,
      body: toNdjson([record]),
      headers: { 'content-type': 'application/x-ndjson' },
      withoutPayloadHeader: true,
    });
    assert.deepEqual([res.status, res.headers.get('x-amzn-errortype')], [403, 'InvalidSignatureException']);
    assert.match(res.body.message, /sign the x-amz-content-sha256 header, set to the body's SHA-256 in hex \(as sent, before any gunzip\), or to UNSIGNED-PAYLOAD over https/);
    assert.equal(await stored(record), false);
  });

  test('the ingest route is authorized like any operation: by action and by farm', async () => {
    const other = await farmWithParents(clientAs(server.ft.url, admin), 'not granted');
    const limited = principal('limited', ['deadline:IngestSessions'], [farm.farmId]);
    const sigv4 = await startSigv4([limited]);
    try {
      const post = (farmId: string) =>
        signedFetch(sigv4.ft.url, limited, { method: 'POST', path: `/ingest/v1/farms/${farmId}/sessions`, body: '', headers: { 'content-type': 'application/x-ndjson' } });
      const denied = await post(other.farmId);
      assert.deepEqual([denied.status, denied.headers.get('x-amzn-errortype')], [403, 'AccessDeniedException']);
      assert.match(denied.body.message, new RegExp(`deadline:IngestSessions on resource: farm/${other.farmId}`));
      // The granted farm gets past authorization (this server has no such farm: a 404, not a 403).
      const allowed = await post(farm.farmId);
      assert.notEqual(allowed.status, 403, allowed.text);
      const readDenied = await sdkError(clientAs(sigv4.ft.url, limited).send(new GetSessionCommand({ farmId: farm.farmId, queueId: farm.queueId, jobId: 'job-x', sessionId: 'session-x' })));
      assert.equal(readDenied.name, 'AccessDeniedException');
    } finally {
      await sigv4.ft.stop();
    }
  });
});
