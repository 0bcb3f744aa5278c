// The attack hazards of issue 16: cheap hostile clients (test/support/hostile-clients.ts, plain
// node:http, from loopback addresses of their own) sent while honest requests go on beside
// them. Unlike the framing hazards (framing.ts), which change one request, an attack is a
// case of its own: the attack starts, honest requests are sent while it runs, then it ends.
// The property (attackProperty): the server never crashes and stays within its memory bound;
// every answer, the attackers' included, is in the model's shape (never a 5xx); the honest
// requests succeed, each within HONEST_WITHIN_MS; nothing of an attack is stored (the farm's
// session count grows by what the honest batches created, no more); and a lone surrogate
// escape is refused as a ValidationException naming its member, while a valid pair is taken.
import { setMaxListeners } from 'node:events';
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import fc from 'fast-check';
import { answerProblems } from './answer-checks.js';
import { countSessions } from './fixture.js';
import type { RawHttpResponse } from './raw-http.js';
import { FuzzFailure, residentMiB, type FuzzTarget } from './target.js';
import { farmWithParents } from '../support/session-records.js';
import {
  flood, gzipBomb, hostileSourceAddress, jsonWithEscape, LONE_SURROGATE_ESCAPES, outcomeKind, recordLine, recordsOfSize, sendHostile, slowUpload, type HostileAnswer, type HostileOutcome,
} from '../support/hostile-clients.js';

export const ATTACKS = {
  'slow-body':
    'ingest uploads that trickle a few bytes at a time, 1 to 6 at once, from the first byte or after a burst past 1 MiB (so each is staged and takes a batch slot), held a few seconds while honest batches (one past 1 MiB) are sent',
  'gzip-bomb': 'a few KB of gzip inflating to hundreds of thousands of `{}` lines (all invalid) or millions of blank lines, 1 to 3 at once, while honest requests are sent',
  'health-flood': 'GET /health in 5 to 50 tight loops on keep-alive connections for up to a few seconds, while honest requests are sent',
  'surrogate-escape':
    'a lone surrogate escape (\\ud800, \\udc00, a low before a high...) in a JSON string member of CreateFarm, UpdateFarm, CreateQueue or an NDJSON record: refused as a ValidationException naming the member; a valid pair (\\ud83d\\ude00) is taken and read back',
} as const;
export type Attack = keyof typeof ATTACKS;
export const ALL_ATTACKS = Object.keys(ATTACKS) as Attack[];

/** How long an honest request beside an attack may take: the attack must not starve it. */
export const HONEST_WITHIN_MS = Number(process.env.FUZZ_HONEST_MS ?? 5_000);
/** How long an attacker's request that is not held on purpose (a bomb, an escape, a /health) may wait for its answer. */
const ATTACK_ANSWER_MS = Number(process.env.FUZZ_ANSWER_MS ?? 10_000);

/** How big the attacks may get: short in `npm test`, larger in `npm run fuzz`. */
export interface AttackLimits {
  slowConnections: { min: number; max: number };
  /** How slow uploads start: trickling from the first byte, or after a burst past 1 MiB. */
  slowBursts: readonly ('none' | 'past-mib')[];
  maxHoldMs: number;
  maxBombLines: number;
  maxBombs: number;
  maxFloodMs: number;
}

export const RUN_LIMITS: AttackLimits = { slowConnections: { min: 1, max: 6 }, slowBursts: ['none', 'past-mib'], maxHoldMs: 8000, maxBombLines: 1_000_000, maxBombs: 3, maxFloodMs: 3000 };
export const TEST_LIMITS: AttackLimits = { slowConnections: { min: 1, max: 3 }, slowBursts: ['none', 'past-mib'], maxHoldMs: 3000, maxBombLines: 300_000, maxBombs: 1, maxFloodMs: 1000 };

export interface AttackFixture {
  farmId: string;
  queueIds: string[];
  queueId: string;
  fleetId: string;
}

/** A farm of its own for the attack cases: the other properties' session counts stay theirs. */
export async function attackFixture(client: DeadlineClient): Promise<AttackFixture> {
  const farm = await farmWithParents(client, 'fuzz attacks');
  return { ...farm, queueIds: [farm.queueId] };
}

type SurrogateTarget = 'CreateFarm' | 'UpdateFarm' | 'CreateQueue' | 'IngestSessions';

