import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateFleetCommand, DeleteFleetCommand, GetFleetCommand, ListFleetsCommand, ValidationException, paginateListFleets,
  type CreateFleetCommandInput, type FleetConfiguration,
} from '@aws-sdk/client-deadline';
import { absentId, rejectsConflict, rejectsNaming, rejectsNotFound } from './support/service-errors.js';
import { startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());

const ROLE = 'arn:aws:iam::123456789012:role/FleetRole';
const newFarm = async () => (await ft.client.send(new CreateFarmCommand({ displayName: 'fleets' }))).farmId!;

const serviceManaged = {
  serviceManagedEc2: {
    instanceCapabilities: {
      vCpuCount: { min: 4, max: 16 },
      memoryMiB: { min: 8192 },
      osFamily: 'LINUX',
      cpuArchitectureType: 'x86_64',
      rootEbsVolume: { sizeGiB: 250, iops: 3000, throughputMiB: 125 },
      acceleratorCapabilities: { selections: [{ name: 'l4', runtime: 'latest' }], count: { min: 1, max: 2 } },
      allowedInstanceTypes: ['g6.xlarge', 'g6.2xlarge'],
      customAmounts: [{ name: 'amount.studio.licenses', min: 1, max: 4.5 }],
      customAttributes: [{ name: 'studio:attr.site', values: ['east', 'west_2'] }],
    },
    instanceMarketOptions: { type: 'spot' },
    vpcConfiguration: { resourceConfigurationArns: ['arn:aws:vpc-lattice:us-west-2:123456789012:resourceconfiguration/rcfg-1'] },
    storageProfileId: `sp-${'1'.repeat(32)}`,
    persistentVolumeConfiguration: { sizeGiB: 100, mountPath: '/cache', lastUsedTtlHours: 24 },
    autoScalingConfiguration: { standbyWorkerCount: 1, workerIdleDurationSeconds: 600, scaleOutWorkersPerMinute: 10 },
  },
} satisfies FleetConfiguration;

const customerManaged = {
  customerManaged: {
    mode: 'EVENT_BASED_AUTO_SCALING',
    autoScalingConfiguration: { standbyWorkerCount: 0, workerIdleDurationSeconds: 300, scaleOutWorkersPerMinute: 5 },
    workerCapabilities: {
      vCpuCount: { min: 8 },
      memoryMiB: { min: 16384, max: 65536 },
      acceleratorTypes: ['gpu'],
      acceleratorCount: { min: 1 },
      acceleratorTotalMemoryMiB: { min: 24576 },
      osFamily: 'MACOS',
      cpuArchitectureType: 'arm64',
    },
    storageProfileId: `sp-${'2'.repeat(32)}`,
    tagPropagationMode: 'PROPAGATE_TAGS_TO_WORKERS_AT_LAUNCH',
  },
} satisfies FleetConfiguration;

const fleetInput = (farmId: string, extra: Partial<CreateFleetCommandInput> = {}): CreateFleetCommandInput => ({
  farmId,
  displayName: 'Render fleet',
  roleArn: ROLE,
  maxWorkerCount: 10,
  configuration: serviceManaged,
  ...extra,
});

