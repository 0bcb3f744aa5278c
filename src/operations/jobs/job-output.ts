import type { Job } from '../../domain/resources.js';
import { iso } from '../support.js';

// Jobs are learned from session records, which carry no submission details. The members
// the model requires get the values a finished submission has on the service: the job was
// created (CREATE_COMPLETE) at the default priority (50) by the user the records name.
const JOB_PRIORITY = 50;
const JOB_LIFECYCLE_MESSAGE = 'Job known from ingested session records; farmtally keeps no submission details.';

export const jobSummary = (j: Job) => ({
  jobId: j.jobId,
  name: j.name,
  lifecycleStatus: 'CREATE_COMPLETE',
  lifecycleStatusMessage: JOB_LIFECYCLE_MESSAGE,
  priority: JOB_PRIORITY,
  createdAt: iso(j.createdAt),
  createdBy: j.userId,
  updatedAt: iso(j.updatedAt),
  startedAt: iso(j.startedAt),
  endedAt: iso(j.endedAt),
});

/** GetJob has no member farmtally knows beyond the summary's. */
export const jobDetail = jobSummary;
