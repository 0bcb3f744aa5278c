import { audit } from '../support.js';
import type { QueueRead } from './queue-budget-state.js';

// A queue's settings (everything CreateQueue took besides its name and description) are
// kept as given in `details`; a budget action that was never set is the service's NONE.
// `blockedReason` is there only while the queue reads SCHEDULING_BLOCKED.
export const queueSummary = (q: QueueRead) => ({
  farmId: q.farmId,
  queueId: q.queueId,
  displayName: q.displayName,
  status: q.status,
  blockedReason: q.blockedReason,
  defaultBudgetAction: q.details.defaultBudgetAction ?? 'NONE',
  ...audit(q),
});

export const queueDetail = (q: QueueRead) => ({
  ...queueSummary(q),
  description: q.description,
  jobAttachmentSettings: q.details.jobAttachmentSettings,
  roleArn: q.details.roleArn,
  requiredFileSystemLocationNames: q.details.requiredFileSystemLocationNames,
  allowedStorageProfileIds: q.details.allowedStorageProfileIds,
  jobRunAsUser: q.details.jobRunAsUser,
  schedulingConfiguration: q.details.schedulingConfiguration,
});
