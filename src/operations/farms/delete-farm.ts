import { farmIdInPath } from '../common-shapes.js';
import { conflict, notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';

export const deleteFarm = defineOperation({
  name: 'DeleteFarm',
  method: 'DELETE',
  path: '/2023-10-12/farms/{farmId}',
  input: structure({ farmId: farmIdInPath }),
  async handle({ farmId }, ctx) {
    const outcome = await ctx.store.deleteFarm(farmId);
    if (outcome === 'not-found') throw notFound('farm', farmId);
    if (outcome === 'has-sessions') {
      throw conflict('RESOURCE_IN_USE', 'farm', farmId, `Farm ${farmId} has session records, so it was not deleted. Its usage history would be lost.`);
    }
    return {};
  },
});
