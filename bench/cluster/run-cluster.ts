// `npm run bench -- --engine clickhouse ...`: the benchmark on the cluster engine. Scratch
// databases of the run's own (bench/cluster/scratch.ts), the same sizes as the DuckDB run
// (a tenth too from 2 000 000 sessions), then with --ingest-path the ingest path step by step
// on the largest data (bench/cluster/ingest-path.ts). Results are printed and written to
// .bench/cluster-results-<sessions>.md; into BENCHMARKS.md (its bench:cluster markers) only
// with --write-docs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { publish, writeBetweenMarkers } from '../report.js';
import { ROOT } from '../server.js';
import { measureIngestPath } from './ingest-path.js';
import { loadNow, measureCluster, type ClusterMeasured } from './measure.js';
import { clusterMarkdown, END, START } from './report.js';
import { dropScratch, type ClusterTarget, type ScratchDatabases } from './scratch.js';

export interface ClusterBenchOptions {
  engine: 'duckdb' | 'clickhouse';
  clickhouseUrl?: string[];
  clickhouseCluster: string;
  stateUrl?: string;
  keep: boolean;
  import: boolean;
  ingestPath: boolean;
}

interface Common {
  sessions: number;
  runs: number;
  batchSize: number;
  scale: boolean;
  writeDocs: boolean;
}

export async function runClusterBench(options: ClusterBenchOptions & Common, ctx: { began: number; loadStart: number[]; log: (line: string) => void }): Promise<void> {
  const { log } = ctx;
  if (!options.clickhouseUrl || !options.stateUrl) throw new Error('--engine clickhouse needs --clickhouse-url URL[,URL...] and --state-url postgres://...');
  const target: ClusterTarget = { clickhouseUrls: options.clickhouseUrl, clickhouseCluster: options.clickhouseCluster, stateUrl: options.stateUrl };
  const admin = new pg.Client({ connectionString: target.stateUrl });
  await admin.connect();
  const postgresVersion = String((await admin.query('SHOW server_version')).rows[0].server_version);
  await admin.end();

  const dir = mkdtempSync(join(tmpdir(), 'farmtally-bench-cluster-'));
  const sizes = options.scale || options.sessions >= 2_000_000 ? [Math.round(options.sessions / 10), options.sessions] : [options.sessions];
  const all: ClusterMeasured[] = [];
  const scratches: ScratchDatabases[] = [];
  const extra: string[] = [];
  try {
    for (const [i, sessions] of sizes.entries()) {
      log(`=== cluster, ${sessions} sessions, ${options.runs} runs per aggregation (load ${loadNow()})`);
      const m = await measureCluster({ sessions, runs: options.runs, batch: options.batchSize, dir: join(dir, String(sessions)), target, importCli: options.import, scratches, log: (line) => log(`${sessions}: ${line}`) });
      all.push(m);
      // The smaller data is done with; the largest stays for the ingest path.
      if (i < sizes.length - 1 && !options.keep) {
        await dropScratch(target, m.scratch);
        scratches.splice(scratches.indexOf(m.scratch), 1);
      }
    }
    if (options.ingestPath) {
      const big = all[all.length - 1]!;
      extra.push(await measureIngestPath({ target, scratch: big.scratch, farmId: big.farmId, ids: big.ids, sessions: big.sessions, runs: options.runs, largeBatch: options.batchSize, log: (line) => log(`ingest path: ${line}`), scratches }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (options.keep) log(`kept the scratch databases: ${scratches.map((s) => s.name).join(', ')}`);
    else for (const s of scratches) await dropScratch(target, s).catch((err) => log(`dropping ${s.name} failed: ${String(err)}`));
  }

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const section = clusterMarkdown(all, { runs: options.runs, loadStart: ctx.loadStart, totalSeconds: (performance.now() - ctx.began) / 1000, packageVersion: pkg.version, shards: target.clickhouseUrls.length, cluster: target.clickhouseCluster, postgresVersion }, extra);
  publish(section, join(ROOT, '.bench', `cluster-results-${options.sessions}.md`), log, options.writeDocs
    ? () => writeBetweenMarkers(join(ROOT, 'BENCHMARKS.md'), section, { start: START, end: END }, (text) => `${text.trimEnd()}\n\n${START}\n${END}\n`)
    : undefined);
  log(`done in ${((performance.now() - ctx.began) / 1000).toFixed(0)} s`);
}
