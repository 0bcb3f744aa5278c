// One full benchmark at one size: ingest (two ways), the four aggregations end to end and in
// the engine, the typed-array floor, and the server's peak memory. Every baseline a ratio
// uses is measured here, in the same run, on the same data.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { clientFor } from '../src/client/deadline-client.js';
import { uploadFile } from '../src/client/file-upload.js';
import { ingestUrl, Upload } from '../src/client/upload.js';
import { createDemoFarm } from '../src/demo/create-farm.js';
import { demoRateCard } from '../src/demo/farm.js';
import { generateSessions, type DemoIds } from '../src/demo/generate.js';
import { seedOf } from '../src/demo/random.js';
import { writeNdjson } from '../src/demo/write-file.js';
import { loadRateCard } from '../src/server.js';
import { Database } from '../src/store/duckdb/database.js';
import { BENCH_PAGE_ROWS, endToEnd } from './end-to-end.js';
import { runEngine } from './engine.js';
import { loadUsage, scanQ1 } from './floor.js';
import { engineQuery, QUERIES, sdkInput, zoneOf } from './queries.js';
import { BIN, memoryOf, startServer } from './server.js';

const SEED = seedOf('1');

export interface Ingest {
  records: number;
  seconds: number;
  /** Route only: waiting for the answers after each batch's last byte (the server's work after the upload). */
  commitWaitSeconds?: number;
}

export interface QueryResult {
  name: string;
  what: string;
  /** Rows per page asked for. */
  pageRows: number;
  rows: number;
  pages: number;
  e2eMs: number[];
  doneMs: number[];
  engineMs: number[];
  engineAllMs: number[];
  engineRows: number;
}

export interface Measured {
  sessions: number;
  /** Records per ingest request. */
  batch: number;
  usageRecords: number;
  fileMiB: number;
  generateRps: number;
  route: Ingest;
  importCli: Ingest;
  queries: QueryResult[];
  floorMs: number[];
  floorCheck: string;
  memory: { serverPeakMiB: number; serverAfterIngestMiB: number; importServerPeakMiB: number; benchPeakMiB: number };
  seconds: number;
}

export type Log = (line: string) => void;

