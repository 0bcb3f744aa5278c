import { farmIdInPath, IdentityCenterPrincipalId, paging, queueIdInPath } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { listPage, requireQueue } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { jobSummary } from './job-output.js';

export const listJobs = defineOperation({
  name: 'ListJobs',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}/jobs',
  // principalId filters by Identity Center member; farmtally has no members, so it is accepted and ignored.
  input: structure({ farmId: farmIdInPath, queueId: queueIdInPath, ...paging, principalId: query(IdentityCenterPrincipalId) }),
  async handle(input, ctx) {
    const { farmId, queueId } = input;
    await requireQueue(ctx, farmId, queueId);
    const page = await listPage(ctx, `ListJobs:${farmId}:${queueId}`, input, (p) => ctx.store.listJobs(farmId, queueId, p));
    return { jobs: page.items.map(jobSummary), nextToken: page.nextToken };
  },
});
