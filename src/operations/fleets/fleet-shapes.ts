// CreateFleet's nested members, with the constraints the API model gives them. The
// `configuration` union tells a customer-managed fleet from a service-managed (EC2) one.
import { InstanceType, StorageProfileId } from '../common-shapes.js';
import { enumOf, float, integer, list, optional, required, string, structure, union } from '../validation/shapes.js';

export const MinZeroMaxInteger = integer({ min: 0, max: 2147483647 });
const MinOneMaxInteger = integer({ min: 1, max: 2147483647 });

/** A {min, max} range of integers; only `min` is required. */
const range = (bound: ReturnType<typeof integer>) => structure({ min: required(bound), max: optional(bound) });
export const VCpuCountRange = range(integer({ min: 1, max: 10000 }));
export const MemoryMiBRange = range(integer({ min: 512, max: 2147483647 }));
export const AcceleratorCountRange = range(MinZeroMaxInteger);
export const AcceleratorTotalMemoryMiBRange = range(MinZeroMaxInteger);

export const CpuArchitectureType = enumOf(['x86_64', 'arm64']);

export const FleetAmountCapability = structure({
  name: required(string({ min: 1, max: 100, pattern: '([a-zA-Z][a-zA-Z0-9]{0,63}:)?amount(\\.[a-zA-Z][a-zA-Z0-9]{0,63})+' })),
  min: required(float()),
  max: optional(float()),
});
export const FleetAttributeCapability = structure({
  name: required(string({ min: 1, max: 100, pattern: '([a-zA-Z][a-zA-Z0-9]{0,63}:)?attr(\\.[a-zA-Z][a-zA-Z0-9]{0,63})+' })),
  values: required(list(string({ min: 1, max: 100, pattern: '[a-zA-Z_]([a-zA-Z0-9_\\-]{0,99})' }), { min: 1, max: 10 })),
});
const CustomAmounts = list(FleetAmountCapability, { min: 1, max: 15 });
const CustomAttributes = list(FleetAttributeCapability, { min: 1, max: 15 });

export const CustomerManagedFleetConfiguration = structure({
  mode: required(enumOf(['NO_SCALING', 'EVENT_BASED_AUTO_SCALING'])),
  autoScalingConfiguration: optional(
    structure({
      standbyWorkerCount: optional(MinZeroMaxInteger),
      workerIdleDurationSeconds: optional(MinZeroMaxInteger),
      scaleOutWorkersPerMinute: optional(MinOneMaxInteger),
    }),
  ),
  workerCapabilities: required(
    structure({
      vCpuCount: required(VCpuCountRange),
      memoryMiB: required(MemoryMiBRange),
      acceleratorTypes: optional(list(enumOf(['gpu']))),
      acceleratorCount: optional(AcceleratorCountRange),
      acceleratorTotalMemoryMiB: optional(AcceleratorTotalMemoryMiBRange),
      osFamily: required(enumOf(['WINDOWS', 'LINUX', 'MACOS'])),
      cpuArchitectureType: required(CpuArchitectureType),
      customAmounts: optional(CustomAmounts),
      customAttributes: optional(CustomAttributes),
    }),
  ),
  storageProfileId: optional(StorageProfileId),
  tagPropagationMode: optional(enumOf(['NO_PROPAGATION', 'PROPAGATE_TAGS_TO_WORKERS_AT_LAUNCH'])),
});

const InstanceTypes = list(InstanceType, { min: 1, max: 100 });

export const ServiceManagedEc2FleetConfiguration = structure({
  instanceCapabilities: required(
    structure({
      vCpuCount: required(VCpuCountRange),
      memoryMiB: required(MemoryMiBRange),
      osFamily: required(enumOf(['WINDOWS', 'LINUX'])),
      cpuArchitectureType: required(CpuArchitectureType),
      rootEbsVolume: optional(
        structure({
          sizeGiB: optional(integer()),
          iops: optional(integer({ min: 3000, max: 16000 })),
          throughputMiB: optional(integer({ min: 125, max: 1000 })),
        }),
      ),
      acceleratorCapabilities: optional(
        structure({
          selections: required(
            list(
              structure({
                name: required(enumOf(['t4', 'a10g', 'l4', 'l40s', 'rtx-pro-server-6000'])),
                runtime: optional(string({ min: 1, max: 100 })),
              }),
            ),
          ),
          count: optional(AcceleratorCountRange),
        }),
      ),
      allowedInstanceTypes: optional(InstanceTypes),
      excludedInstanceTypes: optional(InstanceTypes),
      customAmounts: optional(CustomAmounts),
      customAttributes: optional(CustomAttributes),
    }),
  ),
  instanceMarketOptions: required(structure({ type: required(enumOf(['on-demand', 'spot', 'wait-and-save'])) })),
  vpcConfiguration: optional(structure({ resourceConfigurationArns: optional(list(string({ min: 1, max: 2048 }), { min: 0, max: 10 })) })),
  storageProfileId: optional(StorageProfileId),
  persistentVolumeConfiguration: optional(
    structure({
      sizeGiB: optional(integer({ min: 1, max: 65536 })),
      iops: optional(integer({ min: 100, max: 80000 })),
      throughputMiB: optional(integer({ min: 125, max: 2000 })),
      mountPath: required(string({ min: 1, max: 255 })),
      lastUsedTtlHours: optional(integer({ min: 1, max: 8760 })),
    }),
  ),
  autoScalingConfiguration: optional(
    structure({
      standbyWorkerCount: optional(MinZeroMaxInteger),
      workerIdleDurationSeconds: optional(integer({ min: 0, max: 86400 })),
      scaleOutWorkersPerMinute: optional(MinOneMaxInteger),
    }),
  ),
});

export const FleetConfiguration = union({
  customerManaged: optional(CustomerManagedFleetConfiguration),
  serviceManagedEc2: optional(ServiceManagedEc2FleetConfiguration),
});

export const HostConfiguration = structure({
  scriptBody: required(string({ min: 0, max: 15000 })),
  scriptTimeoutSeconds: optional(integer({ min: 300, max: 3600 })),
});