describe('fleets through the SDK', () => {
  test('a service-managed fleet: configuration back as given, defaults and capabilities derived from it', async () => {
    const farmId = await newFarm();
    const hostConfiguration = { scriptBody: '#!/bin/sh\necho ready', scriptTimeoutSeconds: 600 };
    const { fleetId } = await ft.client.send(new CreateFleetCommand(fleetInput(farmId, { description: 'spot GPUs', hostConfiguration, tags: { team: 'fx' } })));
    assert.match(fleetId!, /^fleet-[0-9a-f]{32}$/);

    const got = await ft.client.send(new GetFleetCommand({ farmId, fleetId }));
    assert.equal(got.fleetId, fleetId);
    assert.equal(got.farmId, farmId);
    assert.equal(got.displayName, 'Render fleet');
    assert.equal(got.description, 'spot GPUs');
    assert.equal(got.status, 'ACTIVE');
    assert.equal(got.workerCount, 0);
    assert.equal(got.minWorkerCount, 0);
    assert.equal(got.maxWorkerCount, 10);
    assert.equal(got.roleArn, ROLE);
    assert.deepEqual(got.configuration, serviceManaged);
    assert.deepEqual(got.hostConfiguration, hostConfiguration);
    assert.ok(got.createdAt instanceof Date && Math.abs(got.createdAt.getTime() - Date.now()) < 60_000);
    assert.equal(got.createdBy, 'farmtally');
    assert.deepEqual(got.capabilities, {
      amounts: [
        { name: 'amount.worker.vcpu', min: 4, max: 16 },
        { name: 'amount.worker.memory', min: 8192 },
        { name: 'amount.worker.gpu', min: 1, max: 2 },
        { name: 'amount.studio.licenses', min: 1, max: 4.5 },
      ],
      attributes: [
        { name: 'attr.worker.os.family', values: ['linux'] },
        { name: 'attr.worker.cpu.arch', values: ['x86_64'] },
        { name: 'studio:attr.site', values: ['east', 'west_2'] },
      ],
    });
  });

  test('a customer-managed fleet: configuration back as given, capabilities from its worker capabilities', async () => {
    const farmId = await newFarm();
    const { fleetId } = await ft.client.send(new CreateFleetCommand(fleetInput(farmId, { configuration: customerManaged, minWorkerCount: 2, maxWorkerCount: 3 })));
    const got = await ft.client.send(new GetFleetCommand({ farmId, fleetId }));
    assert.deepEqual(got.configuration, customerManaged);
    assert.equal(got.minWorkerCount, 2);
    assert.equal(got.maxWorkerCount, 3);
    assert.equal(got.hostConfiguration, undefined);
    assert.deepEqual(got.capabilities, {
      amounts: [
        { name: 'amount.worker.vcpu', min: 8 },
        { name: 'amount.worker.memory', min: 16384, max: 65536 },
        { name: 'amount.worker.gpu', min: 1 },
        { name: 'amount.worker.gpu.memory', min: 24576 },
      ],
      attributes: [
        { name: 'attr.worker.os.family', values: ['macos'] },
        { name: 'attr.worker.cpu.arch', values: ['arm64'] },
      ],
    });
    const [summary] = (await ft.client.send(new ListFleetsCommand({ farmId }))).fleets!;
    assert.deepEqual(
      [summary!.fleetId, summary!.status, summary!.workerCount, summary!.minWorkerCount, summary!.maxWorkerCount, summary!.configuration],
      [fleetId, 'ACTIVE', 0, 2, 3, customerManaged],
    );
  });

  test('the configuration union needs exactly one member', async () => {
    const farmId = await newFarm();
    await rejectsNaming(ft.client.send(new CreateFleetCommand(fleetInput(farmId, { configuration: {} as never }))), ['configuration']);
    const both = { ...serviceManaged, ...customerManaged } as unknown as FleetConfiguration;
    const err = await rejectsNaming(ft.client.send(new CreateFleetCommand(fleetInput(farmId, { configuration: both }))), ['configuration']);
    assert.match(err.message, /customerManaged and serviceManagedEc2/);
    assert.deepEqual((await ft.client.send(new ListFleetsCommand({ farmId }))).fleets, []);
  });

  test('bad input is a ValidationException naming each member, nested ones by path', async () => {
    const farmId = await newFarm();
    const create = (extra: Partial<CreateFleetCommandInput>) => ft.client.send(new CreateFleetCommand(fleetInput(farmId, extra)));
    const sm = serviceManaged.serviceManagedEc2;
    const withService = (patch: object, caps: object = {}) =>
      create({ configuration: { serviceManagedEc2: { ...sm, ...patch, instanceCapabilities: { ...sm.instanceCapabilities, ...caps } } } as never });
    const cm = customerManaged.customerManaged;
    const withCustomer = (patch: object, caps: object = {}) =>
      create({ configuration: { customerManaged: { ...cm, ...patch, workerCapabilities: { ...cm.workerCapabilities, ...caps } } } as never });
    const smPath = 'configuration.serviceManagedEc2';
    const cmPath = 'configuration.customerManaged';

    await rejectsNaming(
      ft.client.send(new CreateFleetCommand({ farmId, displayName: 'x' } as CreateFleetCommandInput)),
      ['roleArn', 'maxWorkerCount', 'configuration'],
    );
    await rejectsNaming(create({ displayName: '', roleArn: 'arn:aws:iam::1:role/x', maxWorkerCount: -1, minWorkerCount: 1.5 }), [
      'displayName', 'roleArn', 'maxWorkerCount', 'minWorkerCount',
    ]);
    await rejectsNaming(create({ minWorkerCount: 11 }), ['minWorkerCount']);
    await rejectsNaming(create({ hostConfiguration: { scriptBody: 'x', scriptTimeoutSeconds: 299 } }), ['hostConfiguration.scriptTimeoutSeconds']);
    await rejectsNaming(create({ hostConfiguration: { scriptBody: 'x'.repeat(15001) } }), ['hostConfiguration.scriptBody']);

    await rejectsNaming(withService({}, { vCpuCount: { min: 0 } }), [`${smPath}.instanceCapabilities.vCpuCount.min`]);
    await rejectsNaming(withService({}, { vCpuCount: { min: 4, max: 10001 }, memoryMiB: { min: 511 } }), [
      `${smPath}.instanceCapabilities.vCpuCount.max`,
      `${smPath}.instanceCapabilities.memoryMiB.min`,
    ]);
    await rejectsNaming(withService({}, { vCpuCount: { min: 8, max: 4 } }), [`${smPath}.instanceCapabilities.vCpuCount`]);
    await rejectsNaming(withService({}, { osFamily: 'MACOS', cpuArchitectureType: 'riscv' }), [
      `${smPath}.instanceCapabilities.osFamily`,
      `${smPath}.instanceCapabilities.cpuArchitectureType`,
    ]);
    await rejectsNaming(withService({}, { rootEbsVolume: { iops: 100, throughputMiB: 1001 } }), [
      `${smPath}.instanceCapabilities.rootEbsVolume.iops`,
      `${smPath}.instanceCapabilities.rootEbsVolume.throughputMiB`,
    ]);
    await rejectsNaming(withService({}, { acceleratorCapabilities: { selections: [{ name: 'v100' }] } }), [
      `${smPath}.instanceCapabilities.acceleratorCapabilities.selections.1.name`,
    ]);
    await rejectsNaming(withService({}, { allowedInstanceTypes: [], excludedInstanceTypes: [''] }), [
      `${smPath}.instanceCapabilities.allowedInstanceTypes`,
      `${smPath}.instanceCapabilities.excludedInstanceTypes.1`,
    ]);
    await rejectsNaming(withService({}, { customAmounts: [{ name: 'licenses', min: 1 }] }), [`${smPath}.instanceCapabilities.customAmounts.1.name`]);
    await rejectsNaming(withService({}, { customAttributes: [{ name: 'attr.site', values: Array.from({ length: 11 }, (_, i) => `v${i}`) }] }), [
      `${smPath}.instanceCapabilities.customAttributes.1.values`,
    ]);
    await rejectsNaming(withService({ instanceMarketOptions: { type: 'reserved' } }), [`${smPath}.instanceMarketOptions.type`]);
    await rejectsNaming(withService({ instanceMarketOptions: undefined }), [`${smPath}.instanceMarketOptions`]);
    await rejectsNaming(withService({ persistentVolumeConfiguration: { sizeGiB: 0 } }), [
      `${smPath}.persistentVolumeConfiguration.sizeGiB`,
      `${smPath}.persistentVolumeConfiguration.mountPath`,
    ]);
    await rejectsNaming(withService({ autoScalingConfiguration: { workerIdleDurationSeconds: 86401, scaleOutWorkersPerMinute: 0 } }), [
      `${smPath}.autoScalingConfiguration.workerIdleDurationSeconds`,
      `${smPath}.autoScalingConfiguration.scaleOutWorkersPerMinute`,
    ]);
    await rejectsNaming(withService({ storageProfileId: 'sp-1' }), [`${smPath}.storageProfileId`]);

    await rejectsNaming(withCustomer({ mode: undefined }, { osFamily: 'SOLARIS' }), [`${cmPath}.mode`, `${cmPath}.workerCapabilities.osFamily`]);
    await rejectsNaming(withCustomer({}, { acceleratorTypes: ['tpu'], acceleratorCount: { max: 2 } }), [
      `${cmPath}.workerCapabilities.acceleratorTypes.1`,
      `${cmPath}.workerCapabilities.acceleratorCount.min`,
    ]);
    await rejectsNaming(withCustomer({}, { acceleratorTotalMemoryMiB: { min: 2048, max: 1024 } }), [`${cmPath}.workerCapabilities.acceleratorTotalMemoryMiB`]);
    await rejectsNaming(withCustomer({ tagPropagationMode: 'ALWAYS', autoScalingConfiguration: { standbyWorkerCount: -1 } }), [
      `${cmPath}.tagPropagationMode`,
      `${cmPath}.autoScalingConfiguration.standbyWorkerCount`,
    ]);
    await rejectsNaming(ft.client.send(new GetFleetCommand({ farmId, fleetId: 'fleet-XYZ' })), ['fleetId']);
    await rejectsNaming(ft.client.send(new ListFleetsCommand({ farmId, status: 'RUNNING' as never, displayName: '' })), ['status', 'displayName']);
    assert.deepEqual((await ft.client.send(new ListFleetsCommand({ farmId }))).fleets, [], 'a refused request created nothing');
  });

  test('unknown farm or fleet: ResourceNotFoundException naming the missing one', async () => {
    const farmId = await newFarm();
    const noFarm = absentId('farm');
    const noFleet = absentId('fleet');
    await rejectsNotFound(ft.client.send(new CreateFleetCommand(fleetInput(noFarm))), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new ListFleetsCommand({ farmId: noFarm })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new GetFleetCommand({ farmId: noFarm, fleetId: noFleet })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new GetFleetCommand({ farmId, fleetId: noFleet })), 'fleet', noFleet);
    await rejectsNotFound(ft.client.send(new DeleteFleetCommand({ farmId, fleetId: noFleet })), 'fleet', noFleet);
    const { fleetId } = await ft.client.send(new CreateFleetCommand(fleetInput(farmId)));
    const otherFarm = await newFarm();
    await rejectsNotFound(ft.client.send(new GetFleetCommand({ farmId: otherFarm, fleetId })), 'fleet', fleetId!);
  });

  test('client tokens: CreateFleet is idempotent within its farm, and a retried DeleteFleet succeeds again', async () => {
    const farmId = await newFarm();
    const request = fleetInput(farmId, { clientToken: 'fleet-token-1' });
    const a = await ft.client.send(new CreateFleetCommand(request));
    const b = await ft.client.send(new CreateFleetCommand(request));
    assert.equal(b.fleetId, a.fleetId);
    assert.equal((await ft.client.send(new ListFleetsCommand({ farmId }))).fleets!.length, 1);
    await rejectsConflict(ft.client.send(new CreateFleetCommand({ ...request, maxWorkerCount: 11 })), 'CONFLICT_EXCEPTION', 'clientToken', 'fleet-token-1');
    const otherFarm = await newFarm();
    const c = await ft.client.send(new CreateFleetCommand({ ...request, farmId: otherFarm }));
    assert.notEqual(c.fleetId, a.fleetId);

    await ft.client.send(new DeleteFleetCommand({ farmId, fleetId: a.fleetId, clientToken: 'delete-1' }));
    await ft.client.send(new DeleteFleetCommand({ farmId, fleetId: a.fleetId, clientToken: 'delete-1' }));
    await rejectsNotFound(ft.client.send(new GetFleetCommand({ farmId, fleetId: a.fleetId })), 'fleet', a.fleetId!);
    // Without the token (the SDK sends a fresh one) the fleet is simply gone.
    await rejectsNotFound(ft.client.send(new DeleteFleetCommand({ farmId, fleetId: a.fleetId })), 'fleet', a.fleetId!);
    const d = await ft.client.send(new CreateFleetCommand(fleetInput(farmId)));
    await rejectsConflict(ft.client.send(new DeleteFleetCommand({ farmId, fleetId: d.fleetId, clientToken: 'delete-1' })), 'CONFLICT_EXCEPTION', 'clientToken', 'delete-1');
    assert.equal((await ft.client.send(new GetFleetCommand({ farmId, fleetId: d.fleetId }))).fleetId, d.fleetId);
  });

  test('ListFleets filters by displayName and status in the store, pages, and keeps tokens to their farm and filters', async () => {
    const farmId = await newFarm();
    const otherFarm = await newFarm();
    const render: string[] = [];
    const all: string[] = [];
    for (let i = 0; i < 8; i++) {
      const name = i % 3 === 2 ? 'Sim' : 'Render';
      const { fleetId } = await ft.client.send(new CreateFleetCommand(fleetInput(farmId, { displayName: name, configuration: i % 2 ? customerManaged : serviceManaged })));
      all.push(fleetId!);
      if (name === 'Render') render.push(fleetId!);
    }
    await ft.client.send(new CreateFleetCommand(fleetInput(otherFarm, { displayName: 'Render' })));

    const collect = async (input: { displayName?: string; status?: 'ACTIVE' | 'SUSPENDED' }, pageSize: number) => {
      const ids: string[] = [];
      let pages = 0;
      for await (const page of paginateListFleets({ client: ft.client, pageSize }, { farmId, ...input })) {
        pages++;
        assert.ok(page.fleets!.length <= pageSize);
        ids.push(...page.fleets!.map((f) => f.fleetId!));
      }
      return { ids, pages };
    };
    assert.deepEqual(await collect({}, 3), { ids: all, pages: 3 });
    assert.deepEqual(await collect({ displayName: 'Render' }, 2), { ids: render, pages: 3 });
    assert.deepEqual((await collect({ displayName: 'Sim', status: 'ACTIVE' }, 1)).ids, all.filter((id) => !render.includes(id)));
    assert.deepEqual((await collect({ displayName: 'render' }, 5)).ids, [], 'displayName matches exactly');
    assert.deepEqual((await collect({ status: 'ACTIVE' }, 100)).ids, all);
    assert.deepEqual((await collect({ status: 'SUSPENDED' }, 100)).ids, []);

    const first = await ft.client.send(new ListFleetsCommand({ farmId, displayName: 'Render', maxResults: 2 }));
    assert.deepEqual(first.fleets!.map((f) => f.fleetId), render.slice(0, 2));
    const next = await ft.client.send(new ListFleetsCommand({ farmId, displayName: 'Render', maxResults: 2, nextToken: first.nextToken }));
    assert.deepEqual(next.fleets!.map((f) => f.fleetId), render.slice(2, 4));
    for (const misuse of [{ farmId: otherFarm, displayName: 'Render' }, { farmId, displayName: 'Sim' }, { farmId }, { farmId, displayName: 'Render', status: 'ACTIVE' as const }]) {
      await assert.rejects(ft.client.send(new ListFleetsCommand({ ...misuse, nextToken: first.nextToken })), (err) => {
        assert.ok(err instanceof ValidationException);
        assert.equal(err.fieldList![0]!.name, 'nextToken');
        return true;
      });
    }

    await ft.client.send(new DeleteFleetCommand({ farmId, fleetId: render[0] }));
    assert.deepEqual((await collect({ displayName: 'Render' }, 100)).ids, render.slice(1));
  });
});
