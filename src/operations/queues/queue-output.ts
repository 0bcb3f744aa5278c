import type { QueueWithStatus } from '../../store/store.js';
import { audit } from '../support.js';

// A queue's settings (everything CreateQueue took besides its name and description) are
// kept as given in `details`; a budget action that was never set is the service's NONE.
export const queueSummary = (q: QueueWithStatus) => ({
  farmId: q.farmId,
  queueId: q.queueId,
  displayName: q.displayName,
  status: q.status,
  defaultBudgetAction: q.details.defaultBudgetAction ?? 'NONE',
  ...audit(q),
});

export const queueDetail = (q: QueueWithStatus) => ({
  ...queueSummary(q),
  description: q.description,
  jobAttachmentSettings: q.details.jobAttachmentSettings,
  roleArn: q.details.roleArn,
  requiredFileSystemLocationNames: q.details.requiredFileSystemLocationNames,
  allowedStorageProfileIds: q.details.allowedStorageProfileIds,
  jobRunAsUser: q.details.jobRunAsUser,
  schedulingConfiguration: q.details.schedulingConfiguration,
});