export type AttackCase =
  | { kind: 'slow-body'; connections: number; burst: 'none' | 'past-mib'; holdMs: number; tickMs: number; bytesPerTick: number }
  | { kind: 'gzip-bomb'; bombs: number; lines: number; line: '{}' | '' }
  | { kind: 'health-flood'; loops: number; floodMs: number }
  | { kind: 'surrogate-escape'; target: SurrogateTarget; member: string; escape: string; valid: boolean; before: string; after: string };

const VALID_PAIRS = ['\\ud83d\\ude00', '\\uD83D\\uDE00', '\\udbff\\udfff'];
const MEMBERS: Record<SurrogateTarget, readonly string[]> = {
  CreateFarm: ['displayName', 'description'],
  UpdateFarm: ['displayName', 'description'],
  CreateQueue: ['displayName', 'description'],
  IngestSessions: ['jobName', 'userId'],
};

function described(c: AttackCase): AttackCase {
  const text = Object.entries(c).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
  Object.defineProperty(c, fc.toStringMethod, { value: () => text, enumerable: false });
  return c;
}

/** Attack cases of the given kinds, within the limits. */
export function attackCase(attacks: readonly Attack[], limits: AttackLimits): fc.Arbitrary<AttackCase> {
  const byKind: Record<Attack, fc.Arbitrary<AttackCase>> = {
    'slow-body': fc.record({
      kind: fc.constant('slow-body' as const),
      connections: fc.integer(limits.slowConnections),
      burst: fc.constantFrom(...limits.slowBursts),
      holdMs: fc.integer({ min: Math.min(1500, limits.maxHoldMs), max: limits.maxHoldMs }),
      tickMs: fc.integer({ min: 100, max: 1000 }),
      bytesPerTick: fc.integer({ min: 1, max: 16 }),
    }),
    'gzip-bomb': fc.oneof(
      fc.record({ kind: fc.constant('gzip-bomb' as const), bombs: fc.integer({ min: 1, max: limits.maxBombs }), lines: fc.integer({ min: Math.min(50_000, limits.maxBombLines), max: limits.maxBombLines }), line: fc.constant('{}' as const) }),
      fc.record({ kind: fc.constant('gzip-bomb' as const), bombs: fc.integer({ min: 1, max: limits.maxBombs }), lines: fc.integer({ min: 1_000_000, max: 10 * limits.maxBombLines }), line: fc.constant('' as const) }),
    ),
    'health-flood': fc.record({ kind: fc.constant('health-flood' as const), loops: fc.integer({ min: 5, max: 50 }), floodMs: fc.integer({ min: Math.min(500, limits.maxFloodMs), max: limits.maxFloodMs }) }),
    'surrogate-escape': fc.constantFrom(...(Object.keys(MEMBERS) as SurrogateTarget[])).chain((target) =>
      fc.record({
        kind: fc.constant('surrogate-escape' as const),
        target: fc.constant(target),
        member: fc.constantFrom(...MEMBERS[target]),
        escape: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...LONE_SURROGATE_ESCAPES) }, { weight: 1, arbitrary: fc.constantFrom(...VALID_PAIRS) }),
        valid: fc.constant(false),
        before: fc.stringMatching(/^[a-z0-9 ]{0,6}$/),
        after: fc.stringMatching(/^[a-z0-9 ]{0,6}$/),
      }).map((c) => ({ ...c, valid: VALID_PAIRS.includes(c.escape) })),
    ),
  };
  return fc.oneof(...attacks.map((a) => byKind[a])).map(described);
}

const asRaw = (answer: HostileAnswer, ms: number): RawHttpResponse => ({ ...answer, body: Buffer.from(answer.text), ms });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ingestPath = (farmId: string) => `/ingest/v1/farms/${farmId}/sessions`;

/** What an attacker's request came to, and what is wrong with it, if anything. */
interface AttackerResult {
  what: string;
  outcome: HostileOutcome;
  problems: string[];
  /** Said instead of the outcome (a flood's many answers, tallied). */
  summary?: string;
}

function describeResult(r: AttackerResult): string {
  return r.summary ? `${r.what}: ${r.summary}` : describeOutcome(r.what, r.outcome);
}

function describeOutcome(what: string, outcome: HostileOutcome): string {
  return `${what}: ${outcome.answer ? `${outcome.answer.status} ${outcome.answer.headers['x-amzn-errortype'] ?? ''} ${outcome.answer.text.slice(0, 300)}` : outcome.failure} (${Math.round(outcome.ms)} ms, ${outcome.sent} body bytes sent)`;
}

