// Principals of sigv4 mode: what each may do (actions with wildcards, farms), ListFarms
// showing only a principal's farms with paging intact, createdBy/updatedBy, the credentials
// file re-read while the server runs (a bad one logged and refused, but for the keys it
// removed; a deleted one refusing every key), a bad file at start-up,
// and `farmtally credentials add|list|remove` writing the file a running server reads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateQueueCommand, DeleteFarmCommand, GetFarmCommand, GetQueueCommand, ListFarmsCommand, UpdateFarmCommand,
  type DeadlineClient,
} from '@aws-sdk/client-deadline';
import { BIN, startFarmtally } from './support/server.js';
import { eventually } from './support/eventually.js';
import { clientAs, principal, sdkError, startSigv4, writeCredentials, type Sigv4Server, type TestPrincipal } from './support/sigv4.js';

const admin = principal('admin', ['deadline:*'], ['*']);
let server: Sigv4Server;
let farms: string[] = [];
let viewer: TestPrincipal;
let writer: TestPrincipal;
let creator: TestPrincipal;

/** Whether the server's log has matched `pattern` (within 10 s). */
const logged = (pattern: RegExp) => eventually(`${pattern} in the log`, async () => pattern.test(server.ft.output()), 10_000);

/** Whether the server knows the client's key now (a refusal of the action still means it does). */
async function works(client: DeadlineClient): Promise<boolean> {
  try {
    await client.send(new ListFarmsCommand({}));
    return true;
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'UnrecognizedClientException') return false;
    if (name === 'AccessDeniedException') return true;
    throw err;
  }
}

before(async () => {
  server = await startSigv4([admin]);
  const client = clientAs(server.ft.url, admin);
  for (const name of ['A', 'B', 'C', 'D', 'E']) farms.push((await client.send(new CreateFarmCommand({ displayName: name }))).farmId!);
  viewer = principal('viewer', ['deadline:Get*', 'deadline:list*'], [farms[0]!, farms[2]!, farms[4]!]);
  writer = principal('writer', ['deadline:GetFarm', 'deadline:UpdateFarm', 'deadline:CreateQueue'], [farms[0]!]);
  creator = principal('creator', ['deadline:CreateFarm'], [farms[0]!]);
  writeCredentials(server.credentialsFile, [admin, viewer, writer, creator]);
  // The running server takes the new file: the new keys start working without a restart.
  await eventually('the new principals taken', () => works(clientAs(server.ft.url, viewer)), 10_000);
});
after(() => server.ft.stop());

