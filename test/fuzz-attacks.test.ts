// The attack hazards of `npm run fuzz` (test/fuzz/attacks.ts), briefly: cheap hostile clients
// (slow uploads, gzip bombs, /health floods, lone surrogate escapes) while honest requests go
// on beside them. Whatever they send: the server stays up within its memory, every answer is
// in the model's shape, the honest requests succeed within HONEST_WITHIN_MS, nothing of an
// attack is stored, and a lone surrogate is refused as a ValidationException naming its member.
// Bounded (TEST_LIMITS): a few seconds per case. Issue 16's defects 1 (a slow body held a
// batch slot) and 4 (a lone surrogate stored as U+FFFD) failed these before their fixes.
import { after, before, describe, test } from 'node:test';
import type fc from 'fast-check';
import { startFarmtally, type Farmtally } from './support/server.js';
import { attackCase, attackFixture, attackProperty, TEST_LIMITS, type AttackCase } from './fuzz/attacks.js';
import { checkProperty } from './fuzz/properties.js';
import { FUZZ_SERVER_ARGS, fuzzRunSettings, replayHint } from './fuzz/settings.js';
import { FuzzTarget } from './fuzz/target.js';

const FILE = 'test/fuzz-attacks.test.ts';
let ft: Farmtally;
let target: FuzzTarget;

before(async () => {
  ft = await startFarmtally({ args: FUZZ_SERVER_ARGS });
  target = new FuzzTarget(ft);
});
after(async () => ft.stop());

/**
 * Runs the attack property over `cases` on a farm of the test's own: an honest batch that a
 * failing case gave up on may still be committed later, and must not count in another test.
 */
async function attackRuns(cases: fc.Arbitrary<AttackCase>, runs: number): Promise<void> {
  const settings = fuzzRunSettings(runs);
  const fixture = await attackFixture(ft.client);
  await checkProperty(attackProperty(target, ft.client, fixture, cases), settings, replayHint(settings, FILE), false);
}

describe('fuzz: attacks beside honest requests', () => {
  test('slow uploads trickling from their first byte (read into memory, no batch slot): honest requests still succeed', async () => {
    await attackRuns(attackCase(['slow-body'], { ...TEST_LIMITS, slowBursts: ['none'] }), 2);
  });

  test('slow uploads past 1 MiB (once, each held a batch slot): an honest batch past 1 MiB still succeeds', async () => {
    await attackRuns(attackCase(['slow-body'], { ...TEST_LIMITS, slowConnections: { min: 4, max: 5 }, slowBursts: ['past-mib'] }), 1);
  });

  test('a gzip bomb (a few KB of gzip, hundreds of thousands of lines): refused or taken as nothing, honest requests still succeed', async () => {
    await attackRuns(attackCase(['gzip-bomb'], TEST_LIMITS), 2);
  });

  test('a /health flood: every answer ok or refused in the model shape, honest requests still succeed', async () => {
    await attackRuns(attackCase(['health-flood'], TEST_LIMITS), 2);
  });

  test('a lone surrogate escape in a JSON string member (API and NDJSON ingest) is refused as a ValidationException naming it; a valid pair is taken', async () => {
    await attackRuns(attackCase(['surrogate-escape'], TEST_LIMITS), 20);
  });
});
