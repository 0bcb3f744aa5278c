// `npm run load -- [--clients 50] [--duration 30] [--endpoint URL] [--farms N] [--batch-min 50] [--batch-max 500] [--seed S]`
// (`--batch-min 1 --batch-max 50` for a continuous feed's small batches):
// N concurrent clients ingest distinct small batches, list farms, queues and sessions, and run
// aggregations for the duration, against the endpoint or a server of its own on a temporary
// data folder. Prints per-operation latencies and throughput, then checks that every farm
// stores exactly the sessions acknowledged and that nothing but throttling failed; exits 1 if not.
import './quiet-sdk.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadProblems, runLoad } from './load/run-load.js';
import { statsTable } from './load/stats.js';
import { wholeNumber } from '../src/cli/options.js';
import { ensureBuilt, startServer, type BenchServer } from './server.js';

const program = new Command('load')
  .description('Load a farmtally server with concurrent clients, then check that it stored exactly what it acknowledged.')
  .option('--clients <n>', 'concurrent clients', wholeNumber(1), 50)
  .option('--duration <seconds>', 'how long the clients run', wholeNumber(1), 30)
  .option('--endpoint <url>', 'a running server (default: start one on a temporary data folder)')
  .option('--farms <n>', 'farms the clients share (default: one per five clients)', wholeNumber(1))
  .option('--batch-min <n>', 'fewest records per ingest batch', wholeNumber(1), 50)
  .option('--batch-max <n>', 'most records per ingest batch', wholeNumber(1), 500)
  .option('--seed <n>', 'seed of the clients\' choices', wholeNumber(0), 1)
  .addHelpText('after', `
Examples:
  $ npm run load -- --clients 50 --duration 30                            # the mixed load of BENCHMARKS.md "Load"
  $ npm run load -- --clients 50 --batch-min 1 --batch-max 50             # a continuous feed's batch sizes (issue 15)
`)
  .parse(process.argv);
const options = program.opts<{ clients: number; duration: number; endpoint?: string; farms?: number; batchMin: number; batchMax: number; seed: number }>();
if (options.batchMin > options.batchMax) program.error(`--batch-min (${options.batchMin}) is more than --batch-max (${options.batchMax}).`);

const began = performance.now();
const log = (line: string) => process.stderr.write(`[load ${((performance.now() - began) / 1000).toFixed(1)} s] ${line}\n`);

let server: BenchServer | undefined;
let dataDir: string | undefined;
if (!options.endpoint) {
  ensureBuilt(log);
  dataDir = mkdtempSync(join(tmpdir(), 'farmtally-load-'));
  server = await startServer(dataDir);
  log(`server ${server.url} on ${dataDir}`);
}
const url = options.endpoint ?? server!.url;
const loadBefore = loadavg()[0]!;
let problems: string[];
try {
  const result = await runLoad({ url, clients: options.clients, durationMs: options.duration * 1000, farms: options.farms, batchMin: options.batchMin, batchMax: options.batchMax, seed: options.seed, log });
  problems = loadProblems(result);
  const calls = result.summaries.reduce((n, s) => n + s.calls, 0);
  const ingest = result.summaries.find((s) => s.operation === 'IngestSessions');
  const lines = [
    `### ${options.clients} clients, ${options.duration} s, ${result.farms.length} farms, batches of ${options.batchMin}-${options.batchMax} records`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; load average (1 min) ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after. Node ${process.version}.`,
    '',
    statsTable(result.summaries, result.seconds),
    '',
    // The figures issue 15's target is stated in (ingest p50 ≤ 100 ms, ≥ 150 batches/s with 50 clients), on a line of their own.
    ingest
      ? `Ingest: ${(ingest.ok / result.seconds).toFixed(1)} batches/s acknowledged (${ingest.ok} of ${ingest.calls}), p50 ${ingest.p50.toFixed(0)} ms, p99 ${ingest.p99.toFixed(0)} ms, batches of ${options.batchMin}-${options.batchMax} records.`
      : 'Ingest: no batch was sent.',
    `Throughput: ${(calls / result.seconds).toFixed(1)} calls/s in all; ${result.acknowledged} sessions acknowledged (${(result.acknowledged / result.seconds).toFixed(0)} records/s ingested).`,
    `Stored = acknowledged: ${result.farms.every((f) => f.stored === f.acknowledged) ? `yes, on all ${result.farms.length} farms` : 'NO (see below)'}.`,
    `Errors other than throttling: ${result.unexpected.length ? result.unexpected.reduce((n, e) => n + e.count, 0) : 'none'}.`,
  ];
  if (server) lines.push(`Peak resident memory of the server (VmHWM): ${Math.round(server.peakMiB())} MiB.`);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
if (problems.length) {
  process.stdout.write(`\nFAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
