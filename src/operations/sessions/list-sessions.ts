import { farmIdInPath, jobIdInPath, paging, queueIdInPath } from '../common-shapes.js';
import { requireJob } from '../jobs/require-job.js';
import { defineOperation } from '../operation.js';
import { listPage } from '../support.js';
import { structure } from '../validation/shapes.js';
import { sessionSummary } from './session-output.js';

export const listSessions = defineOperation({
  name: 'ListSessions',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}/jobs/{jobId}/sessions',
  input: structure({ farmId: farmIdInPath, queueId: queueIdInPath, jobId: jobIdInPath, ...paging }),
  async handle(input, ctx) {
    const { farmId, queueId, jobId } = input;
    await requireJob(ctx, farmId, queueId, jobId);
    const scope = `ListSessions:${farmId}:${queueId}:${jobId}`;
    const page = await listPage(ctx, scope, input, (p) => ctx.store.listSessions(farmId, queueId, jobId, p));
    return { sessions: page.items.map(sessionSummary), nextToken: page.nextToken };
  },
});
