// Every API operation farmtally serves. The wire layer makes one route of each.
import { createFarm } from './farms/create-farm.js';
import { deleteFarm } from './farms/delete-farm.js';
import { getFarm } from './farms/get-farm.js';
import { listFarms } from './farms/list-farms.js';
import { updateFarm } from './farms/update-farm.js';
import type { AnyOperation } from './operation.js';

export const OPERATIONS: readonly AnyOperation[] = [
  createFarm,
  getFarm,
  listFarms,
  updateFarm,
  deleteFarm,
];
