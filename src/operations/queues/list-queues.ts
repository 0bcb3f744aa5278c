import type { PageRequest } from '../../store/store.js';
import { farmIdInPath, IdentityCenterPrincipalId, paging, QueueStatus } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { listPage, requireFarm } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { withBudgetState, type QueueRead } from './queue-budget-state.js';
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
    const now = ctx.now();
    // A queue's status depends on its budgets (queue-budget-state.ts), so the filter is applied
    // to each page as read: the store's pages are read on, each no larger than the places left,
    // until the page is full or the queues run out (a page may then hold fewer than maxResults
    // and still have a nextToken, as the service's may). One budget query per store page.
    const fetch = async (p: PageRequest) => {
      const items: QueueRead[] = [];
      let after = p.after;
      for (;;) {
        const page = await ctx.store.listQueues(farmId, { limit: p.limit - items.length, after });
        items.push(...(await withBudgetState(ctx, farmId, page.items, now)).filter((q) => status === undefined || q.status === status));
        if (page.nextAfter === undefined || items.length >= p.limit) return { items, nextAfter: page.nextAfter };
        after = page.nextAfter;
      }
    };
    // The token is bound to the farm and the filter: it cannot page another farm's or another filter's list.
    const page = await listPage(ctx, `ListQueues:${farmId}:${status ?? ''}`, input, fetch);
    return { queues: page.items.map(queueSummary), nextToken: page.nextToken };
  },
});
