import { farmIdInPath, queueIdInPath } from '../common-shapes.js';
import { conflict, notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { requireQueue } from '../support.js';
import { structure } from '../validation/shapes.js';

export const deleteQueue = defineOperation({
  name: 'DeleteQueue',
  method: 'DELETE',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}',
  input: structure({ farmId: farmIdInPath, queueId: queueIdInPath }),
  async handle({ farmId, queueId }, ctx) {
    // Looked up first so an unknown farm and an unknown queue each get their own error.
    await requireQueue(ctx, farmId, queueId);
    const outcome = await ctx.store.deleteQueue(farmId, queueId);
    if (outcome === 'has-sessions') {
      throw conflict('RESOURCE_IN_USE', 'queue', queueId, `Queue ${queueId} has session records, so it was not deleted. Its usage history would be lost.`);
    }
    if (outcome === 'not-found') throw notFound('queue', queueId); // deleted by another request in between
    return {};
  },
});
