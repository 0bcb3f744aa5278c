import { clientTokenHeader, farmIdInPath, fleetIdInPath } from '../common-shapes.js';
import { conflict, notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { idempotentCreate } from '../support.js';
import { structure } from '../validation/shapes.js';
import { requireFleet } from './require-fleet.js';

export const deleteFleet = defineOperation({
  name: 'DeleteFleet',
  method: 'DELETE',
  path: '/2023-10-12/farms/{farmId}/fleets/{fleetId}',
  input: structure({ farmId: farmIdInPath, fleetId: fleetIdInPath, clientToken: clientTokenHeader }),
  async handle(input, ctx) {
    const { farmId, fleetId, clientToken } = input;
    // DeleteFleet takes a client token: a retry of a delete that already succeeded succeeds
    // again instead of answering "not found" (the token remembers the deleted fleet's ID).
    await idempotentCreate(ctx, `DeleteFleet:${farmId}`, clientToken, { fleetId }, async () => {
      await requireFleet(ctx, farmId, fleetId);
      const outcome = await ctx.store.deleteFleet(farmId, fleetId);
      if (outcome === 'has-sessions') {
        throw conflict('RESOURCE_IN_USE', 'fleet', fleetId, `Fleet ${fleetId} has session records, so it was not deleted. Its usage history would be lost.`);
      }
      if (outcome === 'not-found') throw notFound('fleet', fleetId); // deleted by another request in between
      return fleetId;
    });
    return {};
  },
});
