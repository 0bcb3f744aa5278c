import { farmIdInPath } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { requireFarm } from '../support.js';
import { structure } from '../validation/shapes.js';
import { farmDetail } from './farm-output.js';

export const getFarm = defineOperation({
  name: 'GetFarm',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}',
  input: structure({ farmId: farmIdInPath }),
  handle: async ({ farmId }, ctx) => farmDetail(await requireFarm(ctx, farmId)),
});
