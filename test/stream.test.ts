// A bounded streaming run (the harness of `npm run bench:stream`, bench/stream): 4 clients for
// 3 s post a feed of 1-50 record batches (new sessions, closes of running ones, re-sends) into
// two farms preloaded through the bulk path. Correctness, not speed: every batch's counts are
// the expected ones, and each farm stores exactly what was acknowledged, counted both ways the
// script counts (an aggregation while the server runs, the data file once it has stopped).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runStream, type StreamResult } from '../bench/stream/run-stream.js';
import { storedByAggregation, storedInDataFile, streamProblems, type Stored } from '../bench/stream/stored.js';
import { startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
let result: StreamResult;
let byAggregation: Stored;
let inDataFile: Stored;

before(async () => {
  ft = await startFarmtally();
  result = await runStream({
    url: ft.url,
    sdk: ft.client,
    farms: 2,
    sessions: 2000,
    clients: 4,
    durationMs: 3000,
    mix: { recordsMin: 1, recordsMax: 50, closeShare: 0.4, resendShare: 0.05 },
    seed: 3,
    serverPid: ft.process.pid,
  });
  byAggregation = await storedByAggregation(ft.client, result.farms);
  await ft.stop(false);
  inDataFile = await storedInDataFile(ft.dataDir, result.farms.map((f) => f.farmId));
});
after(() => rmSync(ft.dataDir, { recursive: true, force: true }));

describe('stream: a farm feed of small batches', () => {
  test('the feed had new sessions, closes and re-sends acknowledged, and the server measured', () => {
    const { kinds, batches } = result.tally;
    assert.ok(batches > 0, 'no batch was acknowledged');
    assert.ok(kinds.newRunning > 0 && kinds.newFinished > 0 && kinds.close > 0 && kinds.resend > 0, JSON.stringify(kinds));
    assert.ok(result.server && result.server.cpuSeconds > 0, 'no CPU time read from /proc');
  });

  test('every answer held the expected counts, and each farm stores exactly what was acknowledged', () => {
    assert.deepEqual(streamProblems(result, inDataFile), []);
    assert.deepEqual(streamProblems(result, byAggregation), []);
    for (const farm of inDataFile.farms) assert.ok(farm.running! > 3, `farm ${farm.farmId}: ${farm.running} running sessions, only the preload's`);
  });

  test('the check tells a session missing or a running one left open', () => {
    const [first, ...rest] = inDataFile.farms;
    const short = { ...inDataFile, farms: [{ ...first!, sessions: first!.sessions - 1 }, ...rest] };
    assert.match(streamProblems(result, short).join('\n'), /stores \d+ sessions, but/);
    const open = { ...inDataFile, farms: [{ ...first!, running: first!.running! + 1 }, ...rest] };
    assert.match(streamProblems(result, open).join('\n'), /running sessions, but/);
  });
});
