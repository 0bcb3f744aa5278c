// `npm run fuzz -- [--seed S] [--duration SECONDS] [--routes api,ingest,attacks] [--hazards LIST|all]`:
// the fuzz properties of `npm test` (test/fuzz-api.test.ts, test/fuzz-ingest.test.ts,
// test/fuzz-attacks.test.ts) against one server, in rounds of fresh cases until the time is
// up. Round r runs with seed S + r, so a failure prints the command that replays its round.
// Exits 1 on the first failure. Hazards are of two sorts: framing hazards (framing.ts) change
// the api and ingest routes' requests; attacks (attacks.ts: slow bodies, gzip bombs, /health
// floods, surrogate escapes) are cases of their own, the attacks route, beside honest requests.
import { Command, InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { startFarmtally } from '../support/server.js';
import { apiFixture, countSessions, ingestFixture } from './fixture.js';
import { ALL_ATTACKS, ATTACKS, attackCase, attackFixture, attackProperty, RUN_LIMITS, type Attack } from './attacks.js';
import { ALL_HAZARDS, HAZARDS, type Hazard, type HazardChoice } from './framing.js';
import { ingestCase } from './ingest-requests.js';
import { apiProperty, checkProperty, ingestProperty } from './properties.js';
import { FUZZ_SERVER_ARGS } from './settings.js';
import { FuzzTarget, residentMiB } from './target.js';

const ROUTES = ['api', 'ingest', 'attacks'] as const;
type Route = (typeof ROUTES)[number];

function whole(min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`give a whole number, at least ${min}.`);
    return n;
  };
}

function routes(text: string): Route[] {
  const picked = text.split(',').map((s) => s.trim());
  const unknown = picked.filter((r) => !(ROUTES as readonly string[]).includes(r));
  if (unknown.length) throw new InvalidArgumentError(`unknown route ${unknown.join(', ')}; pick from ${ROUTES.join(', ')}.`);
  return picked as Route[];
}

type AnyHazard = Hazard | Attack;

function hazards(text: string): AnyHazard[] {
  if (text === 'all') return [...ALL_HAZARDS, ...ALL_ATTACKS];
  if (text === 'none' || text === '') return [];
  const picked = text.split(',').map((s) => s.trim());
  const unknown = picked.filter((h) => !(h in HAZARDS) && !(h in ATTACKS));
  if (unknown.length) throw new InvalidArgumentError(`unknown hazard ${unknown.join(', ')}; pick from ${[...ALL_HAZARDS, ...ALL_ATTACKS].join(', ')} (or all, none).`);
  return picked as AnyHazard[];
}

const options = new Command('fuzz')
  .description('Fuzz a fresh farmtally server with the properties of npm test, for a while.')
  .option('--seed <n>', 'seed of round 0 (round r uses seed + r); default: from the clock, printed', whole(0))
  .option('--duration <seconds>', 'how long to fuzz', whole(1), 60)
  .option('--rounds <n>', 'stop after this many rounds, even with time left', whole(1))
  .option('--routes <list>', `which properties: ${ROUTES.join(',')}`, routes, [...ROUTES])
  .option('--api-runs <n>', 'API requests per round', whole(1), 200)
  .option('--ingest-runs <n>', 'ingest batches per round (each counted by an aggregation)', whole(1), 40)
  .option('--attack-runs <n>', 'attack cases per round, when attacks are among the hazards (each a few seconds)', whole(1), 6)
  .option('--trace', 'print every ingest case: the answer, the session count and resident memory before and after', false)
  // The run counts sessions with one aggregation per ingest case: a short TTL keeps a long
  // run's stored results small.
  .option('--aggregation-ttl <seconds>', "the server's --aggregation-ttl", whole(1), 20)
  .option(
    '--hazards <list>',
    `also send these hazards: in the api and ingest requests (test/fuzz/framing.ts) ${ALL_HAZARDS.join(', ')}; as attack cases beside honest requests (test/fuzz/attacks.ts) ${ALL_ATTACKS.join(', ')}; or all (a stalled body waits out the server's body timeout, an attack takes a few seconds)`,
    hazards,
    [] as AnyHazard[],
  )
  .parse(process.argv)
  .opts<{ seed?: number; duration: number; rounds?: number; routes: Route[]; apiRuns: number; ingestRuns: number; attackRuns: number; aggregationTtl: number; trace: boolean; hazards: AnyHazard[] }>();

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const seed = options.seed ?? Date.now() % 2 ** 31;
const began = performance.now();
const elapsed = () => (performance.now() - began) / 1000;
const log = (line: string) => process.stderr.write(`[fuzz ${elapsed().toFixed(1)} s] ${line}\n`);
const choice: HazardChoice = { allowed: options.hazards.filter((h): h is Hazard => h in HAZARDS) };
const attacks = options.hazards.filter((h): h is Attack => h in ATTACKS);

