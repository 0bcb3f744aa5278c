import type { Farm } from '../../domain/resources.js';
import type { Page, PageRequest } from '../../store/store.js';
import { IdentityCenterPrincipalId, paging } from '../common-shapes.js';
import type { OperationContext } from '../context.js';
import { defineOperation } from '../operation.js';
import { listPage } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { farmSummary } from './farm-output.js';

/**
 * A page of the farms a caller limited to some farms may see, in the store's order
 * (creation time, then ID) and paged by the same kind of keyset, so page sizes and tokens
 * behave as for the whole list. The farms are a principal's list in the credentials file,
 * a handful: each is read by ID rather than filtering pages of every farm.
 */
async function grantedPage(ctx: OperationContext, granted: ReadonlySet<string>, request: PageRequest): Promise<Page<Farm>> {
  const found = await Promise.all([...granted].map((farmId) => ctx.store.getFarm(farmId)));
  const key = (f: Farm) => `${String(f.createdAt).padStart(16, '0')}:${f.farmId}`;
  const farms = found.filter((f): f is Farm => f !== undefined).sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const rest = request.after === undefined ? farms : farms.filter((f) => key(f) > request.after!);
  const items = rest.slice(0, request.limit);
  return { items, nextAfter: rest.length > request.limit ? key(items[items.length - 1]!) : undefined };
}

export const listFarms = defineOperation({
  name: 'ListFarms',
  method: 'GET',
  path: '/2023-10-12/farms',
  // principalId filters by Identity Center member; farmtally has no members, so it is accepted and ignored.
  input: structure({ ...paging, principalId: query(IdentityCenterPrincipalId) }),
  async handle(input, ctx) {
    const granted = ctx.grantedFarms;
    // Tokens of the two lists are scoped apart: one list's position means nothing in the other.
    const page =
      granted === '*'
        ? await listPage(ctx, 'ListFarms', input, (p) => ctx.store.listFarms(p))
        : await listPage(ctx, 'ListFarms:granted', input, (p) => grantedPage(ctx, granted, p));
    return { farms: page.items.map(farmSummary), nextToken: page.nextToken };
  },
});
