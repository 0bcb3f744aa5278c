import { farmIdInPath, IdentityCenterPrincipalId, paging, QueueStatus } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { listPage, requireFarm } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { queueSummary } from './queue-output.js';

export const listQueues = defineOperation({
  name: 'ListQueues',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/queues',
  // principalId filters by Identity Center member; farmtally has no members, so it is accepted and ignored.
  input: structure({ farmId: farmIdInPath, ...paging, principalId: query(IdentityCenterPrincipalId), status: query(QueueStatus) }),
  async handle(input, ctx) {
    const { farmId, status } = input;
    await requireFarm(ctx, farmId);
    // The token is bound to the farm and the filter: it cannot page another farm's or another filter's list.
    const page = await listPage(ctx, `ListQueues:${farmId}:${status ?? ''}`, input, (p) => ctx.store.listQueues(farmId, p, { status }));
    return { queues: page.items.map(queueSummary), nextToken: page.nextToken };
  },
});
