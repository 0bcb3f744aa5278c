// Property-based fuzz of every API operation (src/operations/registry.ts) through raw HTTP:
// valid and malformed path parameters, query strings, headers and bodies. Whatever is sent,
// the answer is never a 5xx, an error comes in the model's shape, and the server stays up
// within its memory bound. Seeded (test/fuzz/settings.ts): FUZZ_SEED and FUZZ_RUNS replay or
// widen a run. The hazards in test/fuzz/framing.ts are mixed in, and checked one by one too.
import fc from 'fast-check';
import { after, before, describe, test } from 'node:test';
import { startFarmtally, type Farmtally } from './support/server.js';
import { apiRequest, invalidUtf8Request, JSON_OPERATIONS, loneSurrogateRequest } from './fuzz/api-requests.js';
import { answerProblems } from './fuzz/answer-checks.js';
import { apiFixture, type ApiFixture } from './fuzz/fixture.js';
import { QUICK_HAZARDS } from './fuzz/framing.js';
import { apiProperty, checkProperty, stalledProperty } from './fuzz/properties.js';
import { NoAnswer } from './fuzz/raw-http.js';
import { sdkAggregationProperty } from './fuzz/sdk-aggregations.js';
import { FUZZ_SERVER_ARGS, fuzzRunSettings, replayHint } from './fuzz/settings.js';
import { FuzzFailure, FuzzTarget } from './fuzz/target.js';

const FILE = 'test/fuzz-api.test.ts';
/** How long a stalled upload may hold its connection before the server lets go: a few times the fuzz server's --body-timeout. */
const STALL_WAIT_MS = Number(process.env.FUZZ_STALL_MS ?? 12_000);
let ft: Farmtally;
let fixture: ApiFixture;
let target: FuzzTarget;

before(async () => {
  ft = await startFarmtally({ args: FUZZ_SERVER_ARGS });
  fixture = await apiFixture(ft.url, ft.client);
  target = new FuzzTarget(ft);
});
after(async () => ft.stop());

describe('fuzz: every API operation', () => {
  test('random and malformed requests get answers in the model shape, never a 5xx; the server stays up within its memory', async () => {
    const settings = fuzzRunSettings(250);
    await checkProperty(apiProperty(target, fixture, QUICK_HAZARDS), settings, replayHint(settings, FILE));
  });

  test('valid random aggregations through the SDK complete, and count the sessions that overlap their range', async () => {
    const settings = fuzzRunSettings(25);
    await checkProperty(sdkAggregationProperty(ft.client, fixture), settings, replayHint(settings, FILE));
  });

  // Each quick hazard alone: refused before any route (Node's parser, the router), in the model's shape.
  for (const hazard of QUICK_HAZARDS.allowed) {
    test(`hazard ${hazard}: answered in the model shape, never a 5xx`, async () => {
      const settings = fuzzRunSettings(40);
      await checkProperty(apiProperty(target, fixture, { allowed: [], forced: hazard }), settings, replayHint(settings, FILE), false);
    });
  }

  test('a body with bytes that are not UTF-8 in a string member is refused (ValidationException)', async () => {
    const settings = fuzzRunSettings(20);
    const refused = fc.asyncProperty(invalidUtf8Request(fixture), async (request) => {
      const answer = await target.send(request);
      const problems = answer instanceof NoAnswer ? [`no answer: ${answer.message}`] : answerProblems(request.raw.method, answer);
      if (!(answer instanceof NoAnswer) && answer.headers['x-amzn-errortype'] !== 'ValidationException') problems.push(`answered ${answer.status} ${answer.headers['x-amzn-errortype'] ?? ''}, not ValidationException`);
      if (problems.length) throw new FuzzFailure(problems, request, answer);
    });
    await checkProperty(refused, settings, replayHint(settings, FILE), false);
  });

  test('a body with a lone surrogate escape (\\ud800) in a string member is refused naming that member (ValidationException), not stored as U+FFFD', async () => {
    const settings = fuzzRunSettings(20);
    const refused = fc.asyncProperty(loneSurrogateRequest(fixture), async (request) => {
      const answer = await target.send(request);
      const problems = answer instanceof NoAnswer ? [`no answer: ${answer.message}`] : answerProblems(request.raw.method, answer);
      if (!(answer instanceof NoAnswer)) {
        if (answer.headers['x-amzn-errortype'] !== 'ValidationException') problems.push(`answered ${answer.status} ${answer.headers['x-amzn-errortype'] ?? ''}, not ValidationException`);
        else {
          const fields = ((answer.json as { fieldList?: { name: string; message: string }[] }).fieldList ?? []).filter((f) => /lone surrogate/.test(f.message));
          if (fields.length !== 1 || !request.notes.some((n) => n.endsWith(` in '${fields[0]!.name}'`))) problems.push(`the fieldList does not name the member with the escape: ${answer.text.slice(0, 300)}`);
        }
      }
      if (problems.length) throw new FuzzFailure(problems, request, answer);
    });
    await checkProperty(refused, settings, replayHint(settings, FILE), false);
  });

  test('a request whose body stops short is let go (refused or closed), not acted on', async () => {
    const settings = fuzzRunSettings(1);
    const withBodies = JSON_OPERATIONS.filter((op) => op.method === 'POST' || op.method === 'PATCH');
    const stalled = apiRequest(fixture, { allowed: [], forced: 'stalled-body' }, withBodies);
    await checkProperty(stalledProperty(target, stalled, STALL_WAIT_MS), settings, replayHint(settings, FILE), false);
  });
});
