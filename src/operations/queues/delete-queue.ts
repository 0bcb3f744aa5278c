import { farmIdInPath, queueIdInPath, withSessionsQuery } from '../common-shapes.js';
import { deletesSessions, deleteWithSessions, inUse } from '../delete-with-sessions.js';
import { notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { requireQueue } from '../support.js';
import { structure } from '../validation/shapes.js';

export const deleteQueue = defineOperation({
  name: 'DeleteQueue',
  method: 'DELETE',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}',
  input: structure({ farmId: farmIdInPath, queueId: queueIdInPath, withSessions: withSessionsQuery }),
  async handle({ farmId, queueId, withSessions }, ctx) {
    // Looked up first so an unknown farm and an unknown queue each get their own error.
    await requireQueue(ctx, farmId, queueId);
    if (deletesSessions(withSessions, ctx)) {
      if (!(await deleteWithSessions(ctx, { kind: 'queue', farmId, id: queueId }))) throw notFound('queue', queueId); // deleted by another request in between
      return {};
    }
    const outcome = await ctx.store.deleteQueue(farmId, queueId);
    if (outcome === 'has-sessions') throw inUse('queue', queueId, ctx);
    if (outcome === 'not-found') throw notFound('queue', queueId); // deleted by another request in between
    return {};
  },
});
