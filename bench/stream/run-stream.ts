// A streaming-ingest run against a farmtally server: demo farms made through the SDK (the
// demo studio's 10 queues and 5 fleets each), each preloaded with a generated history through
// the bulk path (batches of 250 000, as `farmtally demo` sends them), then N clients posting
// small batches of a farm's feed (feed.ts, client.ts) for the duration, with a progress line
// every few seconds. Used by `npm run bench:stream` and, bounded, by test/stream.test.ts.
import { budgetProblems, createBudgets, readBudgetsUntil } from './budgets.js';
import { randomBytes } from 'node:crypto';
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import type { IngestSigner } from '../../src/client/credentials.js';
import { sendRecords } from '../../src/client/send-records.js';
import { DEFAULT_BATCH_SIZE, ingestUrl } from '../../src/client/upload.js';
import { createDemoFarm } from '../../src/demo/create-farm.js';
import { generateSessions, runningCount, type DemoIds } from '../../src/demo/generate.js';
import { seedOf } from '../../src/demo/random.js';
import { cpuSecondsOf, memoryOf, resetPeakMemory } from '../server.js';
import { runStreamClient } from './client.js';
import { Feed, type FeedMix, type FeedTotals } from './feed.js';
import { StreamTally, type TallySummary } from './tally.js';

export interface StreamOptions {
  url: string;
  /** The SDK client that makes the farms (and, with no data file to read, counts their sessions). */
  sdk: DeadlineClient;
  /** Signs each batch's request (sigv4 servers). */
  sign?: IngestSigner;
  farms: number;
  /** Sessions stored before the feed, in all (split evenly over the farms). */
  sessions: number;
  clients: number;
  durationMs: number;
  mix: FeedMix;
  /** Open loop: batches per second over all clients. Closed loop when absent. */
  rate?: number;
  seed: number;
  /** The server's process, when known: its CPU time and peak memory during the feed. */
  serverPid?: number;
  /** A budget on every queue, held through the feed and checked after it (--budgets). */
  budgets?: boolean;
  /** Milliseconds between progress lines. */
  progressMs?: number;
  log?: (line: string) => void;
}

export interface StreamFarm {
  farmId: string;
  ids: DemoIds;
  /** Sessions the preload stored (acknowledged as created), and how many of them run still. */
  preloaded: number;
  preloadedRunning: number;
  /** What the feed's clients of this farm got acknowledged. */
  feed: FeedTotals;
}

export interface ServerUsage {
  /** CPU seconds (user + system, every thread) during the feed. */
  cpuSeconds: number;
  /** Peak resident memory (VmHWM) during the feed, when it could be reset before; else since the server started. */
  feedPeakMiB: number;
  peakReset: boolean;
}

export interface StreamResult {
  runId: string;
  farms: StreamFarm[];
  preload: { records: number; seconds: number };
  /** From the first batch to the last answer. */
  seconds: number;
  tally: TallySummary;
  server?: ServerUsage;
  /** The budgets held through the feed (--budgets): GetBudget latencies (ms) of a reader during it, and what their check after it found wrong. */
  budgets?: { count: number; readMs: number[]; problems: string[] };
}

/** The feed's progress in one line: batches and records per second so far, latencies, failures. */
function progressLine(tally: StreamTally, seconds: number): string {
  const s = tally.summary();
  const throttled = s.statuses.find(([status]) => status === 429)?.[1] ?? 0;
  return `feed ${seconds.toFixed(0)} s: ${s.batches} batches (${(s.batches / seconds).toFixed(1)}/s, ${(s.records / seconds).toFixed(0)} records/s), ` +
    `p50 ${s.latency.p50.toFixed(0)} ms, p99 ${s.latency.p99.toFixed(0)} ms; throttled ${throttled}, 5xx or no answer ${tally.failures}, counts differing ${s.mismatches}`;
}