/** The promises an attacker's answer keeps: the model's error shape, never a 5xx; `mustRefuse`: not a success either. */
function attackerProblems(method: string, outcome: HostileOutcome, mustRefuse: boolean): string[] {
  if (!outcome.answer) return [];
  const problems = answerProblems(method, asRaw(outcome.answer, outcome.ms));
  if (mustRefuse && outcome.answer.status < 400) problems.push(`answered ${outcome.answer.status}, but it must be refused`);
  return problems;
}

/** An attack under way. */
interface Launched {
  /** Resolves once the attack is under way (bursts sent, floods flowing): the honest requests go then. */
  ready: Promise<void>;
  done: Promise<AttackerResult[]>;
  /** Sessions the attack itself created (a record with a valid surrogate pair). */
  created: () => number;
}

function launch(url: string, fixture: AttackFixture, c: AttackCase, stop: AbortSignal, slowBody: () => Buffer): Launched {
  switch (c.kind) {
    case 'slow-body': {
      let bursts = 0;
      let readyNow: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (readyNow = resolve));
      const done = Promise.all(
        Array.from({ length: c.connections }, async (_, i) => {
          const outcome = await slowUpload(url, {
            path: ingestPath(fixture.farmId), contentType: 'application/x-ndjson', body: slowBody(),
            burstBytes: c.burst === 'past-mib' ? Math.round(1.1 * 1024 * 1024) : 0, tickMs: c.tickMs, bytesPerTick: c.bytesPerTick,
            localAddress: hostileSourceAddress(url, i), signal: stop,
            onBurstSent: () => ++bursts === c.connections && readyNow(),
          });
          const problems = attackerProblems('POST', outcome, true);
          return { what: `slow upload ${i + 1} of ${c.connections}`, outcome, problems };
        }),
      );
      // Bursts handed to the system are not yet read: give the server a moment to take them (and their slots).
      return { ready: Promise.race([ready.then(() => sleep(300)), sleep(3000)]), done, created: () => 0 };
    }
    case 'gzip-bomb': {
      const bomb = gzipBomb(c.lines, c.line);
      const done = Promise.all(
        Array.from({ length: c.bombs }, async (_, i) => {
          const outcome = await sendHostile(url, {
            method: 'POST', path: ingestPath(fixture.farmId), headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: bomb,
            localAddress: hostileSourceAddress(url, i), timeoutMs: ATTACK_ANSWER_MS,
          });
          const problems = outcome.answer ? attackerProblems('POST', outcome, c.line === '{}') : [`no answer: ${outcome.failure}`];
          // Blank lines hold no record: taken, they must say so.
          if (outcome.answer?.status === 200 && (outcome.answer.json as { received?: unknown })?.received !== 0) problems.push(`blank lines taken as records: ${outcome.answer.text}`);
          return { what: `gzip bomb ${i + 1} of ${c.bombs} (${bomb.length} bytes)`, outcome, problems };
        }),
      );
      return { ready: sleep(100), done, created: () => 0 };
    }
    case 'health-flood': {
      const results: AttackerResult[] = [];
      const tally = new Map<string, number>();
      const done = (async () => {
        await Promise.all(
          Array.from({ length: c.loops }, (_, i) =>
            flood(url, {
              loops: 1, localAddress: hostileSourceAddress(url, i), signal: stop,
              onOutcome: (outcome) => {
                tally.set(outcomeKind(outcome), (tally.get(outcomeKind(outcome)) ?? 0) + 1);
                const problems = health(outcome);
                // Every answer is checked; the first few broken ones are kept for the report.
                if (problems.length && results.length < 5) results.push({ what: 'GET /health', outcome, problems });
              },
            }),
          ),
        );
        const answers = [...tally].map(([k, n]) => `${n} × ${k}`).join(', ');
        return [
          { what: `GET /health in ${c.loops} loops`, outcome: { failure: 'flood over', ms: c.floodMs, sent: 0 }, problems: tally.size ? [] : ['the flood sent nothing'], summary: answers || 'nothing sent' },
          ...results,
        ];
      })();
      return { ready: sleep(100), done, created: () => 0 };
    }
    case 'surrogate-escape': {
      let created = 0;
      const done = (async (): Promise<AttackerResult[]> => {
        const { method, path, body, contentType } = surrogateRequest(fixture, c);
        const outcome = await sendHostile(url, { method, path, headers: { 'content-type': contentType }, body, localAddress: hostileSourceAddress(url, 0), timeoutMs: ATTACK_ANSWER_MS });
        // The shape is checked here; whether it must be refused, and how, just below.
        const problems = outcome.answer ? attackerProblems(method, outcome, false) : [`no answer: ${outcome.failure}`];
        const answer = outcome.answer;
        if (answer && !c.valid) {
          if (answer.headers['x-amzn-errortype'] !== 'ValidationException') problems.push(`a lone surrogate escape was answered ${answer.status} ${answer.headers['x-amzn-errortype'] ?? ''}, not ValidationException`);
          else if (!answer.text.includes(c.member)) problems.push(`the ValidationException does not name the member '${c.member}'`);
        }
        if (answer && c.valid) {
          if (answer.status !== 200) problems.push(`a valid surrogate pair was refused (${answer.status})`);
          else problems.push(...(await readBack(url, fixture, c, answer)));
          if (answer.status === 200 && c.target === 'IngestSessions') created = 1;
        }
        return [{ what: `${method} ${path}`, outcome, problems }];
      })();
      return { ready: Promise.resolve(), done, created: () => created };
    }
  }
}

