// Creates the demo studio's farm, queues and fleets through the official SDK (the server
// assigns their IDs), so the generated sessions can name them.
import { CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import { DEMO_FLEETS, DEMO_QUEUES, type DemoFleet } from './farm.js';
import type { DemoIds } from './generate.js';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/FarmtallyDemoFleetRole';

function configuration(fleet: DemoFleet) {
  const gpu = fleet.instanceTypes.some(([t]) => t.startsWith('g'));
  const capabilities = { vCpuCount: { min: 8 }, memoryMiB: { min: 32768 }, osFamily: 'LINUX' as const, cpuArchitectureType: 'x86_64' as const };
  if (fleet.kind === 'customerManaged') {
    return { customerManaged: { mode: 'NO_SCALING' as const, workerCapabilities: capabilities } };
  }
  return {
    serviceManagedEc2: {
      instanceCapabilities: {
        ...capabilities,
        allowedInstanceTypes: fleet.instanceTypes.map(([t]) => t),
        ...(gpu ? { acceleratorCapabilities: { selections: [{ name: 't4' as const }, { name: 'a10g' as const }] } } : {}),
      },
      instanceMarketOptions: { type: 'spot' as const },
    },
  };
}

export async function createDemoFarm(client: DeadlineClient, displayName = 'Demo studio'): Promise<{ farmId: string; ids: DemoIds }> {
  const { farmId } = await client.send(new CreateFarmCommand({ displayName, description: 'A year of generated render farm sessions (farmtally demo).' }));
  const queueIds: string[] = [];
  for (const q of DEMO_QUEUES) queueIds.push((await client.send(new CreateQueueCommand({ farmId, displayName: q.displayName }))).queueId!);
  const fleetIds: string[] = [];
  for (const f of DEMO_FLEETS) {
    const created = await client.send(
      new CreateFleetCommand({ farmId, displayName: f.displayName, roleArn: ROLE_ARN, maxWorkerCount: f.workers, configuration: configuration(f) }),
    );
    fleetIds.push(created.fleetId!);
  }
  return { farmId: farmId!, ids: { queueIds, fleetIds } };
}
