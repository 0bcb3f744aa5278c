// `npm run bench -- [--sessions N] [--runs R] [--batch-size B] [--scale] [--write-docs]`: the benchmark suite.
// `npm run bench -- --engine clickhouse --clickhouse-url URL[,URL] --clickhouse-cluster NAME --state-url postgres://...
//   [--keep] [--no-import] [--ingest-path]`: the same on the cluster engine (bench/cluster/run-cluster.ts).
// Prints a line per phase (it runs for minutes), then the results, which it also writes to
// .bench/results-<sessions>.md (not tracked), and into BENCHMARKS.md only with --write-docs:
// a run for a look does not change the checkout.
import './quiet-sdk.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_BATCH_SIZE } from '../src/client/upload.js';
import { measure, type Measured } from './measure.js';
import { markdown, publish, writeReport } from './report.js';
import { wholeNumber } from '../src/cli/options.js';
import { clickhouseUrls } from '../src/cli/serve.js';
import { runClusterBench, type ClusterBenchOptions } from './cluster/run-cluster.js';
import { ensureBuilt, ROOT } from './server.js';

const options = new Command('bench')
  .description('Benchmark farmtally: ingest, aggregations end to end and in the engine, a JS floor, peak memory.')
  .option('--sessions <n>', 'sessions to generate', wholeNumber(100), 1_000_000)
  .option('--runs <n>', 'runs of each aggregation (the median is quoted)', wholeNumber(1), 5)
  .option('--batch-size <n>', 'records per ingest request', wholeNumber(1), DEFAULT_BATCH_SIZE)
  .option('--scale', 'also run at a tenth of the sessions and report the growth (automatic from 2 000 000)', false)
  .option('--write-docs', 'also write the results into BENCHMARKS.md (between its bench:results markers; bench:cluster for the cluster)', false)
  .addOption(new Option('--engine <engine>', 'duckdb: a server on a data folder; clickhouse: a server on the cluster named below').choices(['duckdb', 'clickhouse']).default('duckdb'))
  .option('--clickhouse-url <urls>', "clickhouse: each shard's HTTP URL, comma-separated, in the cluster's order", clickhouseUrls)
  .option('--clickhouse-cluster <name>', "clickhouse: the cluster's name in the shards' configuration", 'farmtally')
  .option('--state-url <url>', 'clickhouse: a PostgreSQL URL whose user may create databases (the run makes its own, and drops it)')
  .option('--keep', 'clickhouse: keep the scratch databases at the end (their names are printed)', false)
  .option('--no-import', 'clickhouse: skip `farmtally import` into a copy (a second ingest of every session)')
  .option('--ingest-path', 'clickhouse: then time the ingest path on the largest data, step by step (bench/cluster/ingest-path.ts)', false)
  .parse(process.argv)
  .opts<{ sessions: number; runs: number; batchSize: number; scale: boolean; writeDocs: boolean } & ClusterBenchOptions>();

const began = performance.now();
const loadStart = loadavg();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(1)} s] ${line}\n`);

ensureBuilt(log);
if (options.engine === 'clickhouse') {
  await runClusterBench(options, { began, loadStart, log });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'farmtally-bench-'));
  const sizes = options.scale || options.sessions >= 2_000_000 ? [Math.round(options.sessions / 10), options.sessions] : [options.sessions];
  const all: Measured[] = [];
  try {
    for (const sessions of sizes) {
      log(`=== ${sessions} sessions, ${options.runs} runs per aggregation (load average ${loadavg()[0]!.toFixed(1)})`);
      all.push(await measure(sessions, options.runs, options.batchSize, join(dir, String(sessions)), (line) => log(`${sessions}: ${line}`)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const section = markdown(all, { runs: options.runs, loadStart, totalSeconds: (performance.now() - began) / 1000, packageVersion: pkg.version });
  publish(section, join(ROOT, '.bench', `results-${options.sessions}.md`), log, options.writeDocs ? () => writeReport(join(ROOT, 'BENCHMARKS.md'), section) : undefined);
  log(`done in ${((performance.now() - began) / 1000).toFixed(0)} s`);
}
