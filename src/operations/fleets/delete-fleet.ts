import { clientTokenHeader, farmIdInPath, fleetIdInPath, withSessionsQuery } from '../common-shapes.js';
import { deletesSessions, deleteWithSessions, inUse } from '../delete-with-sessions.js';
import { notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { idempotentCreate } from '../support.js';
import { structure } from '../validation/shapes.js';
import { requireFleet } from './require-fleet.js';

export const deleteFleet = defineOperation({
  name: 'DeleteFleet',
  method: 'DELETE',
  path: '/2023-10-12/farms/{farmId}/fleets/{fleetId}',
  input: structure({ farmId: farmIdInPath, fleetId: fleetIdInPath, clientToken: clientTokenHeader, withSessions: withSessionsQuery }),
  async handle(input, ctx) {
    const { farmId, fleetId, clientToken, withSessions } = input;
    // DeleteFleet takes a client token: a retry of a delete that already succeeded succeeds
    // again instead of answering "not found" (the token remembers the deleted fleet's ID).
    const withTheirs = deletesSessions(withSessions, ctx);
    await idempotentCreate(ctx, `DeleteFleet:${farmId}`, clientToken, { fleetId, ...(withTheirs ? { withSessions } : {}) }, async () => {
      await requireFleet(ctx, farmId, fleetId);
      if (withTheirs) {
        if (!(await deleteWithSessions(ctx, { kind: 'fleet', farmId, id: fleetId }))) throw notFound('fleet', fleetId); // deleted by another request in between
        return fleetId;
      }
      const outcome = await ctx.store.deleteFleet(farmId, fleetId);
      if (outcome === 'has-sessions') throw inUse('fleet', fleetId, ctx);
      if (outcome === 'not-found') throw notFound('fleet', fleetId); // deleted by another request in between
      return fleetId;
    });
    return {};
  },
});
