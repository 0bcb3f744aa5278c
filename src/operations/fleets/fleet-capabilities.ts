// The capabilities GetFleet reports, derived from the fleet's configuration the way the
// service does: the Open Job Description names a job's host requirements match against
// (amount.worker.vcpu, amount.worker.memory, amount.worker.gpu, amount.worker.gpu.memory,
// attr.worker.os.family, attr.worker.cpu.arch), followed by the fleet's custom ones.
import type { Json } from '../../domain/resources.js';

interface Range {
  min: number;
  max?: number;
}
interface Amount extends Range {
  name: string;
}
interface Attribute {
  name: string;
  values: string[];
}

/** The members both configuration kinds share (workerCapabilities / instanceCapabilities). */
interface Capabilities {
  vCpuCount: Range;
  memoryMiB: Range;
  osFamily: string;
  cpuArchitectureType: string;
  acceleratorCount?: Range;
  acceleratorTotalMemoryMiB?: Range;
  acceleratorCapabilities?: { count?: Range };
  customAmounts?: Amount[];
  customAttributes?: Attribute[];
}

function capabilitiesOf(configuration: Json): Capabilities | undefined {
  const customer = configuration.customerManaged as { workerCapabilities?: Capabilities } | undefined;
  const service = configuration.serviceManagedEc2 as { instanceCapabilities?: Capabilities } | undefined;
  return customer?.workerCapabilities ?? service?.instanceCapabilities;
}

const amount = (name: string, r: Range | undefined): Amount[] => (r ? [{ name, min: r.min, ...(r.max !== undefined ? { max: r.max } : {}) }] : []);

export function fleetCapabilities(configuration: Json): { amounts: Amount[]; attributes: Attribute[] } | undefined {
  const c = capabilitiesOf(configuration);
  if (!c) return undefined;
  return {
    amounts: [
      ...amount('amount.worker.vcpu', c.vCpuCount),
      ...amount('amount.worker.memory', c.memoryMiB),
      ...amount('amount.worker.gpu', c.acceleratorCount ?? c.acceleratorCapabilities?.count),
      ...amount('amount.worker.gpu.memory', c.acceleratorTotalMemoryMiB),
      ...(c.customAmounts ?? []),
    ],
    attributes: [
      { name: 'attr.worker.os.family', values: [c.osFamily.toLowerCase()] },
      { name: 'attr.worker.cpu.arch', values: [c.cpuArchitectureType] },
      ...(c.customAttributes ?? []),
    ],
  };
}
