import { clientTokenHeader, Description, farmIdInPath, IamRoleArn, queueIdInPath, ResourceName } from '../common-shapes.js';
import { fieldValidationError, notFound, type FieldFailure } from '../errors.js';
import { defineOperation } from '../operation.js';
import { requireQueue } from '../support.js';
import { optional, structure } from '../validation/shapes.js';
import {
  AllowedStorageProfileIds, DefaultQueueBudgetAction, JobAttachmentSettings, JobRunAsUser, MAX_QUEUE_LIST_ENTRIES, RequiredFileSystemLocationNames,
  SchedulingConfiguration,
} from './queue-shapes.js';

/** The queue's list settings UpdateQueue changes by what it adds and removes, not as a whole. */
const LIST_SETTINGS = ['requiredFileSystemLocationNames', 'allowedStorageProfileIds'] as const;

/** Removed first, then added; an entry already there is not added twice, one not there is not removed. */
function applied(current: unknown, toAdd: readonly string[] | undefined, toRemove: readonly string[] | undefined): string[] {
  const kept = ((current as string[] | undefined) ?? []).filter((entry) => !toRemove?.includes(entry));
  for (const entry of toAdd ?? []) if (!kept.includes(entry)) kept.push(entry);
  return kept;
}

export const updateQueue = defineOperation({
  name: 'UpdateQueue',
  method: 'PATCH',
  path: '/2023-10-12/farms/{farmId}/queues/{queueId}',
  input: structure({
    farmId: farmIdInPath,
    queueId: queueIdInPath,
    // An update applied twice gives the same queue (the lists are sets), so a retry needs no token kept.
    clientToken: clientTokenHeader,
    displayName: optional(ResourceName),
    description: optional(Description),
    defaultBudgetAction: optional(DefaultQueueBudgetAction),
    jobAttachmentSettings: optional(JobAttachmentSettings),
    roleArn: optional(IamRoleArn),
    jobRunAsUser: optional(JobRunAsUser),
    requiredFileSystemLocationNamesToAdd: optional(RequiredFileSystemLocationNames),
    requiredFileSystemLocationNamesToRemove: optional(RequiredFileSystemLocationNames),
    allowedStorageProfileIdsToAdd: optional(AllowedStorageProfileIds),
    allowedStorageProfileIdsToRemove: optional(AllowedStorageProfileIds),
    schedulingConfiguration: optional(SchedulingConfiguration),
  }),
  async handle(input, ctx) {
    const { farmId, queueId, displayName, description } = input;
    const queue = await requireQueue(ctx, farmId, queueId);
    const { status: _status, ...stored } = queue;
    // Settings given replace the stored ones whole (schedulingConfiguration too, as the model says).
    const settings = Object.fromEntries(
      Object.entries({
        defaultBudgetAction: input.defaultBudgetAction,
        jobAttachmentSettings: input.jobAttachmentSettings,
        roleArn: input.roleArn,
        jobRunAsUser: input.jobRunAsUser,
        schedulingConfiguration: input.schedulingConfiguration,
      }).filter(([, v]) => v !== undefined),
    );
    const details = { ...queue.details, ...settings };
    const failures: FieldFailure[] = [];
    for (const setting of LIST_SETTINGS) {
      const toAdd = input[`${setting}ToAdd`];
      const toRemove = input[`${setting}ToRemove`];
      if (toAdd === undefined && toRemove === undefined) continue;
      const list = applied(details[setting], toAdd, toRemove);
      // The response's list holds at most this many: the update may not make it longer.
      if (list.length > MAX_QUEUE_LIST_ENTRIES) {
        failures.push({ name: `${setting}ToAdd`, message: `The queue would have ${list.length} ${setting}, more than ${MAX_QUEUE_LIST_ENTRIES}. Remove some with ${setting}ToRemove.` });
      }
      details[setting] = list;
    }
    if (failures.length) throw fieldValidationError(failures);
    const changes = Object.fromEntries(Object.entries({ displayName, description }).filter(([, v]) => v !== undefined));
    const updated = await ctx.store.putQueue({ ...stored, ...changes, details, updatedAt: ctx.now(), updatedBy: ctx.caller });
    if (!updated) throw notFound('queue', queueId); // deleted by another request in between
    return {};
  },
});
