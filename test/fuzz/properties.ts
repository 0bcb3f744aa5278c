// The fuzz properties, shared by `npm test` (a bounded number of runs) and `npm run fuzz`
// (rounds for a duration): for any generated request, the answer keeps the promises of
// answer-checks.ts and the server stays up within its memory bound; for any ingest batch,
// in addition, a refused batch wrote nothing (the farm's session count is unchanged), an
// accepted one wrote exactly what it says it created, and valid and invalid batches get the
// verdict they must.
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import fc from 'fast-check';
import { apiRequest } from './api-requests.js';
import { answerProblems } from './answer-checks.js';
import { countSessions, type ApiFixture, type IngestFixture } from './fixture.js';
import type { FuzzRequest, HazardChoice } from './framing.js';
import type { IngestCase } from './ingest-requests.js';
import { NoAnswer } from './raw-http.js';
import { FuzzFailure, residentMiB, type Answer, type FuzzTarget } from './target.js';
import type { FuzzRunSettings } from './settings.js';

/**
 * Once the server has died, or its memory is past the bound (rarely given back), every case
 * fails alike: the case that did it is the one to report, so later cases (and shrinking's
 * attempts) are skipped rather than failed.
 */
function skipIfDead(target: FuzzTarget): void {
  fc.pre(target.alive() && !target.overBound());
}

/** The server's log, when the answer was a server error: it names the cause. */
function serverSide(target: FuzzTarget, answer: Answer | undefined): string[] {
  return answer instanceof NoAnswer || (answer && answer.status >= 500) ? [target.logTail()] : [];
}

function problemsOf(method: string, answer: Answer, hungUp: boolean): string[] {
  if (answer instanceof NoAnswer) return hungUp ? [] : [`no answer: ${answer.message}`];
  return answerProblems(method, answer);
}

export function apiProperty(target: FuzzTarget, fixture: ApiFixture, hazards: HazardChoice, answerWithinMs?: number) {
  return fc.asyncProperty(apiRequest(fixture, hazards), async (request) => {
    skipIfDead(target);
    const answer = await target.send(request, answerWithinMs);
    const problems = [...problemsOf(request.raw.method, answer, request.raw.endAfterBody), ...(await target.health())];
    if (problems.length) throw new FuzzFailure(problems, request, answer, serverSide(target, answer));
  });
}

interface IngestCounts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  batchId: string;
}

/** What an ingest answer and the count before and after it say about the batch, against what the case must get. */
export function ingestProblems(c: IngestCase, answer: Answer, before: number, after: number): string[] {
  if (answer instanceof NoAnswer) return [`no answer: ${answer.message}`];
  const problems = answerProblems('POST', answer);
  const grown = after - before;
  if (answer.status === 200) {
    const counts = answer.json as IngestCounts;
    if (c.verdict === 'invalid') problems.push('a batch that must be refused was accepted');
    if (![counts?.received, counts?.created, counts?.updated, counts?.unchanged].every(Number.isSafeInteger)) problems.push(`the counts are not whole numbers: ${answer.text}`);
    else {
      if (counts.created + counts.updated + counts.unchanged !== counts.received) problems.push(`created + updated + unchanged is not received: ${answer.text}`);
      if (typeof counts.batchId !== 'string' || !/^[1-9][0-9]*$/.test(counts.batchId)) problems.push(`the answer has no batchId: ${answer.text}`);
      if (c.records !== undefined && counts.received !== c.records) problems.push(`received ${counts.received}, but the body holds ${c.records} records`);
      if (c.timeSafe ? grown !== counts.created : grown > counts.created) problems.push(`the farm's session count grew by ${grown}, but the answer says ${counts.created} created`);
    }
  } else if (answer.status >= 400) {
    // Valid records in a request that breaks HTTP itself (a hazard) are rightly refused.
    if (c.verdict === 'valid' && c.request.hazards.length === 0) problems.push(`a valid batch was refused (${answer.status})`);
    if (grown !== 0) problems.push(`a refused batch changed the farm's session count by ${grown} (from ${before} to ${after})`);
  }
  return problems;
}