async function preload(options: StreamOptions, farms: StreamFarm[], log: (line: string) => void): Promise<{ records: number; seconds: number }> {
  const started = performance.now();
  let records = 0;
  for (const [i, farm] of farms.entries()) {
    // The first farm takes what does not divide evenly.
    const sessions = Math.floor(options.sessions / farms.length) + (i === 0 ? options.sessions % farms.length : 0);
    if (!sessions) continue;
    let shown = performance.now();
    const sent = await sendRecords(options.url, farm.farmId, generateSessions(farm.ids, { sessions, seed: seedOf(String(i + 1)) }), {
      batchSize: DEFAULT_BATCH_SIZE,
      sign: options.sign,
      onProgress: (n) => {
        if (performance.now() - shown < 5000) return;
        shown = performance.now();
        log(`preload: farm ${i + 1} of ${farms.length}: ${n} of ${sessions} sessions sent`);
      },
    });
    if (sent.created !== sessions) throw new Error(`the preload of ${farm.farmId} created ${sent.created} of ${sessions} sessions (${JSON.stringify(sent)})`);
    farm.preloaded = sent.created;
    farm.preloadedRunning = runningCount(sessions);
    records += sent.received;
  }
  return { records, seconds: (performance.now() - started) / 1000 };
}

export async function runStream(options: StreamOptions): Promise<StreamResult> {
  const log = options.log ?? (() => undefined);
  const runId = randomBytes(4).toString('hex');
  const farms: StreamFarm[] = [];
  for (let i = 0; i < options.farms; i++) {
    const { farmId, ids } = await createDemoFarm(options.sdk, `Stream ${runId} ${i + 1}`);
    farms.push({ farmId, ids, preloaded: 0, preloadedRunning: 0, feed: { sessions: 0, running: 0, uncertainSessions: 0, uncertainRunning: 0 } });
  }
  log(`${farms.length === 1 ? 'a farm' : `${farms.length} farms`} made; preloading ${options.sessions} sessions in batches of ${DEFAULT_BATCH_SIZE}`);
  const loaded = await preload(options, farms, log);
  log(`preload: ${loaded.records} sessions in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.records / Math.max(loaded.seconds, 1e-3))} records/s)`);

  const budgets = options.budgets ? await createBudgets(options.sdk, farms) : [];
  if (budgets.length) log(`${budgets.length} budgets made, one on each queue, and read once`);

  const pid = options.serverPid;
  const cpuBefore = pid ? cpuSecondsOf(pid) : undefined;
  const peakReset = pid ? resetPeakMemory(pid) : false;
  const tally = new StreamTally();
  const feeds = Array.from({ length: options.clients }, (_, index) => {
    const farm = farms[index % farms.length]!;
    return { farm, feed: new Feed(farm.ids, options.mix, `${runId}${index.toString(16).padStart(4, '0')}`, options.seed * 1000 + index) };
  });
  log(`feed: ${options.clients} clients for ${options.durationMs / 1000} s, ${options.rate ? `open loop at ${options.rate} batches/s` : 'closed loop'} (run ${runId}, seed ${options.seed})`);
  const started = performance.now();
  const deadline = started + options.durationMs;
  const progress = setInterval(() => log(progressLine(tally, (performance.now() - started) / 1000)), options.progressMs ?? 5000);
  const reads = readBudgetsUntil(options.sdk, budgets, deadline);
  try {
    await Promise.all(
      feeds.map(({ farm, feed }, index) =>
        runStreamClient({
          url: ingestUrl(options.url, farm.farmId),
          sign: options.sign,
          feed,
          tally,
          deadline,
          rate: options.rate ? options.rate / options.clients : undefined,
          firstDue: started + (index / options.clients) * (options.rate ? options.clients / options.rate : 0) * 1000,
        }),
      ),
    );
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  log(`${progressLine(tally, seconds)}; clients done`);
  const cpuAfter = pid ? cpuSecondsOf(pid) : undefined;
  const feedPeakMiB = pid ? memoryOf(pid)?.peakMiB : undefined;

  for (const { farm, feed } of feeds) for (const k of Object.keys(farm.feed) as (keyof FeedTotals)[]) farm.feed[k] += feed.totals[k];
  const server = cpuBefore !== undefined && cpuAfter !== undefined && feedPeakMiB !== undefined ? { cpuSeconds: cpuAfter - cpuBefore, feedPeakMiB, peakReset } : undefined;
  if (budgets.length) log('checking each budget against the statistics');
  const readMs = await reads;
  const budgetCheck = budgets.length ? { count: budgets.length, readMs, problems: await budgetProblems(options.sdk, budgets) } : undefined;
  return { runId, farms, preload: loaded, seconds, tally: tally.summary(), server, budgets: budgetCheck };
}
