// boto3 as a second, independent client (SPEC section 10): a Python script drives farmtally
// with it (support/boto3.ts picks the boto3). Skipped, saying why, when no boto3 can talk to
// Deadline Cloud, unless FARMTALLY_REQUIRE_BOTO3=1 (CI), where that is a failure.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { boto3Gate, runBoto3Script } from './support/boto3.js';
import { startFarmtally, type Farmtally } from './support/server.js';

const boto3 = boto3Gate();
const cleanup: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('boto3 creates, reads, updates and pages farms, queues and fleets of both kinds', { skip: boto3.skip }, async () => {
  boto3.assertAvailable();
  const ft: Farmtally = await startFarmtally();
  cleanup.push(() => ft.stop());

  const seen = runBoto3Script('boto3_client.py', [ft.url]);
  const startedAt = Date.now();

  assert.match(seen.farmId, /^farm-[0-9a-f]{32}$/);
  assert.equal(seen.queue.status, 'IDLE');
  assert.equal(seen.queue.displayName, 'boto3 queue');
  assert.equal(seen.queue.defaultBudgetAction, 'NONE');
  assert.deepEqual(seen.updatedQueue, {
    displayName: 'boto3 queue 2b', status: 'SCHEDULING_BLOCKED', blockedReason: 'NO_BUDGET_CONFIGURED', defaultBudgetAction: 'STOP_SCHEDULING_AND_CANCEL_TASKS',
    requiredFileSystemLocationNames: ['Shared'], updatedBy: 'farmtally',
  });
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
