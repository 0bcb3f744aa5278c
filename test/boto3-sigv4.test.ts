// boto3 as a second real client of sigv4 mode, signing with real credentials from the
// credentials file: allowed calls, AccessDeniedException, ListFarms filtered through its
// paginator, a wrong secret and an unknown key, each as botocore names it. Skipped, saying
// why, when no boto3 can talk to Deadline Cloud, unless FARMTALLY_REQUIRE_BOTO3=1 (CI).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CreateFarmCommand, ListFarmsCommand } from '@aws-sdk/client-deadline';
import { boto3Gate, runBoto3Script } from './support/boto3.js';
import { eventually } from './support/eventually.js';
import { clientAs, principal, startSigv4, writeCredentials } from './support/sigv4.js';

const boto3 = boto3Gate();
const cleanup: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('boto3 signs with real keys: allowed calls work, others are AccessDenied, a wrong secret or key is refused', { skip: boto3.skip }, async () => {
  boto3.assertAvailable();
  const admin = principal('admin');
  const { ft, credentialsFile } = await startSigv4([admin]);
  cleanup.push(() => ft.stop());

  const js = clientAs(ft.url, admin);
  const [granted, other] = [(await js.send(new CreateFarmCommand({ displayName: 'granted' }))).farmId!, (await js.send(new CreateFarmCommand({ displayName: 'other' }))).farmId!];
  const viewer = principal('viewer', ['deadline:Get*', 'deadline:List*'], [granted]);
  writeCredentials(credentialsFile, [admin, viewer]);
  await eventually('the viewer taken', () => clientAs(ft.url, viewer).send(new ListFarmsCommand({})).then(() => true, () => false), 10_000);

  const seen = runBoto3Script('boto3_sigv4.py', [], {
    input: JSON.stringify({ endpoint: ft.url, admin: { key: admin.accessKeyId, secret: admin.secretAccessKey }, viewer: { key: viewer.accessKeyId, secret: viewer.secretAccessKey }, viewerFarm: granted, otherFarm: other }),
  });

  assert.match(seen.created.farmId, /^farm-[0-9a-f]{32}$/);
  assert.equal(seen.created.createdBy, 'admin');
  assert.equal(seen.viewerGet, granted);
  assert.deepEqual([seen.viewerListed, seen.viewerPages], [[granted], 1]);
  assert.deepEqual([seen.viewerOtherFarm.status, seen.viewerOtherFarm.code], [403, 'AccessDeniedException']);
  assert.match(seen.viewerOtherFarm.message, new RegExp(`^User: viewer is not authorized to perform: deadline:GetFarm on resource: farm/${other}`));
  assert.deepEqual([seen.viewerCreate.status, seen.viewerCreate.code], [403, 'AccessDeniedException']);
  assert.deepEqual([seen.wrongSecret.status, seen.wrongSecret.code], [403, 'InvalidSignatureException']);
  assert.deepEqual([seen.unknownKey.status, seen.unknownKey.code, seen.unknownKey.message], [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.']);
});
