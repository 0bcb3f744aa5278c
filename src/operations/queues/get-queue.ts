import { farmIdInPath, queueIdInPath } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { requireQueue } from '../support.js';
import { structure } from '../validation/shapes.js';
import { withBudgetState } from './queue-budget-state.js';
import { queueDetail } from './queue-output.js';

export const getQueue = defineOperation({
  name: 'GetQueue',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}',
  input: structure({ farmId: farmIdInPath, queueId: queueIdInPath }),
  async handle({ farmId, queueId }, ctx) {
    const queue = await requireQueue(ctx, farmId, queueId);
    const [read] = await withBudgetState(ctx, farmId, [queue], ctx.now());
    return queueDetail(read!);
  },
});