export async function runImportCli(file: string, farmId: string, url: string, batch: number, log: Log): Promise<Ingest> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'import', file, '--farm', farmId, '--endpoint', url, '--batch-size', String(batch)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  let shown = performance.now();
  child.stderr.on('data', (d) => {
    output += d;
    // The CLI's own progress lines, passed on every 10 s or so.
    const lines = String(d).trim().split('\n');
    if (performance.now() - shown < 10_000) return;
    shown = performance.now();
    log(lines[lines.length - 1]!.trim());
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  const received = /received (\d+)/.exec(output);
  if (code !== 0 || !received) throw new Error(`farmtally import failed (${code}):\n${output}`);
  return { records: Number(received[1]), seconds };
}

/** A progress callback that logs at most every 10 s, for the phases that take minutes. */
export function every10s(log: Log, total: number, what: string): (n: number) => void {
  let last = performance.now();
  return (n) => {
    if (performance.now() - last < 10_000) return;
    last = performance.now();
    log(`${what}: ${n} of ${total}`);
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function measure(sessions: number, runs: number, batch: number, dir: string, log: Log): Promise<Measured> {
  const began = performance.now();
  mkdirSync(dir, { recursive: true });
  const records = (ids: DemoIds) => generateSessions(ids, { sessions, seed: SEED });

  // 1. The farm, on the main server: created through the SDK, then the server stops.
  const data = join(dir, 'data');
  let server = await startServer(data);
  const { farmId, ids } = await createDemoFarm(clientFor(server.url), 'Bench');
  await server.stop();
  // One file of sessions serves both ingest measurements: the import server starts on a copy
  // of this data folder, so it has the same farm, queues and fleets (and no sessions).
  log(`ingest: writing ${sessions} generated sessions to a file`);
  const file = join(dir, 'sessions.ndjson');
  let t = performance.now();
  await writeNdjson(file, records(ids), every10s(log, sessions, 'ingest: sessions written to the file'));
  const generateRps = sessions / ((performance.now() - t) / 1000);
  const fileMiB = statSync(file).size / 2 ** 20;

  // 2. `farmtally import` of the file, into a fresh server (a copy of the empty farm).
  const importData = join(dir, 'import-data');
  cpSync(data, importData, { recursive: true });
  const importServer = await startServer(importData);
  log(`import: farmtally import ${fileMiB.toFixed(0)} MiB in batches of ${batch}`);
  const importCli = await runImportCli(file, farmId, importServer.url, batch, log);
  const importServerPeakMiB = importServer.peakMiB();
  await importServer.stop();
  rmSync(importData, { recursive: true, force: true });
  log(`import: ${Math.round(importCli.records / importCli.seconds)} records/s`);

  // 3. The main server again, with the rate card (it names a fleet ID): the same file posted to
  // the route by `farmtally import`'s uploader in this process (no CLI process, no JSON), so the
  // client takes little from the server's cores.
  const pricing = join(dir, 'pricing.json');
  writeFileSync(pricing, JSON.stringify(demoRateCard(ids.fleetIds)));
  server = await startServer(data, ['--pricing', pricing]);
  log(`ingest: POST /ingest/v1 the file, batches of ${batch}`);
  t = performance.now();
  const upload = new Upload(ingestUrl(server.url, farmId), { format: 'ndjson', batchSize: batch });
  const posted = every10s(log, sessions, 'ingest: sessions posted');
  await uploadFile(file, upload, (_bytes, records) => posted(records)).finally(() => upload.dispose());
  const counts = upload.totals;
  const route = { records: counts.received, seconds: (performance.now() - t) / 1000, commitWaitSeconds: upload.commitWaitMs / 1000 };
  rmSync(file);
  const serverAfterIngestMiB = server.peakMiB();
  log(`ingest: ${Math.round(route.records / route.seconds)} records/s (created ${counts.created})`);

  // 4. End to end through the SDK.
  const { queries, q1InHundreds } = await timeQueriesEndToEnd(clientFor(server.url), farmId, ids, runs, log);
  const serverPeakMiB = server.peakMiB();
  await server.stop();

  // 5. The engine alone, on the same file, then the floor.
  const db = await Database.open({ dataDir: data });
  const rateCard = loadRateCard(pricing);
  const farm = (await db.one(`SELECT cost_scale_factor FROM farms WHERE farm_id = $1`, [farmId]))!;
  const costScaleFactor = Number(farm.cost_scale_factor);
  const asOfMs = Date.now();
  let floorCheck = '';
  for (const [i, q] of QUERIES.entries()) {
    const query = engineQuery(q, farmId, ids, rateCard, costScaleFactor, asOfMs);
    for (let r = 0; r < runs; r++) {
      const e = await runEngine(db, query);
      queries[i]!.engineMs.push(e.groupsAndRowsMs);
      queries[i]!.engineAllMs.push(e.allMs);
      queries[i]!.engineRows = e.rows;
      if (q.name === 'Q1') floorCheck = `${e.rows} rows, ${e.count} records, ${e.runtimeMs} ms`;
    }
    log(`engine: ${q.name} ${Math.round(median(queries[i]!.engineMs))} ms median (${queries[i]!.engineRows} rows)`);
  }
  Object.assign(q1InHundreds, { engineMs: queries[0]!.engineMs, engineAllMs: queries[0]!.engineAllMs, engineRows: queries[0]!.engineRows });
  queries.splice(1, 0, q1InHundreds);
  log('floor: loading usage records into typed arrays (not timed)');
  const usage = await loadUsage(db, farmId, ids.queueIds, rateCard, costScaleFactor, asOfMs);
  await db.close();
  const q1 = QUERIES[0]!;
  const zone = zoneOf(q1);
  const offsetMs = zone.kind === 'fixed' ? zone.offsetMinutes * 60_000 : 0;
  const floorMs: number[] = [];
  let floor = scanQ1(usage, Date.parse(q1.start), Date.parse(q1.end), offsetMs, 86_400_000, ids.queueIds.length); // warm-up (JIT)
  for (let r = 0; r < runs; r++) floorMs.push((floor = scanQ1(usage, Date.parse(q1.start), Date.parse(q1.end), offsetMs, 86_400_000, ids.queueIds.length)).ms);
  const floorSays = `${floor.rows} rows, ${floor.count} records, ${floor.runtimeMs} ms`;
  floorCheck = floorSays === floorCheck ? `matches the engine (${floorSays})` : `DIFFERS: floor ${floorSays}, engine ${floorCheck}`;
  log(`floor: Q1 ${median(floorMs).toFixed(1)} ms median; ${floorCheck}`);
  rmSync(data, { recursive: true, force: true });

  return {
    sessions,
    batch,
    usageRecords: usage.length,
    fileMiB,
    generateRps,
    route,
    importCli,
    queries,
    floorMs,
    floorCheck,
    memory: { serverPeakMiB, serverAfterIngestMiB, importServerPeakMiB, benchPeakMiB: memoryOf(process.pid)?.peakMiB ?? NaN },
    seconds: (performance.now() - began) / 1000,
  };
}

export { median };

/**
 * Every query end to end through the SDK, `runs` times each, Q1 also in the SDK's default
 * pages of 100 (its runs alternating with the others); `around` wraps each query's runs (the
 * cluster bench records the machine's load around each).
 */
export async function timeQueriesEndToEnd(
  client: DeadlineClient,
  farmId: string,
  ids: DemoIds,
  runs: number,
  log: Log,
  around: (name: string, work: () => Promise<void>) => Promise<void> = (_name, work) => work(),
): Promise<{ queries: QueryResult[]; q1InHundreds: QueryResult }> {
  const queries: QueryResult[] = [];
  const newResult = (q: (typeof QUERIES)[number], pageRows: number): QueryResult => ({ name: q.name, what: q.what, pageRows, rows: 0, pages: 0, e2eMs: [], doneMs: [], engineMs: [], engineAllMs: [], engineRows: 0 });
  const timeOnce = async (q: (typeof QUERIES)[number], result: QueryResult) => {
    const e = await endToEnd(client, sdkInput(q, farmId, ids), result.pageRows);
    Object.assign(result, { rows: e.rows, pages: e.pages });
    result.e2eMs.push(e.totalMs);
    result.doneMs.push(e.doneMs);
  };
  const q1InHundreds = newResult(QUERIES[0]!, 100);
  for (const [i, q] of QUERIES.entries()) {
    const result = newResult(q, BENCH_PAGE_ROWS);
    await around(`end to end: ${q.name}`, async () => {
      for (let r = 0; r < runs; r++) {
        await timeOnce(q, result);
        if (i === 0) await timeOnce(q, q1InHundreds);
      }
    });
    log(`end to end: ${q.name} ${Math.round(median(result.e2eMs))} ms median, ${result.rows} rows in ${result.pages} pages`);
    queries.push(result);
  }
  log(`end to end: Q1 in pages of 100 ${Math.round(median(q1InHundreds.e2eMs))} ms median, ${q1InHundreds.pages} pages`);
  return { queries, q1InHundreds };
}
