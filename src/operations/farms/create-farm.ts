import { newId } from '../../domain/resources.js';
import { clientTokenHeader, CostScaleFactor, Description, KmsKeyArn, ResourceName, Tags } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { idempotentCreate } from '../support.js';
import { optional, required, structure } from '../validation/shapes.js';

export const createFarm = defineOperation({
  name: 'CreateFarm',
  method: 'POST',
  path: '/2023-10-12/farms',
  input: structure({
    clientToken: clientTokenHeader,
    displayName: required(ResourceName),
    description: optional(Description),
    kmsKeyArn: optional(KmsKeyArn),
    costScaleFactor: optional(CostScaleFactor),
    tags: optional(Tags),
  }),
  async handle(input, ctx) {
    const { clientToken, ...request } = input;
    const farmId = await idempotentCreate(ctx, 'CreateFarm', clientToken, request, async () => {
      const farmId = newId('farm');
      await ctx.store.createFarm({ farmId, ...request, costScaleFactor: request.costScaleFactor ?? 1, createdAt: ctx.now(), createdBy: ctx.caller });
      return farmId;
    });
    return { farmId };
  },
});