log(`seed ${seed}, ${options.duration} s, routes ${options.routes.join(', ')}, hazards ${choice.allowed.join(', ') || 'none'}, attacks ${attacks.join(', ') || 'none'}`);
const server = await startFarmtally({ args: [...FUZZ_SERVER_ARGS, '--aggregation-ttl', String(options.aggregationTtl)] });
let failed = false;
try {
  const api = await apiFixture(server.url, server.client);
  const ingest = await ingestFixture(server.client);
  const attacked = attacks.length ? await attackFixture(server.client) : undefined;
  const target = new FuzzTarget(server);
  let sessions = (await countSessions(server.client, ingest.farmId, ingest.queueIds)).count;
  log(`server ${server.url} (pid ${target.pid}), ${Math.round(target.baselineMiB)} MiB resident once set up; memory bound ${Math.round(target.limitMiB)} MiB`);
  for (let round = 0; elapsed() < options.duration && (options.rounds === undefined || round < options.rounds); round++) {
    const roundSeed = seed + round;
    const done: string[] = [];
    for (const route of options.routes) {
      // The attacks route has cases only when attacks are among the hazards.
      if (route === 'attacks' && !attacked) continue;
      const runs = route === 'api' ? options.apiRuns : route === 'ingest' ? options.ingestRuns : options.attackRuns;
      const routeHazards = route === 'attacks' ? attacks : choice.allowed;
      const replay = `replay this round: npm run fuzz -- --seed ${roundSeed} --rounds 1 --routes ${route} --${route === 'attacks' ? 'attack' : route}-runs ${runs}${routeHazards.length ? ` --hazards ${routeHazards.join(',')}` : ''}`;
      const trace = options.trace ? (line: string) => log(`  ${line}`) : undefined;
      const property =
        route === 'api' ? apiProperty(target, api, choice)
        : route === 'ingest' ? ingestProperty(target, server.client, ingest, ingestCase(ingest, choice), sessions, trace)
        : attackProperty(target, server.client, attacked!, attackCase(attacks, RUN_LIMITS), trace);
      try {
        // An attack case takes seconds, and one that failed may leave work behind (an honest batch
        // the client gave up on, committed later): the first failing case is reported as found.
        await checkProperty(property as fc.IAsyncProperty<unknown>, { seed: roundSeed, runs }, replay, route !== 'attacks');
      } catch (err) {
        failed = true;
        log(`round ${round}, ${route}: FAILED`);
        process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n\n`);
        break;
      }
      if (route === 'ingest') sessions = (await countSessions(server.client, ingest.farmId, ingest.queueIds)).count;
      done.push(`${route} ${runs} cases ok`);
    }
    if (failed) break;
    log(`round ${round} (seed ${roundSeed}): ${done.join(', ')}; ${target.cases} requests so far; server ${Math.round(residentMiB(target.pid))} MiB resident (peak ${Math.round(target.peakMiB)}); ingest farm holds ${sessions} sessions`);
  }
} finally {
  await server.stop();
}
log(failed ? `failed (seed ${seed})` : `no failures (seed ${seed})`);
process.exit(failed ? 1 : 0);