describe('principals', () => {
  test('a principal may perform only its allowed actions on its farms: AccessDeniedException names principal, action and resource', async () => {
    const url = server.ft.url;
    assert.equal((await clientAs(url, viewer).send(new GetFarmCommand({ farmId: farms[0] }))).displayName, 'A');
    const otherFarm = await sdkError(clientAs(url, viewer).send(new GetFarmCommand({ farmId: farms[1] })));
    assert.deepEqual([otherFarm.name, otherFarm.status], ['AccessDeniedException', 403]);
    assert.match(otherFarm.message, new RegExp(`^User: viewer is not authorized to perform: deadline:GetFarm on resource: farm/${farms[1]} because`));
    const otherAction = await sdkError(clientAs(url, viewer).send(new DeleteFarmCommand({ farmId: farms[0] })));
    assert.equal(otherAction.name, 'AccessDeniedException');
    assert.match(otherAction.message, new RegExp(`deadline:DeleteFarm on resource: farm/${farms[0]} because no allow entry of viewer matches`));
    // Creating a farm needs every farm: the new one would be outside a list of farms.
    const notEveryFarm = await sdkError(clientAs(url, creator).send(new CreateFarmCommand({ displayName: 'new' })));
    assert.equal(notEveryFarm.name, 'AccessDeniedException');
    assert.match(notEveryFarm.message, /deadline:CreateFarm on resource: farm\/\* because creating a farm needs "farms": \["\*"\]/);
    assert.ok((await clientAs(url, admin).send(new CreateFarmCommand({ displayName: 'by admin' }))).farmId);
    // Denied before the input is looked at: an invalid body is still AccessDenied for who may not call.
    const deniedFirst = await sdkError(clientAs(url, viewer).send(new UpdateFarmCommand({ farmId: farms[0], displayName: '' })));
    assert.equal(deniedFirst.name, 'AccessDeniedException');
  });

  test('the model\'s context member names principal, action and resource', async () => {
    const res = await clientAs(server.ft.url, viewer).send(new GetFarmCommand({ farmId: farms[1] })).catch((err) => err);
    assert.deepEqual(res.context, { principal: 'viewer', action: 'deadline:GetFarm', resource: `farm/${farms[1]}` });
  });

  test('createdBy and updatedBy carry the principal', async () => {
    const url = server.ft.url;
    await clientAs(url, writer).send(new UpdateFarmCommand({ farmId: farms[0], description: 'edited' }));
    const farm = await clientAs(url, admin).send(new GetFarmCommand({ farmId: farms[0] }));
    assert.deepEqual([farm.createdBy, farm.updatedBy, farm.description], ['admin', 'writer', 'edited']);
    const { queueId } = await clientAs(url, writer).send(new CreateQueueCommand({ farmId: farms[0], displayName: 'lighting' }));
    assert.equal((await clientAs(url, admin).send(new GetQueueCommand({ farmId: farms[0], queueId })).then((q) => q.createdBy)), 'writer');
  });

  test('ListFarms shows only the principal\'s farms, in order, with page sizes and tokens intact', async () => {
    const client = clientAs(server.ft.url, viewer);
    for (const size of [1, 2, 3]) {
      const pages: string[][] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new ListFarmsCommand({ maxResults: size, nextToken }));
        pages.push(page.farms!.map((f) => f.farmId!));
        nextToken = page.nextToken;
      } while (nextToken);
      assert.deepEqual(pages.flat(), [farms[0], farms[2], farms[4]], `maxResults ${size}`);
      // Full pages, and no empty last page: the filter is not applied after paging.
      assert.deepEqual(pages.map((p) => p.length), size === 1 ? [1, 1, 1] : size === 2 ? [2, 1] : [3], `maxResults ${size}`);
    }
    const all = await clientAs(server.ft.url, admin).send(new ListFarmsCommand({ maxResults: 2 }));
    // Another list's token (the whole list's) is refused, not read as a position in this one.
    const foreign = await sdkError(client.send(new ListFarmsCommand({ nextToken: all.nextToken })));
    assert.equal(foreign.name, 'ValidationException');
  });

  test('the file is re-read while the server runs: a removed key stops working, a broken file keeps the last good one and is logged', async () => {
    const url = server.ft.url;
    const good = [admin, writer, creator];
    writeCredentials(server.credentialsFile, good);
    await eventually('the removed key refused', async () => !(await works(clientAs(url, viewer))), 10_000);

    // Each broken file still names every key in force: all of them stay.
    writeCredentials(server.credentialsFile, JSON.stringify({ principals: good }).slice(0, -2));
    assert.ok(await logged(/credentials: the credentials file \S+ is not valid JSON.*The principals read before stay in force/), server.ft.output().slice(-1500));
    const duplicate = { ...principal('copy'), accessKeyId: admin.accessKeyId };
    writeCredentials(server.credentialsFile, [...good, duplicate]);
    assert.ok(await logged(/the access key ID \w+ is used by another principal/), server.ft.output().slice(-1500));
    writeCredentials(server.credentialsFile, JSON.stringify({ principals: [...good, { name: 'half', accessKeyId: 'AKIAHALFHALFHALF01' }] }));
    assert.ok(await logged(/principals\[3\] \(half\): secretAccessKey is missing/), server.ft.output().slice(-1500));
    // Through all three, the last good file (admin, writer, creator) stayed in force.
    for (const p of good) assert.ok(await works(clientAs(url, p)), p.name);
    assert.equal(await works(clientAs(url, viewer)), false);
    assert.doesNotMatch(server.ft.output(), /REVOKED/);
    assert.doesNotMatch(server.ft.output(), new RegExp(admin.secretAccessKey.replace(/[+/=]/g, '.')), 'a secret reached the log');
    writeCredentials(server.credentialsFile, good);
  });

  test('an edit refused for a mistake still revokes the keys it removed, and says so loudly', async () => {
    const url = server.ft.url;
    const good = [admin, writer, creator];
    try {
      // writer removed, and a mistake in another entry: the file is refused, writer is revoked anyway.
      writeCredentials(server.credentialsFile, JSON.stringify({ principals: [admin, creator, { name: 'half', accessKeyId: 'AKIAHALFHALFHALF02' }] }));
      await eventually('the removed key refused', async () => !(await works(clientAs(url, writer))), 10_000);
      assert.ok(await logged(new RegExp(`principals\\[2\\] \\(half\\): secretAccessKey is missing.*refused whole, but the 1 key\\(s\\) it no longer holds are REVOKED now: writer \\(${writer.accessKeyId}\\)`)), server.ft.output().slice(-1500));
      const line = server.ft.output().split('\n').find((l) => l.includes('REVOKED now: writer'))!;
      assert.equal(JSON.parse(line).level, 50, 'logged at error level');
      assert.ok(await works(clientAs(url, admin)));
      assert.ok(await works(clientAs(url, creator)));
      // Too broken to parse: the keys it still names stay, the others go.
      writeCredentials(server.credentialsFile, JSON.stringify({ principals: [admin] }).slice(0, -1));
      await eventually('the key the broken file lacks refused', async () => !(await works(clientAs(url, creator))), 10_000);
      assert.ok(await logged(/not valid JSON.*REVOKED now: creator/), server.ft.output().slice(-1500));
      assert.ok(await works(clientAs(url, admin)));
    } finally {
      // A good file again: every key in it works again.
      writeCredentials(server.credentialsFile, good);
    }
    for (const p of good) await eventually(`${p.name} taken again`, () => works(clientAs(url, p)), 10_000);
  });

  test('a deleted credentials file refuses every key, logged, until it is back', async () => {
    const url = server.ft.url;
    const good = [admin, writer, creator];
    try {
      unlinkSync(server.credentialsFile);
      await eventually('every key refused', async () => !(await works(clientAs(url, admin))), 10_000);
      assert.equal(await works(clientAs(url, writer)), false);
      assert.ok(await logged(/credentials: \S+ is gone: every key is refused until it is back/), server.ft.output().slice(-1500));
    } finally {
      writeCredentials(server.credentialsFile, good);
    }
    for (const p of good) await eventually(`${p.name} taken again`, () => works(clientAs(url, p)), 10_000);
  });

  test('farmtally credentials add writes a private file a running server takes, prints the secret once; list shows no secret; update changes grants, not the key; remove revokes', async () => {
    const file = server.credentialsFile;
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'credentials', ...args, '--file', file], { encoding: 'utf8' });
    const added = cli('add', '--name', 'analyst', '--allow', 'GetFarm,deadline:List*', '--farms', farms[2]!);
    assert.equal(added.status, 0, added.stderr);
    const keyId = /export AWS_ACCESS_KEY_ID=(\S+)/.exec(added.stdout)?.[1];
    const secret = /export AWS_SECRET_ACCESS_KEY=(\S+)/.exec(added.stdout)?.[1];
    assert.ok(keyId && secret, added.stdout);
    assert.match(added.stdout, new RegExp(`\\[analyst\\]\\n\\s+aws_access_key_id = ${keyId}\\n\\s+aws_secret_access_key = ${secret.replace(/[+/]/g, '\\$&')}`));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')).principals.find((p: { name: string }) => p.name === 'analyst');
    assert.deepEqual(stored.allow, ['deadline:GetFarm', 'deadline:List*']);
    const analyst = clientAs(server.ft.url, { accessKeyId: keyId, secretAccessKey: secret });
    await eventually('the added key taken', () => works(analyst), 10_000);
    assert.deepEqual((await analyst.send(new ListFarmsCommand({}))).farms!.map((f) => f.farmId), [farms[2]]);

    const listed = cli('list');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`analyst\\s+${keyId}\\s+deadline:GetFarm,deadline:List\\*\\s+${farms[2]}`));
    assert.ok(!listed.stdout.includes(secret) && !listed.stdout.includes(admin.secretAccessKey), 'list printed a secret');

    const again = cli('add', '--name', 'analyst', '--allow', 'GetFarm', '--farms', '*');
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already has a principal named analyst/);
    const badAction = cli('add', '--name', 'typo', '--allow', 'GetFram', '--farms', '*');
    assert.notEqual(badAction.status, 0);
    assert.match(badAction.stderr, /deadline:GetFram.*matches no action/);

    // New grants, the same key: the analyst sees another farm, without a new secret.
    const updated = cli('update', '--name', 'analyst', '--farms', `${farms[1]},${farms[2]}`);
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stdout, /Updated analyst .*Its key is unchanged/);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).principals.find((p: { name: string }) => p.name === 'analyst').accessKeyId, keyId);
    await eventually('the new grants taken', async () => (await analyst.send(new ListFarmsCommand({}))).farms!.length === 2, 10_000);
    const noChange = cli('update', '--name', 'analyst');
    assert.notEqual(noChange.status, 0);
    assert.match(noChange.stderr, /give --allow, --farms or both/);
    const nobody = cli('update', '--name', 'nobody', '--farms', '*');
    assert.notEqual(nobody.status, 0);
    assert.match(nobody.stderr, /has no principal named nobody/);

    const removed = cli('remove', '--name', 'analyst');
    assert.equal(removed.status, 0, removed.stderr);
    await eventually('the removed key refused', async () => !(await works(analyst)), 10_000);
  });

  test('credentials add creates a missing file readable by its owner only', () => {
    const file = `${server.credentialsFile}.new`;
    const added = spawnSync(process.execPath, [BIN, 'credentials', 'add', '--name', 'first', '--allow', 'deadline:*', '--farms', '*', '--file', file], { encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).principals.map((p: { name: string }) => p.name), ['first']);
  });
});

test('a bad credentials file at start-up stops the server with every mistake listed', async () => {
  const { ft, credentialsFile } = await startSigv4([principal('ok')]);
  await ft.stop();
  writeFileSync(credentialsFile, JSON.stringify({ principals: [{ name: 'x', accessKeyId: 'short', secretAccessKey: 'long enough secret', allow: ['deadline:Nope'], farms: ['farm-1'] }] }));
  await assert.rejects(startFarmtally({ args: ['--auth', 'sigv4', '--credentials', credentialsFile] }), (err: Error) => {
    assert.match(err.message, /server exited with 1 before listening/);
    assert.match(err.message, /accessKeyId "short" is not 16 to 128 letters/);
    assert.match(err.message, /allow\[0\] "deadline:Nope" matches no action/);
    assert.match(err.message, /farms\[0\] "farm-1" is not a farm ID/);
    return true;
  });
});
