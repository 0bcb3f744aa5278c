import type { Job } from '../../domain/resources.js';
import type { OperationContext } from '../context.js';
import { notFound } from '../errors.js';
import { requireQueue } from '../support.js';

/** The job, or ResourceNotFoundException naming the farm, queue or job, whichever is missing first. */
export async function requireJob(ctx: OperationContext, farmId: string, queueId: string, jobId: string): Promise<Job> {
  await requireQueue(ctx, farmId, queueId);
  const job = await ctx.store.getJob(farmId, queueId, jobId);
  if (!job) throw notFound('job', jobId, `Job ${jobId} does not exist in queue ${queueId}. Jobs appear when session records naming them are ingested; list them with ListJobs.`);
  return job;
}
