// `farmtally sessions delete` and `farmtally users forget`, run as a user runs them, against a
// sigv4 server: import prints its batch IDs; delete without --yes only counts and prints the
// command that deletes; with --yes it deletes; refusals say what to do (the grant to add,
// the --strict server); usage mistakes exit 2.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateFarmCommand, CreateFleetCommand, CreateQueueCommand } from '@aws-sdk/client-deadline';
import { farmtally, type CliRun } from './support/cli.js';
import { sessionAt, sessionsPerQueue } from './support/deletions.js';
import { newDataDir, startFarmtally } from './support/server.js';
import { clientAs, principal, startSigv4, writeCredentials, type Sigv4Server, type TestPrincipal } from './support/sigv4.js';
import { farmWithParents, toNdjson, type FarmParents } from './support/session-records.js';
import { eventually } from './support/eventually.js';

const admin = principal('admin', ['deadline:*'], ['*']);
let server: Sigv4Server;
let p: FarmParents;
let clerk: TestPrincipal;

/** The CLI signing as `keys` (found in the environment, as the SDKs find them). */
function as(keys: TestPrincipal, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const { AWS_PROFILE: _p, AWS_ENDPOINT_URL: _e, AWS_ENDPOINT_URL_DEADLINE: _d, ...rest } = process.env;
  return farmtally(args, { ...rest, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, ...env });
}

before(async () => {
  server = await startSigv4([admin]);
  const client = clientAs(server.ft.url, admin);
  const { farmId } = await client.send(new CreateFarmCommand({ displayName: 'cli' }));
  const { queueId } = await client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  const { fleetId } = await client.send(
    new CreateFleetCommand({
      farmId, displayName: 'f', roleArn: 'arn:aws:iam::123456789012:role/F', maxWorkerCount: 1,
      configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
    }),
  );
  p = { farmId: farmId!, queueId: queueId!, fleetId: fleetId! };
  clerk = principal('clerk', ['deadline:IngestSessions', 'deadline:List*'], [p.farmId]);
  writeCredentials(server.credentialsFile, [admin, clerk]);
  await eventually('the clerk known', async () => (await as(clerk, ['farms', 'list', '--endpoint', server.ft.url])).code === 0, 10_000);
});
after(() => server.ft.stop());

const count = async () => (await sessionsPerQueue(clientAs(server.ft.url, admin), p.farmId, [p.queueId]))[p.queueId];

test('import prints its batch IDs; sessions delete counts first, prints the command, and with --yes deletes', async () => {
  const file = join(newDataDir(), 'sessions.ndjson');
  writeFileSync(file, toNdjson(Array.from({ length: 25 }, (_, h) => sessionAt(p, h))));
  const imported = await as(admin, ['import', file, '--farm', p.farmId, '--endpoint', server.ft.url, '--batch-size', '10']);
  assert.equal(imported.code, 0, imported.stderr);
  const ids = /batch IDs (\d+)-(\d+) \(`farmtally sessions delete --farm (\S+) --batch ID`/.exec(imported.stdout);
  assert.ok(ids, imported.stdout);
  assert.equal(Number(ids[2]) - Number(ids[1]), 2, 'three batches, numbered in a row');
  const second = String(Number(ids[1]) + 1);

  const dry = await as(admin, ['sessions', 'delete', '--farm', p.farmId, '--batch', second, '--endpoint', server.ft.url]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`^10 sessions of farm ${p.farmId} that batch ${second} last wrote\\. Nothing was deleted \\(a dry run\\)\\.`));
  assert.equal(await count(), 25);
  const printed = /^ {2}farmtally (sessions delete .* --yes)$/m.exec(dry.stdout);
  assert.ok(printed, dry.stdout);
  assert.match(printed[1]!, new RegExp(`--endpoint ${server.ft.url.replace(/[.]/g, '\\.')} --yes$`));

  // The printed command, as printed (the endpoint from the environment this time is overridden by the flag it holds).
  const real = await as(admin, printed[1]!.split(' '), { AWS_ENDPOINT_URL_DEADLINE: 'http://127.0.0.1:9' });
  assert.equal(real.code, 0, real.stderr);
  assert.equal(real.stdout.trim(), `Deleted 10 sessions of farm ${p.farmId} that batch ${second} last wrote, and 10 jobs left with no session.`);
  assert.equal(await count(), 15);

  // A time range, the endpoint from AWS_ENDPOINT_URL_DEADLINE: sessions that started in hours 0 to 4 (the first batch's first five).
  const range = ['sessions', 'delete', '--farm', p.farmId, '--start', '2025-03-01T00:00:00Z', '--end', '2025-03-01T05:00', '--yes'];
  const byTime = await as(admin, range, { AWS_ENDPOINT_URL_DEADLINE: server.ft.url });
  assert.equal(byTime.code, 0, byTime.stderr);
  assert.match(byTime.stdout, /^Deleted 5 sessions .* that started from 2025-03-01T00:00:00\.000Z until before 2025-03-01T05:00:00\.000Z/);
  assert.equal(await count(), 10);
  const none = await as(admin, ['sessions', 'delete', '--farm', p.farmId, '--batch', second, '--endpoint', server.ft.url]);
  assert.match(none.stdout, /^No session of farm .* that batch \d+ last wrote: nothing to delete\./);
});

