// A load run against a farmtally server: farms set up through the SDK (two queues and a fleet
// each), N clients (bench/load/client.ts) spread over them until the duration is over, then
// the check: every farm stores exactly the sessions acknowledged as created (counted by an
// aggregation), and nothing but throttling went wrong. With `attack`, attackers
// (attackers.ts) run beside the honest clients, from a head start until the clients are done;
// they have a farm of their own and are tallied apart. Used by `npm run load` and, bounded,
// by test/load.test.ts.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { CreateQueueCommand } from '@aws-sdk/client-deadline';
import { countSessions } from '../../test/support/count-sessions.js';
import { random } from '../../test/support/ingest-fuzz.js';
import { sdkClient } from '../../test/support/server.js';
import { farmWithParents } from '../../test/support/session-records.js';
import { ATTACK_HEAD_START_MS, runAttackers, type AttackKind, type AttackSummary, type AttackTallies } from './attackers.js';
import { runClient, type LoadFarm } from './client.js';
import { LoadStats, type OperationSummary } from './stats.js';

export interface LoadOptions {
  url: string;
  clients: number;
  durationMs: number;
  /** Farms the clients share (one running aggregation per farm); default one per five clients. */
  farms?: number;
  batchMin?: number;
  batchMax?: number;
  seed?: number;
  /** Attackers beside the honest clients (none by default). */
  attack?: { attackers: number; kinds: readonly AttackKind[]; connections: number };
  /** Where the honest calls and the attackers' outcomes go (new ones by default): pass them to gather several runs. */
  stats?: LoadStats;
  attackTallies?: AttackTallies;
  log?: (line: string) => void;
}

export interface FarmCheck {
  farmId: string;
  acknowledged: number;
  stored: number;
}

export interface LoadResult {
  seconds: number;
  summaries: OperationSummary[];
  unexpected: { operation: string; kind: string; count: number }[];
  farms: FarmCheck[];
  /** Sessions acknowledged in all. */
  acknowledged: number;
  /** What the attackers sent and got, by kind, and how long they ran (head start included). */
  attacks?: { summaries: AttackSummary[]; seconds: number };
}

export async function setUpFarms(url: string, count: number): Promise<LoadFarm[]> {
  const sdk = sdkClient(url);
  const farms: LoadFarm[] = [];
  for (let i = 0; i < count; i++) {
    const farm = await farmWithParents(sdk, `load ${i}`);
    const { queueId } = await sdk.send(new CreateQueueCommand({ farmId: farm.farmId, displayName: `load ${i} second queue` }));
    farms.push({ farmId: farm.farmId, queueIds: [farm.queueId, queueId!], fleetId: farm.fleetId });
  }
  return farms;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => undefined);
  const farms = await setUpFarms(options.url, options.farms ?? Math.max(1, Math.ceil(options.clients / 5)));
  const stats = options.stats ?? new LoadStats();
  const acknowledged = new Map<string, number>();
  const runId = randomBytes(4).toString('hex');
  const seed = options.seed ?? 1;
  log(`${farms.length} farms set up; ${options.clients} clients for ${options.durationMs / 1000} s (run ${runId}, seed ${seed})`);
  const stopAttack = new AbortController();
  // Every attacker's connection listens for the stop.
  setMaxListeners(0, stopAttack.signal);
  const attackStarted = performance.now();
  const attacking = options.attack?.attackers
    ? runAttackers({ url: options.url, ...options.attack, stop: stopAttack.signal, tallies: options.attackTallies, log })
    : undefined;
  // An attacker that cannot even set up is no measurement: fail now, not after the run.
  attacking?.catch(() => stopAttack.abort());
  if (attacking) await Promise.race([new Promise((resolve) => setTimeout(resolve, ATTACK_HEAD_START_MS)), attacking]);
  const started = performance.now();
  const deadline = Date.now() + options.durationMs;
  try {
    await Promise.all(
      Array.from({ length: options.clients }, (_, index) =>
        runClient({
          index,
          runId,
          url: options.url,
          sdk: sdkClient(options.url),
          farm: farms[index % farms.length]!,
          deadline,
          batchMin: options.batchMin ?? 50,
          batchMax: options.batchMax ?? 500,
          rand: random(seed * 1000 + index),
          stats,
          acknowledged,
        }),
      ),
    );
  } finally {
    stopAttack.abort();
  }
  const seconds = (performance.now() - started) / 1000;
  const attackSeconds = (performance.now() - attackStarted) / 1000;
  const attackSummaries = attacking ? await attacking : undefined;
  log(`clients done after ${seconds.toFixed(1)} s; counting what each farm stores`);
  const checker = sdkClient(options.url);
  const checks: FarmCheck[] = [];
  for (const farm of farms) {
    const { count } = await countSessions(checker, farm.farmId, farm.queueIds);
    checks.push({ farmId: farm.farmId, acknowledged: acknowledged.get(farm.farmId) ?? 0, stored: count });
  }
  return {
    seconds,
    summaries: stats.summaries(),
    unexpected: stats.unexpected(),
    farms: checks,
    acknowledged: checks.reduce((n, f) => n + f.acknowledged, 0),
    attacks: attackSummaries ? { summaries: attackSummaries, seconds: attackSeconds } : undefined,
  };
}

/** What went wrong in a run, as sentences: farms whose stored sessions differ from the acknowledged ones, and errors other than throttling. */
export function loadProblems(result: LoadResult): string[] {
  return [
    ...result.farms.filter((f) => f.stored !== f.acknowledged).map((f) => `farm ${f.farmId} stores ${f.stored} sessions, but ${f.acknowledged} were acknowledged as created`),
    ...result.unexpected.map((e) => `${e.operation}: ${e.count} × ${e.kind}`),
  ];
}
