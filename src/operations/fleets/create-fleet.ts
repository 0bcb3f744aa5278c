import { newId, type FleetKind } from '../../domain/resources.js';
import { clientTokenHeader, Description, farmIdInPath, IamRoleArn, ResourceName, Tags } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { idempotentCreate, requireFarm } from '../support.js';
import { optional, required, structure } from '../validation/shapes.js';
import { fleetRangeFailures } from './fleet-checks.js';
import { FleetConfiguration, HostConfiguration, MinZeroMaxInteger } from './fleet-shapes.js';

export const createFleet = defineOperation({
  name: 'CreateFleet',
  method: 'POST',
  path: '/2023-10-12/farms/{farmId}/fleets',
  input: structure({
    farmId: farmIdInPath,
    clientToken: clientTokenHeader,
    displayName: required(ResourceName),
    description: optional(Description),
    roleArn: required(IamRoleArn),
    minWorkerCount: optional(MinZeroMaxInteger),
    maxWorkerCount: required(MinZeroMaxInteger),
    configuration: required(FleetConfiguration),
    tags: optional(Tags),
    hostConfiguration: optional(HostConfiguration),
  }),
  check: (input) => fleetRangeFailures(input),
  async handle(input, ctx) {
    const { clientToken, ...request } = input;
    const { farmId, displayName, description, ...details } = request;
    // The union's validation guarantees exactly one member is set.
    const kind: FleetKind = details.configuration.customerManaged ? 'customerManaged' : 'serviceManagedEc2';
    await requireFarm(ctx, farmId);
    const fleetId = await idempotentCreate(ctx, `CreateFleet:${farmId}`, clientToken, request, async () => {
      const fleetId = newId('fleet');
      await ctx.store.createFleet({ farmId, fleetId, displayName, description, kind, details, createdAt: ctx.now(), createdBy: ctx.caller });
      return fleetId;
    });
    return { fleetId };
  },
});
