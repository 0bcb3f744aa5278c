import { farmIdInPath, jobIdInPath, queueIdInPath } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';
import { jobDetail } from './job-output.js';
import { requireJob } from './require-job.js';

export const getJob = defineOperation({
  name: 'GetJob',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}/jobs/{jobId}',
  input: structure({ farmId: farmIdInPath, queueId: queueIdInPath, jobId: jobIdInPath }),
  handle: async ({ farmId, queueId, jobId }, ctx) => jobDetail(await requireJob(ctx, farmId, queueId, jobId)),
});
