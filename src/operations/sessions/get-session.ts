import { farmIdInPath, jobIdInPath, queueIdInPath, sessionIdInPath } from '../common-shapes.js';
import { notFound } from '../errors.js';
import { requireJob } from '../jobs/require-job.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';
import { sessionDetail } from './session-output.js';

export const getSession = defineOperation({
  name: 'GetSession',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}/jobs/{jobId}/sessions/{sessionId}',
  input: structure({ farmId: farmIdInPath, queueId: queueIdInPath, jobId: jobIdInPath, sessionId: sessionIdInPath }),
  async handle({ farmId, queueId, jobId, sessionId }, ctx) {
    await requireJob(ctx, farmId, queueId, jobId);
    const session = await ctx.store.getSession(farmId, queueId, jobId, sessionId);
    if (!session) throw notFound('session', sessionId, `Session ${sessionId} does not exist in job ${jobId}. List its sessions with ListSessions.`);
    return sessionDetail(session);
  },
});
