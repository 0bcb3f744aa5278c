// A bounded load run (the harness of `npm run load`, bench/load): 10 clients for 4 s ingest
// distinct batches, list, and aggregate against one server. Correctness, not speed: every
// farm stores exactly the sessions acknowledged as created, and nothing fails but throttling
// (one running aggregation per farm). Then a short run with attackers beside the clients
// (`npm run load -- --attackers N`), the cheap kinds: the attackers' requests are tallied apart
// and the honest farms still store exactly what was acknowledged (the speeds, and honest
// calls refused under attack, are what `npm run load` reports, not what this asserts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AttackKind } from '../bench/load/attackers.js';
import { loadProblems, runLoad, type LoadResult } from '../bench/load/run-load.js';
import { startFarmtally, type Farmtally } from './support/server.js';

/** The attacks that cost the server little today (the gzip bomb costs seconds of CPU: `npm run load` runs it). */
const CHEAP_ATTACKS: AttackKind[] = ['slow-body', 'slow-large', 'health-flood', 'surrogates'];

let ft: Farmtally;
let result: LoadResult;
let attacked: LoadResult;

before(async () => {
  ft = await startFarmtally();
  result = await runLoad({ url: ft.url, clients: 10, durationMs: 4000, farms: 3, seed: 9 });
  attacked = await runLoad({ url: ft.url, clients: 4, durationMs: 2000, farms: 2, seed: 10, attack: { attackers: CHEAP_ATTACKS.length, kinds: CHEAP_ATTACKS, connections: 1 } });
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

  test('with attackers: each kind sent requests, tallied apart; the honest farms store exactly what was acknowledged', () => {
    assert.deepEqual(attacked.attacks?.summaries.map((s) => s.kind), CHEAP_ATTACKS);
    for (const s of attacked.attacks!.summaries) assert.ok(s.requests > 0, `${s.kind} sent nothing`);
    assert.equal(attacked.farms.length, 2, 'the attackers\' farm is not among the checked ones');
    assert.ok(attacked.acknowledged > 0, 'no honest batch was acknowledged');
    for (const farm of attacked.farms) assert.equal(farm.stored, farm.acknowledged, `farm ${farm.farmId}`);
  });
});