/** The ingest property over `cases` (ingestCase, or a narrower generator); `count` is the farm's session count before the first case. */
export function ingestProperty(target: FuzzTarget, client: DeadlineClient, fixture: IngestFixture, cases: fc.Arbitrary<IngestCase>, count: number, trace?: (line: string) => void) {
  const state = { count };
  return fc.asyncProperty(cases, async (c) => {
    skipIfDead(target);
    const answer = await target.send(c.request);
    const health = await target.health();
    if (health.length) throw new FuzzFailure(health, c.request, answer);
    const before = state.count;
    let after: number;
    try {
      after = (await countSessions(client, fixture.farmId, fixture.queueIds)).count;
    } catch (err) {
      throw new FuzzFailure([`the farm's sessions could not be counted after the case: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`], c.request, answer, [target.logTail()]);
    }
    state.count = after;
    trace?.(`${answer instanceof NoAnswer ? 'no answer' : `${answer.status} ${answer.text.slice(0, 80)}`}; sessions ${before} -> ${after}; ${Math.round(target.beforeMiB)} -> ${Math.round(residentMiB(target.pid))} MiB resident; ${c.verdict}; ${c.request.notes.join('; ').slice(0, 160)}`);
    const problems = ingestProblems(c, answer, before, after);
    const verdict = `the batch ${c.verdict === 'valid' ? 'is valid' : c.verdict === 'invalid' ? 'must be refused' : 'may go either way'}`;
    if (problems.length) throw new FuzzFailure(problems, c.request, answer, [verdict, ...serverSide(target, answer)]);
  });
}

/**
 * A client that stops sending mid-body must not hold its connection for long: the server
 * answers with an error in the model's shape, or closes the connection, within `waitMs`;
 * and (ingest) nothing of the batch is written.
 */
export function stalledProperty(target: FuzzTarget, requests: fc.Arbitrary<FuzzRequest>, waitMs: number, count?: () => Promise<number>) {
  return fc.asyncProperty(requests, async (request) => {
    skipIfDead(target);
    const before = count ? await count() : 0;
    const answer = await target.send(request, waitMs);
    const problems: string[] = [];
    if (answer instanceof NoAnswer) {
      if (answer.timedOut) problems.push(`the server still held the connection after ${waitMs} ms, waiting for a body that never comes`);
    } else {
      // A route that reads no body (GET, DELETE) may answer without waiting for it; one that reads it must not act on part of it.
      const readsBody = request.raw.method === 'POST' || request.raw.method === 'PATCH' || request.raw.method === 'PUT';
      if (readsBody && answer.status < 400) problems.push(`a body that never arrived whole was answered ${answer.status}`);
      problems.push(...answerProblems(request.raw.method, answer));
    }
    problems.push(...(await target.health()));
    const after = count ? await count() : 0;
    if (after !== before) problems.push(`the farm's session count changed by ${after - before}`);
    if (problems.length) throw new FuzzFailure(problems, request, answer, serverSide(target, answer));
  });
}

/**
 * Runs a property with the settings' seed and runs; a failure's message ends with how to
 * replay it. `shrink: false` reports the first failing case as found (for slow cases, and for
 * the todo tests of known failures, which need no smaller example).
 */
export async function checkProperty<T>(property: fc.IAsyncProperty<T>, settings: FuzzRunSettings, replay: string, shrink = true): Promise<void> {
  try {
    await fc.assert(property, {
      seed: settings.seed,
      numRuns: settings.runs,
      endOnFailure: !shrink,
      // Shrinking replays requests against the live server: bounded, so a hang does not stall a run for long.
      interruptAfterTimeLimit: Number(process.env.FUZZ_TIME_LIMIT_MS ?? 60_000),
      includeErrorInReport: true,
    });
  } catch (err) {
    if (err instanceof Error) err.message = `${err.message}\n\nseed ${settings.seed}, ${settings.runs} runs; ${replay}`;
    throw err;
  }
}
