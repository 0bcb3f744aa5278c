import { CostScaleFactor, Description, farmIdInPath, ResourceName } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { requireFarm } from '../support.js';
import { optional, structure } from '../validation/shapes.js';

export const updateFarm = defineOperation({
  name: 'UpdateFarm',
  method: 'PATCH',
  path: '/2023-10-12/farms/{farmId}',
  input: structure({
    farmId: farmIdInPath,
    displayName: optional(ResourceName),
    description: optional(Description),
    costScaleFactor: optional(CostScaleFactor),
  }),
  async handle(input, ctx) {
    // (Rest patterns in the parameter list defeat TypeScript's inference of the input type.)
    const { farmId, ...changes } = input;
    const farm = await requireFarm(ctx, farmId);
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    await ctx.store.putFarm({ ...farm, ...defined, updatedAt: ctx.now(), updatedBy: ctx.caller });
    return {};
  },
});