/** /health under a flood: 200 `{"status":"ok"}`, or refused in the model's shape (throttled, say); never a 5xx, and only resets for a client cut off. */
function health(outcome: HostileOutcome): string[] {
  const answer = outcome.answer;
  if (!answer) return outcome.failure === 'given up' ? [] : [`no answer: ${outcome.failure}`];
  if (answer.status === 200) return (answer.json as { status?: unknown })?.status === 'ok' ? [] : [`200 without {"status":"ok"}: ${answer.text.slice(0, 200)}`];
  if (answer.status >= 500) return [`/health answered ${answer.status} under a flood: ${answer.text.slice(0, 300)}`];
  return answerProblems('GET', asRaw(answer, outcome.ms));
}

function surrogateRequest(fixture: AttackFixture, c: Extract<AttackCase, { kind: 'surrogate-escape' }>): { method: string; path: string; body: string; contentType: string } {
  const withEscape = (value: Record<string, unknown>) => jsonWithEscape(value, c.member, c.escape, c.before, c.after);
  switch (c.target) {
    case 'CreateFarm':
      return { method: 'POST', path: '/2023-10-12/farms', body: withEscape({ displayName: 'fuzz surrogate' }), contentType: 'application/json' };
    case 'UpdateFarm':
      return { method: 'PATCH', path: `/2023-10-12/farms/${fixture.farmId}`, body: withEscape({}), contentType: 'application/json' };
    case 'CreateQueue':
      return { method: 'POST', path: `/2023-10-12/farms/${fixture.farmId}/queues`, body: withEscape({ displayName: 'fuzz surrogate' }), contentType: 'application/json' };
    case 'IngestSessions':
      return { method: 'POST', path: ingestPath(fixture.farmId), body: `${withEscape(JSON.parse(recordLine(fixture)) as Record<string, unknown>)}\n`, contentType: 'application/x-ndjson' };
  }
}

/** A valid pair taken: the farm or queue reads back with the very characters sent. */
async function readBack(url: string, fixture: AttackFixture, c: Extract<AttackCase, { kind: 'surrogate-escape' }>, answer: HostileAnswer): Promise<string[]> {
  const expected = JSON.parse(`"${c.before}${c.escape}${c.after}"`) as string;
  const json = answer.json as Record<string, string>;
  const path =
    c.target === 'CreateFarm' ? `/2023-10-12/farms/${json.farmId}`
    : c.target === 'UpdateFarm' ? `/2023-10-12/farms/${fixture.farmId}`
    : c.target === 'CreateQueue' ? `/2023-10-12/farms/${fixture.farmId}/queues/${json.queueId}`
    : undefined;
  if (!path) return [];
  const read = await sendHostile(url, { method: 'GET', path, timeoutMs: HONEST_WITHIN_MS });
  const got = (read.answer?.json as Record<string, unknown> | undefined)?.[c.member];
  return got === expected ? [] : [`${c.member} reads back as ${JSON.stringify(got)}, not ${JSON.stringify(expected)} (GET ${path}: ${read.answer?.status ?? read.failure})`];
}

