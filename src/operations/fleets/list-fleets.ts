import { farmIdInPath, FleetStatus, IdentityCenterPrincipalId, paging, ResourceName } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { listPage, requireFarm } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { fleetSummary } from './fleet-output.js';

export const listFleets = defineOperation({
  name: 'ListFleets',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/fleets',
  input: structure({
    farmId: farmIdInPath,
    ...paging,
    // Filters by Identity Center member; farmtally has no members, so it is accepted and ignored.
    principalId: query(IdentityCenterPrincipalId),
    displayName: query(ResourceName),
    status: query(FleetStatus),
  }),
  async handle(input, ctx) {
    const { farmId, displayName, status } = input;
    await requireFarm(ctx, farmId);
    // The token is bound to the farm and the filters: it cannot page another farm's or another filter's list.
    const scope = `ListFleets:${farmId}:${JSON.stringify([displayName ?? null, status ?? null])}`;
    const page = await listPage(ctx, scope, input, (p) => ctx.store.listFleets(farmId, p, { displayName, status }));
    return { fleets: page.items.map(fleetSummary), nextToken: page.nextToken };
  },
});
