import { newId } from '../../domain/resources.js';
import { clientTokenHeader, Description, farmIdInPath, IamRoleArn, ResourceName, Tags } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { idempotentCreate, requireFarm } from '../support.js';
import { optional, required, structure } from '../validation/shapes.js';
import {
  AllowedStorageProfileIds, DefaultQueueBudgetAction, JobAttachmentSettings, JobRunAsUser, RequiredFileSystemLocationNames, SchedulingConfiguration,
} from './queue-shapes.js';

export const createQueue = defineOperation({
  name: 'CreateQueue',
  method: 'POST',
  path: '/2023-10-12/farms/{farmId}/queues',
  input: structure({
    farmId: farmIdInPath,
    clientToken: clientTokenHeader,
    displayName: required(ResourceName),
    description: optional(Description),
    defaultBudgetAction: optional(DefaultQueueBudgetAction),
    jobAttachmentSettings: optional(JobAttachmentSettings),
    roleArn: optional(IamRoleArn),
    jobRunAsUser: optional(JobRunAsUser),
    requiredFileSystemLocationNames: optional(RequiredFileSystemLocationNames),
    allowedStorageProfileIds: optional(AllowedStorageProfileIds),
    tags: optional(Tags),
    schedulingConfiguration: optional(SchedulingConfiguration),
  }),
  async handle(input, ctx) {
    const { clientToken, ...request } = input;
    const { farmId, displayName, description, ...details } = request;
    await requireFarm(ctx, farmId);
    const queueId = await idempotentCreate(ctx, `CreateQueue:${farmId}`, clientToken, request, async () => {
      const queueId = newId('queue');
      await ctx.store.createQueue({ farmId, queueId, displayName, description, details, createdAt: ctx.now(), createdBy: ctx.caller });
      return queueId;
    });
    return { queueId };
  },
});