test('users forget prints the pseudonym, not the ID', async () => {
  const forgot = await as(admin, ['users', 'forget', 'ana', '--farm', p.farmId, '--endpoint', server.ft.url]);
  assert.equal(forgot.code, 0, forgot.stderr);
  assert.match(forgot.stdout, new RegExp(`^The user is now forgotten-[0-9a-f]{32} in farm ${p.farmId}: \\d+ sessions changed`));
  assert.ok(!/\bana\b/.test(forgot.stdout));
  assert.doesNotMatch(forgot.stderr, /nothing changed/);
  // An ID no session names: said so, and how to find the right one; still no echo of the ID.
  const unknown = await as(admin, ['users', 'forget', 'no-such-user', '--farm', p.farmId, '--endpoint', server.ft.url]);
  assert.equal(unknown.code, 0, unknown.stderr);
  assert.match(unknown.stdout, /: 0 sessions changed/);
  assert.match(unknown.stderr, /note: no stored session of farm .* names that user ID, so nothing changed: check its spelling .*--group-by USER_ID/);
  assert.ok(!/no-such-user/.test(unknown.stdout + unknown.stderr));
});

test('refusals say what to do: the grant to add, or a --strict server', async () => {
  const denied = await as(clerk, ['sessions', 'delete', '--farm', p.farmId, '--queue', p.queueId, '--endpoint', server.ft.url]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /AccessDeniedException: User: clerk is not authorized to perform: deadline:DeleteSessions/);
  assert.match(denied.stderr, /farmtally credentials update --name clerk --allow <its actions>,deadline:DeleteSessions/);
  const forget = await as(clerk, ['users', 'forget', 'ben', '--farm', p.farmId, '--endpoint', server.ft.url]);
  assert.equal(forget.code, 1);
  assert.match(forget.stderr, /--allow <its actions>,deadline:ForgetUser/);
  const other = await as(clerk, ['sessions', 'delete', '--farm', `farm-${'1'.repeat(32)}`, '--batch', '1', '--endpoint', server.ft.url]);
  assert.match(other.stderr, /deadline:DeleteSessions/);

  const strict = await startFarmtally({ args: ['--strict'] });
  try {
    const farm = await farmWithParents(strict.client, 'strict');
    const refused = await farmtally(['sessions', 'delete', '--farm', farm.farmId, '--batch', '1', '--endpoint', strict.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /does not serve DeleteSessions: it runs with --strict/);
  } finally {
    await strict.stop();
  }
});

test('usage mistakes exit 2 before any request', async () => {
  const base = ['sessions', 'delete', '--farm', p.farmId, '--endpoint', server.ft.url];
  const cases: [string[], RegExp][] = [
    [[], /exactly one of --batch ID, --queue ID, or --start T --end T/],
    [['--batch', '1', '--queue', p.queueId], /got --batch and --queue/],
    [['--batch', 'batch-1'], /--batch batch-1 is not a batch ID/],
    [['--start', '2025-01-01'], /needs both --start and --end/],
    [['--start', '2025-02-01', '--end', '2025-01-01'], /--end must be after --start/],
    [['--start', 'yesterday', '--end', '2025-01-01'], /--start yesterday is not a time/],
    [['--batch', '1', '--yes', '--dry-run'], /not both/],
  ];
  // Independent runs, so at once: each is a Node process starting up.
  const [noFarm, ...runs] = await Promise.all([as(admin, ['users', 'forget', 'ana', '--endpoint', server.ft.url]), ...cases.map(([args]) => as(admin, [...base, ...args]))]);
  cases.forEach(([args, said], i) => {
    assert.equal(runs[i]!.code, 2, `${args.join(' ')}: ${runs[i]!.stderr}`);
    assert.match(runs[i]!.stderr, said);
  });
  assert.equal(noFarm.code, 2);
});
