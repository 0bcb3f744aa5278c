import { farmIdInPath, withSessionsQuery } from '../common-shapes.js';
import { deletesSessions, deleteWithSessions, inUse } from '../delete-with-sessions.js';
import { notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';

export const deleteFarm = defineOperation({
  name: 'DeleteFarm',
  method: 'DELETE',
  path: '/2023-10-12/farms/{farmId}',
  input: structure({ farmId: farmIdInPath, withSessions: withSessionsQuery }),
  async handle({ farmId, withSessions }, ctx) {
    if (deletesSessions(withSessions, ctx)) {
      if (!(await deleteWithSessions(ctx, { kind: 'farm', farmId }))) throw notFound('farm', farmId);
      return {};
    }
    const outcome = await ctx.store.deleteFarm(farmId);
    if (outcome === 'not-found') throw notFound('farm', farmId);
    if (outcome === 'has-sessions') throw inUse('farm', farmId, ctx);
    return {};
  },
});
