// boto3 as a second, independent client (SPEC section 10): Debian's botocore loads the
// Deadline Cloud model from a search path, and a Python script drives farmtally with it.
// Skipped, saying why, when boto3 or the model is missing, unless FARMTALLY_REQUIRE_BOTO3=1
// (CI), where that is a failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { startFarmtally, type Farmtally } from './support/server.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PYTHON = process.env.FARMTALLY_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(REPO, 'test', 'support', 'boto3_client.py');
/** A folder with the model files as published: deadline-2023-10-12.service-2.json and .paginators-1.json. */
const MODELS = resolve(process.env.FARMTALLY_MODELS_DIR ?? join(REPO, '..', 'shared', 'reference'));
const MODEL_FILES = { 'service-2.json': 'deadline-2023-10-12.service-2.json', 'paginators-1.json': 'deadline-2023-10-12.paginators-1.json' };

function missing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import boto3'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `boto3 is not importable by ${PYTHON} (${probe.error?.message ?? probe.stderr.trim()}); install it with apt-get install -y python3-boto3`;
  }
  const absent = Object.values(MODEL_FILES).filter((f) => !existsSync(join(MODELS, f)));
  if (absent.length) return `the Deadline Cloud model is missing from ${MODELS} (${absent.join(', ')}); set FARMTALLY_MODELS_DIR to a folder that has it`;
  return undefined;
}

/** The search-path layout botocore expects: <dir>/deadline/2023-10-12/service-2.json. */
function layOutModels(): string {
  const root = mkdtempSync(join(tmpdir(), 'farmtally-models-'));
  const dir = join(root, 'deadline', '2023-10-12');
  mkdirSync(dir, { recursive: true });
  for (const [laidOut, published] of Object.entries(MODEL_FILES)) copyFileSync(join(MODELS, published), join(dir, laidOut));
  return root;
}

const why = missing();
const required = process.env.FARMTALLY_REQUIRE_BOTO3 === '1';
const cleanup: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('boto3 creates, reads and pages farms, queues and fleets of both kinds', { skip: why && !required ? why : false }, async () => {
  assert.equal(why, undefined, `boto3 is required here (FARMTALLY_REQUIRE_BOTO3=1) but ${why}`);
  const ft: Farmtally = await startFarmtally();
  cleanup.push(() => ft.stop());
  const models = layOutModels();
  cleanup.push(() => rmSync(models, { recursive: true, force: true }));

  const run = spawnSync(PYTHON, [SCRIPT, ft.url, models], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `boto3 script failed:\n${run.stderr}\n${run.error?.message ?? ''}`);
  const seen = JSON.parse(run.stdout);
  const startedAt = Date.now();

  assert.match(seen.farmId, /^farm-[0-9a-f]{32}$/);
  assert.equal(seen.queue.status, 'IDLE');
  assert.equal(seen.queue.displayName, 'boto3 queue');
  assert.equal(seen.queue.defaultBudgetAction, 'NONE');
  // botocore parsed the ISO 8601 timestamp into an aware datetime at the time of the call.
  assert.equal(seen.queue.createdAt.aware, true);
  assert.ok(Math.abs(Date.parse(seen.queue.createdAt.iso) - startedAt) < 120_000, seen.queue.createdAt.iso);

  const { serviceManaged, customerManaged } = seen.fleets;
  for (const fleet of [serviceManaged, customerManaged]) {
    assert.match(fleet.fleetId, /^fleet-[0-9a-f]{32}$/);
    assert.deepEqual([fleet.status, fleet.workerCount, fleet.minWorkerCount, fleet.maxWorkerCount], ['ACTIVE', 0, 0, 4]);
    assert.equal(fleet.createdAt.aware, true);
  }
  assert.deepEqual(Object.keys(serviceManaged.configuration), ['serviceManagedEc2']);
  assert.deepEqual(serviceManaged.configuration.serviceManagedEc2.instanceCapabilities.vCpuCount, { min: 2, max: 8 });
  assert.equal(serviceManaged.configuration.serviceManagedEc2.instanceMarketOptions.type, 'on-demand');
  assert.deepEqual(Object.keys(customerManaged.configuration), ['customerManaged']);
  assert.equal(customerManaged.configuration.customerManaged.workerCapabilities.osFamily, 'WINDOWS');
  assert.deepEqual(customerManaged.capabilities.attributes[0], { name: 'attr.worker.os.family', values: ['windows'] });
  assert.deepEqual(customerManaged.capabilities.amounts[0], { name: 'amount.worker.vcpu', min: 16 });

  // boto3's paginators, one item per page, see every resource once, in creation order.
  assert.deepEqual(seen.listedQueues, { pages: 2, ids: seen.queueIds });
  assert.deepEqual(seen.listedFleets, { pages: 2, ids: [serviceManaged.fleetId, customerManaged.fleetId] });
  assert.deepEqual(seen.listedFleetsByName.ids, [customerManaged.fleetId]);

  // Modeled error members reach botocore too.
  assert.equal(seen.unknownQueue.status, 404);
  assert.equal(seen.unknownQueue.Code, 'ResourceNotFoundException');
  assert.equal(seen.unknownQueue.resourceType, 'queue');
  assert.equal(seen.unknownQueue.resourceId, `queue-${'0'.repeat(32)}`);
  assert.equal(seen.badFleet.status, 400);
  assert.equal(seen.badFleet.Code, 'ValidationException');
  assert.equal(seen.badFleet.reason, 'FIELD_VALIDATION_FAILED');
  assert.deepEqual(seen.badFleet.fieldList.map((f: { name: string }) => f.name), ['configuration']);
});
