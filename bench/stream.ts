// `npm run bench:stream -- [--sessions 1000000] [--clients 50] [--duration 30] [--records-min 1] [--records-max 50]
//   [--closes 40] [--resends 2] [--rate R] [--farms 1] [--budgets] [--endpoint URL [--server-pid PID]] [--write-docs]`:
// streaming ingest, a farm's continuous feed of small batches (SPEC section 4), against a
// store with a large history. A script of its own rather than a `--stream` of `npm run bench`:
// that suite measures bulk ingest and aggregations on one generated farm, this one a feed with
// its own options and checks, as `npm run load` is.
//
// It starts a server on a temporary data folder (or uses --endpoint), preloads --sessions
// through the bulk path, then runs the clients (bench/stream/) for the duration with a progress
// line every 5 s, and checks that every batch's counts were the expected ones and that each
// farm stores exactly the sessions acknowledged. Prints the results, writes them to
// .bench/stream-<sessions>-<clients>c.md (not tracked), and into BENCHMARKS.md only with
// --write-docs. Exits 1 on any 5xx, refused batch other than throttling, or mismatch.
import './quiet-sdk.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ingestSignerFor } from '../src/client/credentials.js';
import { clientFor } from '../src/client/deadline-client.js';
import { wholeNumber, withConnectionOptions } from '../src/cli/options.js';
import { publish } from './report.js';
import { ensureBuilt, ROOT, startServer, type BenchServer } from './server.js';
import type { FeedMix } from './stream/feed.js';
import { streamMarkdown, writeStreamReport } from './stream/report.js';
import { runStream } from './stream/run-stream.js';
import { storedByAggregation, storedInDataFile, streamProblems, type Stored } from './stream/stored.js';

interface StreamCliOptions {
  sessions: number;
  clients: number;
  duration: number;
  recordsMin: number;
  recordsMax: number;
  closes: number;
  resends: number;
  rate?: number;
  farms: number;
  budgets?: boolean;
  seed: number;
  endpoint?: string;
  region: string;
  profile?: string;
  serverPid?: number;
  writeDocs: boolean;
}

function percentOption(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('give a percentage, 0 to 100.');
  return n;
}

const program = withConnectionOptions(
  new Command('bench:stream').description('Streaming ingest: concurrent clients posting a farm\'s feed of small batches into a store with a large history; checks stored = acknowledged.'),
  { defaultEndpoint: false },
)
  .option('--sessions <n>', 'sessions stored before the feed, through the bulk path (0: none)', wholeNumber(0), 1_000_000)
  .option('--clients <n>', 'concurrent clients', wholeNumber(1), 50)
  .option('--duration <seconds>', 'how long the clients send', wholeNumber(1), 30)
  .option('--records-min <n>', 'fewest records per batch', wholeNumber(1), 1)
  .option('--records-max <n>', 'most records per batch', wholeNumber(1), 50)
  .option('--closes <percent>', 'records that close a session sent earlier as running', percentOption, 40)
  .option('--resends <percent>', 'records that re-send one already acknowledged (a retry)', percentOption, 2)
  .option('--rate <batches/s>', 'open loop: batches per second in all, on a fixed schedule (default: closed loop, each client sends when answered)', wholeNumber(1))
  .option('--budgets', 'a budget on every queue, held through the feed, each checked against the statistics after it')
  .option('--farms <n>', 'farms the clients share (the preload is split evenly)', wholeNumber(1), 1)
  .option('--seed <n>', 'seed of the feed', wholeNumber(0), 1)
  .option('--server-pid <pid>', 'with --endpoint: the server\'s process, to read its CPU time and peak memory', wholeNumber(1))
  .option('--write-docs', 'also write the results into BENCHMARKS.md (between its bench:stream markers)', false)
  .addHelpText('after', `
Without --endpoint it starts a server of its own on a temporary data folder, and counts what
each farm stores in that folder's data file once the server has stopped.

Examples:
  $ npm run bench:stream -- --sessions 100000 --clients 8 --duration 15      # a quick run
  $ npm run bench:stream -- --sessions 10000000 --clients 50 --duration 60   # issue 15's scale
  $ npm run bench:stream -- --sessions 0 --rate 150 --endpoint http://127.0.0.1:8080 --server-pid 4242
`)
  .parse(process.argv);
const options = program.opts<StreamCliOptions>();
if (options.recordsMin > options.recordsMax) program.error(`--records-min (${options.recordsMin}) is more than --records-max (${options.recordsMax}).`);
// As many running sessions are sent as are closed, out of the new ones: closes can be at most half of what is not a re-send.
if (2 * options.closes + options.resends > 100) program.error(`--closes ${options.closes} with --resends ${options.resends}: closes can be at most (100 - resends) / 2 percent, as each closes a session sent running before.`);
if (options.serverPid && !options.endpoint) program.error('--server-pid goes with --endpoint (a server of the run\'s own is measured anyway).');

const began = performance.now();
const log = (line: string) => process.stderr.write(`[stream ${((performance.now() - began) / 1000).toFixed(1)} s] ${line}\n`);
const loadStart = loadavg()[0]!;
const mix: FeedMix = { recordsMin: options.recordsMin, recordsMax: options.recordsMax, closeShare: options.closes / 100, resendShare: options.resends / 100 };

let server: BenchServer | undefined;
let dataDir: string | undefined;
if (!options.endpoint) {
  ensureBuilt(log);
  dataDir = mkdtempSync(join(tmpdir(), 'farmtally-stream-'));
  server = await startServer(dataDir);
  log(`server ${server.url} on ${dataDir}`);
}
const url = options.endpoint ?? server!.url;
const sdk = clientFor(url, options.region, options.profile);
let problems: string[] = [];
try {
  const result = await runStream({
    url,
    sdk,
    // A server of the run's own is open; one named by --endpoint may check signatures.
    sign: options.endpoint ? ingestSignerFor(options.region, options.profile) : undefined,
    farms: options.farms,
    budgets: options.budgets,
    sessions: options.sessions,
    clients: options.clients,
    durationMs: options.duration * 1000,
    mix,
    rate: options.rate,
    seed: options.seed,
    serverPid: server?.pid ?? options.serverPid,
    log,
  });
  let stored: Stored;
  let serverPeakMiB: number | undefined;
  if (server) {
    serverPeakMiB = server.peakMiB();
    const stopping = server;
    server = undefined;
    await stopping.stop();
    log("server stopped; counting each farm's sessions in its data file");
    stored = await storedInDataFile(dataDir!, result.farms.map((f) => f.farmId));
  } else {
    log('counting each farm\'s sessions with an aggregation');
    stored = await storedByAggregation(sdk, result.farms);
  }
  problems = streamProblems(result, stored);
  const section = streamMarkdown(result, stored, { clients: options.clients, durationSeconds: options.duration, mix, rate: options.rate, endpoint: options.endpoint, serverPeakMiB, loadStart, problems });
  publish(section, join(ROOT, '.bench', `stream-${options.sessions}-${options.clients}c.md`), log, options.writeDocs ? () => writeStreamReport(join(ROOT, 'BENCHMARKS.md'), section) : undefined);
} finally {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
log(`done in ${((performance.now() - began) / 1000).toFixed(0)} s`);
if (problems.length) {
  process.stdout.write(`\nFAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
