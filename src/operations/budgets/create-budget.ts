import { newId } from '../../domain/resources.js';
import { clientTokenHeader, Description, farmIdInPath, ResourceName, Tags } from '../common-shapes.js';
import { notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { idempotentCreate, requireFarm } from '../support.js';
import { optional, required, structure } from '../validation/shapes.js';
import { BudgetActionsToAdd, BudgetSchedule, ConsumedUsageLimit, scheduleFailures, storedSchedule, UsageTrackingResource, usageTrackingFailures } from './budget-shapes.js';

export const createBudget = defineOperation({
  name: 'CreateBudget',
  method: 'POST',
  path: '/2023-10-12/farms/{farmId}/budgets',
  input: structure({
    farmId: farmIdInPath,
    clientToken: clientTokenHeader,
    displayName: required(ResourceName),
    description: optional(Description),
    usageTrackingResource: required(UsageTrackingResource),
    approximateDollarLimit: required(ConsumedUsageLimit),
    actions: required(BudgetActionsToAdd),
    schedule: required(BudgetSchedule),
    tags: optional(Tags),
  }),
  check: (input) => [...usageTrackingFailures(input.usageTrackingResource, input.farmId), ...scheduleFailures(input.schedule)],
  async handle(input, ctx) {
    const { clientToken, ...request } = input;
    const { farmId, displayName, description, usageTrackingResource, approximateDollarLimit, actions, schedule, tags } = request;
    await requireFarm(ctx, farmId);
    // The union holds exactly one member (validated): a queue, a fleet, a user or (none) the farm, checked to be this one.
    const { queueId, fleetId, userId } = usageTrackingResource;
    const budgetId = await idempotentCreate(ctx, `CreateBudget:${farmId}`, clientToken, request, async () => {
      const budgetId = newId('budget');
      const outcome = await ctx.store.createBudget({
        farmId, budgetId, displayName, description, ...(queueId !== undefined && { queueId }), ...(fleetId !== undefined && { fleetId }), ...(userId !== undefined && { userId }), approximateDollarLimit, actions,
        ...storedSchedule(schedule), status: 'ACTIVE', tags, createdAt: ctx.now(), createdBy: ctx.caller,
      });
      if (outcome === 'no-queue') throw notFound('queue', queueId!, `Queue ${queueId} (usageTrackingResource.queueId) does not exist in farm ${farmId}. List its queues with ListQueues.`);
      if (outcome === 'no-fleet') throw notFound('fleet', fleetId!, `Fleet ${fleetId} (usageTrackingResource.fleetId) does not exist in farm ${farmId}. List its fleets with ListFleets.`);
      return budgetId;
    });
    return { budgetId };
  },
});
