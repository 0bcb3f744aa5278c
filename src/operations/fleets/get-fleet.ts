import { farmIdInPath, fleetIdInPath } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';
import { fleetDetail } from './fleet-output.js';
import { requireFleet } from './require-fleet.js';

export const getFleet = defineOperation({
  name: 'GetFleet',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/fleets/{fleetId}',
  input: structure({ farmId: farmIdInPath, fleetId: fleetIdInPath }),
  handle: async ({ farmId, fleetId }, ctx) => fleetDetail(await requireFleet(ctx, farmId, fleetId)),
});
