import { IdentityCenterPrincipalId, paging } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { listPage } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { farmSummary } from './farm-output.js';

export const listFarms = defineOperation({
  name: 'ListFarms',
  method: 'GET',
  path: '/2023-10-12/farms',
  // principalId filters by Identity Center member; farmtally has no members, so it is accepted and ignored.
  input: structure({ ...paging, principalId: query(IdentityCenterPrincipalId) }),
  async handle(input, ctx) {
    const page = await listPage(ctx, 'ListFarms', input, (p) => ctx.store.listFarms(p));
    return { farms: page.items.map(farmSummary), nextToken: page.nextToken };
  },
});
