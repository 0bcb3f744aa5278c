// A bounded load run (the harness of `npm run load`, bench/load): 10 clients for 4 s ingest
// distinct batches, list, and aggregate against one server. Correctness, not speed: every
// farm stores exactly the sessions acknowledged as created, and nothing fails but throttling
// (one running aggregation per farm).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadProblems, runLoad, type LoadResult } from '../bench/load/run-load.js';
import { startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
let result: LoadResult;

before(async () => {
  ft = await startFarmtally();
  result = await runLoad({ url: ft.url, clients: 10, durationMs: 4000, farms: 3, seed: 9 });
});
after(async () => ft.stop());

describe('load: concurrent clients', () => {
  test('every farm stores exactly the sessions acknowledged as created', () => {
    assert.ok(result.acknowledged > 0, 'no batch was acknowledged at all');
    assert.ok(result.summaries.some((s) => s.operation === 'GetSessionsStatisticsAggregation' && s.calls > 0), 'no aggregation ran');
    for (const farm of result.farms) assert.equal(farm.stored, farm.acknowledged, `farm ${farm.farmId}`);
  });

  test('nothing fails but throttling', () => {
    assert.deepEqual(loadProblems(result), []);
  });
});