/** The honest requests sent while an attack runs: a small batch, a GetFarm, and (beside slow uploads) a batch past 1 MiB. Each must succeed within HONEST_WITHIN_MS. */
async function honestRequests(url: string, fixture: AttackFixture, large: boolean): Promise<{ created: number; problems: string[]; lines: string[]; ms: number[] }> {
  const problems: string[] = [];
  const lines: string[] = [];
  const ms: number[] = [];
  let created = 0;
  const batch = async (what: string, body: Buffer, records: number) => {
    const outcome = await sendHostile(url, { method: 'POST', path: ingestPath(fixture.farmId), headers: { 'content-type': 'application/x-ndjson' }, body, timeoutMs: HONEST_WITHIN_MS });
    lines.push(describeOutcome(`honest ${what}`, outcome));
    ms.push(outcome.ms);
    const counts = outcome.answer?.json as { received?: number; created?: number } | undefined;
    if (outcome.answer?.status === 200 && counts?.received === records && counts.created === records) created += records;
    else problems.push(`an honest ${what} did not succeed within ${HONEST_WITHIN_MS} ms: ${outcome.answer ? `${outcome.answer.status} ${outcome.answer.text.slice(0, 200)}` : outcome.failure}`);
    if (outcome.answer) problems.push(...answerProblems('POST', asRaw(outcome.answer, outcome.ms)));
  };
  const small = Array.from({ length: 5 }, () => recordLine(fixture));
  await batch('batch of 5 records', Buffer.from(`${small.join('\n')}\n`), 5);
  const farm = await sendHostile(url, { method: 'GET', path: `/2023-10-12/farms/${fixture.farmId}`, timeoutMs: HONEST_WITHIN_MS });
  lines.push(describeOutcome('honest GetFarm', farm));
  ms.push(farm.ms);
  if (farm.answer?.status !== 200) problems.push(`an honest GetFarm did not succeed within ${HONEST_WITHIN_MS} ms: ${farm.answer ? `${farm.answer.status} ${farm.answer.text.slice(0, 200)}` : farm.failure}`);
  if (large) {
    const body = recordsOfSize(fixture, Math.round(1.2 * 1024 * 1024));
    await batch(`batch of ${body.length} bytes (past 1 MiB: it needs a batch slot)`, body, body.toString().split('\n').length - 1);
  }
  return { created, problems, lines, ms };
}

/**
 * The attack property: each case runs its attack against the server, honest requests beside it,
 * then checks the server, every answer, and the attack farm's session count.
 */
export function attackProperty(target: FuzzTarget, client: DeadlineClient, fixture: AttackFixture, cases: fc.Arbitrary<AttackCase>, trace?: (line: string) => void) {
  let slowBody: Buffer | undefined;
  return fc.asyncProperty(cases, async (c) => {
    fc.pre(target.alive() && !target.overBound());
    target.cases++;
    target.beforeMiB = residentMiB(target.pid);
    const count = async () => (await countSessions(client, fixture.farmId, fixture.queueIds)).count;
    const before = await count();
    const stop = new AbortController();
    // Every connection of the attack listens for the stop.
    setMaxListeners(0, stop.signal);
    const started = performance.now();
    // Slow uploads pretend to send fresh valid records (never all of them: it would take hours).
    const attack = launch(target.url, fixture, c, stop.signal, () => (slowBody ??= recordsOfSize(fixture, Math.round(1.5 * 1024 * 1024))));
    let honest: Awaited<ReturnType<typeof honestRequests>>;
    try {
      await attack.ready;
      honest = await honestRequests(target.url, fixture, c.kind === 'slow-body');
      // Held attacks last their time whatever the honest requests took, then the clients hang up.
      const lasts = c.kind === 'slow-body' ? c.holdMs : c.kind === 'health-flood' ? c.floodMs : 0;
      await sleep(Math.max(0, lasts - (performance.now() - started)));
    } finally {
      stop.abort();
    }
    const results = await attack.done;
    const problems = [...results.flatMap((r) => r.problems.map((p) => `${r.what}: ${p}`)), ...honest.problems, ...(await target.health())];
    const after = await count();
    const expected = before + honest.created + attack.created();
    if (after !== expected) problems.push(`the farm holds ${after} sessions: ${before} before, ${honest.created} created by the honest batches${attack.created() ? `, ${attack.created()} by the attack` : ''}, so ${after - expected} stored from the attack`);
    trace?.(`${c.kind}: ${problems.length ? `${problems.length} problems` : 'ok'}; ${Math.round(target.beforeMiB)} -> ${Math.round(residentMiB(target.pid))} MiB resident; honest requests ${honest.ms.map((m) => Math.round(m)).join(', ')} ms; ${results.map(describeResult).join('; ').slice(0, 400)}`);
    if (problems.length) {
      throw new FuzzFailure(problems, undefined, undefined, [
        `attack: ${fc.stringify(c)}`,
        ...results.slice(0, 8).map(describeResult),
        ...honest.lines,
        ...(problems.some((p) => /5\d\d|exited|no answer/.test(p)) ? [target.logTail()] : []),
      ]);
    }
  });
}
