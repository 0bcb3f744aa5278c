// The demo studio: its queues (departments), fleets, instance types, license products and
// rate card. Fixed, so every demo farm looks alike and numbers can be compared between runs;
// the seed only varies the jobs and sessions (generate.ts). Prices are illustrative, in the
// range of 2025 on-demand EC2 and per-hour license prices, not quotes.

export type DemoFleetKind = 'customerManaged' | 'serviceManagedEc2';

export interface DemoQueue {
  displayName: string;
  /** Share of the farm's jobs. */
  weight: number;
  /** Job names say what the department does. */
  task: string;
  /** Median session length in minutes (comp frames are quick, simulations slow). */
  medianMinutes: number;
  /** Fleet indexes this queue renders on, with weights. */
  fleets: [number, number][];
  /** License products its software needs, most used first. */
  products: string[];
}

export interface DemoFleet {
  displayName: string;
  kind: DemoFleetKind;
  /** Instance types of its workers, with weights. */
  instanceTypes: [string, number][];
  workers: number;
  /** Share of its sessions whose worker did not report an instance type. */
  unknownInstanceType: number;
}

export const DEMO_QUEUES: DemoQueue[] = [
  { displayName: 'Animation', weight: 14, task: 'anim', medianMinutes: 18, fleets: [[0, 3], [3, 2], [4, 2]], products: ['maya'] },
  { displayName: 'Layout', weight: 6, task: 'lay', medianMinutes: 10, fleets: [[0, 1], [4, 2]], products: ['maya'] },
  { displayName: 'Lighting', weight: 20, task: 'light', medianMinutes: 55, fleets: [[0, 4], [1, 2], [3, 3]], products: ['arnold', 'vray', 'maya'] },
  { displayName: 'FX', weight: 12, task: 'fx', medianMinutes: 45, fleets: [[1, 3], [3, 1]], products: ['houdini'] },
  { displayName: 'Simulation', weight: 5, task: 'sim', medianMinutes: 110, fleets: [[1, 1]], products: ['houdini'] },
  { displayName: 'Compositing', weight: 18, task: 'comp', medianMinutes: 14, fleets: [[0, 3], [3, 2], [4, 1]], products: ['nuke'] },
  { displayName: 'Lookdev', weight: 8, task: 'lookdev', medianMinutes: 35, fleets: [[2, 2], [4, 1]], products: ['redshift', 'maya'] },
  { displayName: 'Previs', weight: 7, task: 'previs', medianMinutes: 9, fleets: [[2, 1], [4, 2]], products: ['redshift', 'maya'] },
  { displayName: 'Editorial', weight: 4, task: 'edit', medianMinutes: 7, fleets: [[4, 1], [0, 1]], products: ['nuke'] },
  { displayName: 'Pipeline R&D', weight: 6, task: 'rnd', medianMinutes: 25, fleets: [[2, 1], [1, 1], [3, 1]], products: ['houdini', 'maya'] },
];

export const DEMO_FLEETS: DemoFleet[] = [
  { displayName: 'Spot CPU', kind: 'serviceManagedEc2', instanceTypes: [['c5.4xlarge', 3], ['c5.9xlarge', 2], ['m5.8xlarge', 1]], workers: 300, unknownInstanceType: 0 },
  { displayName: 'Spot high memory', kind: 'serviceManagedEc2', instanceTypes: [['r5.8xlarge', 3], ['m5.8xlarge', 1]], workers: 120, unknownInstanceType: 0 },
  { displayName: 'Spot GPU', kind: 'serviceManagedEc2', instanceTypes: [['g4dn.2xlarge', 2], ['g5.4xlarge', 1]], workers: 60, unknownInstanceType: 0 },
  { displayName: 'On-prem render blades', kind: 'customerManaged', instanceTypes: [['blade-xeon-64c', 1]], workers: 200, unknownInstanceType: 0.01 },
  { displayName: 'Artist workstations', kind: 'customerManaged', instanceTypes: [['workstation-rtx', 1]], workers: 150, unknownInstanceType: 0.05 },
];

export const DEMO_INSTANCE_TYPES = [...new Set(DEMO_FLEETS.flatMap((f) => f.instanceTypes.map(([t]) => t)))];
export const DEMO_LICENSE_PRODUCTS = ['maya', 'houdini', 'nuke', 'arnold', 'vray', 'redshift'];

const SERVICE_MANAGED_RATES: Record<string, number> = {
  'c5.4xlarge': 0.68, 'c5.9xlarge': 1.53, 'm5.8xlarge': 1.536, 'r5.8xlarge': 2.016, 'g4dn.2xlarge': 0.752, 'g5.4xlarge': 1.624,
};
const LICENSE_RATES: Record<string, number> = { maya: 0.36, houdini: 0.9, nuke: 0.62, arnold: 0.25, vray: 0.3, redshift: 0.2 };
/** The blades' own cost per worker hour (power, hardware); workstations keep the card's default. */
const BLADE_RATE = 0.45;

/** The rate card file (`serve --pricing`) for a demo farm whose fleets got these IDs. */
export function demoRateCard(fleetIds: readonly string[]) {
  const blades = DEMO_FLEETS.findIndex((f) => f.displayName === 'On-prem render blades');
  return {
    instanceTypes: SERVICE_MANAGED_RATES,
    licenseProducts: LICENSE_RATES,
    customerManagedWorkerHour: 1.0,
    customerManagedFleets: fleetIds[blades] ? { [fleetIds[blades]]: BLADE_RATE } : {},
  };
}
