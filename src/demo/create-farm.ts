// Creates the demo studio's farm, queues and fleets through the official SDK (the server
// assigns their IDs), so the generated sessions can name them. A farm of the same name from
// an earlier run is reused and completed (a run cut short, say by throttling, left it half
// made): the same seed then sends the same sessions again, which the server takes as
// unchanged, and the ones missing are added.
import {
  CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, paginateListFarms, paginateListFleets, paginateListQueues, type DeadlineClient,
} from '@aws-sdk/client-deadline';
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

/** Every item of a paginated list, as [displayName, id] pairs. */
async function named<P>(pages: AsyncIterable<P>, items: (page: P) => { displayName?: string; id?: string }[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const page of pages) for (const { displayName, id } of items(page)) if (displayName && id && !found.has(displayName)) found.set(displayName, id);
  return found;
}

export async function createDemoFarm(client: DeadlineClient, displayName = 'Demo studio'): Promise<{ farmId: string; ids: DemoIds; reused: boolean }> {
  const farms = await named(paginateListFarms({ client }, {}), (p) => (p.farms ?? []).map((f) => ({ displayName: f.displayName, id: f.farmId })));
  const earlier = farms.get(displayName);
  const farmId = earlier ?? (await client.send(new CreateFarmCommand({ displayName, description: 'A year of generated render farm sessions (farmtally demo).' }))).farmId!;
  const queues = earlier ? await named(paginateListQueues({ client }, { farmId }), (p) => (p.queues ?? []).map((q) => ({ displayName: q.displayName, id: q.queueId }))) : new Map<string, string>();
  const fleets = earlier ? await named(paginateListFleets({ client }, { farmId }), (p) => (p.fleets ?? []).map((f) => ({ displayName: f.displayName, id: f.fleetId }))) : new Map<string, string>();
  const queueIds: string[] = [];
  for (const q of DEMO_QUEUES) queueIds.push(queues.get(q.displayName) ?? (await client.send(new CreateQueueCommand({ farmId, displayName: q.displayName }))).queueId!);
  const fleetIds: string[] = [];
  for (const f of DEMO_FLEETS) {
    fleetIds.push(
      fleets.get(f.displayName) ??
        (await client.send(new CreateFleetCommand({ farmId, displayName: f.displayName, roleArn: ROLE_ARN, maxWorkerCount: f.workers, configuration: configuration(f) }))).fleetId!,
    );
  }
  return { farmId, ids: { queueIds, fleetIds }, reused: Boolean(earlier) };
}
