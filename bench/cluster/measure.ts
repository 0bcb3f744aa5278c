// One benchmark of the cluster engine at one size, the same steps as bench/measure.ts on the
// same generated data: the farm made through the SDK, the file ingested by `farmtally import`
// into a copy of the empty state and through the route, the four aggregations end to end,
// then the ClickHouse SQL alone and the floor. Every phase records the machine's load
// averages: the shards, PostgreSQL and the server share it (and other work with them).
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { clientFor } from '../../src/client/deadline-client.js';
import { uploadFile } from '../../src/client/file-upload.js';
import { ingestUrl, Upload } from '../../src/client/upload.js';
import { createDemoFarm } from '../../src/demo/create-farm.js';
import { demoRateCard } from '../../src/demo/farm.js';
import { generateSessions, type DemoIds } from '../../src/demo/generate.js';
import { seedOf } from '../../src/demo/random.js';
import { writeNdjson } from '../../src/demo/write-file.js';
import { loadRateCard } from '../../src/server.js';
import { Shards } from '../../src/store/clickhouse/shards.js';
import { openPostgresState } from '../../src/store/postgres/index.js';
import { scanQ1 } from '../floor.js';
import { every10s, median, runImportCli, timeQueriesEndToEnd, type Log, type Measured } from '../measure.js';
import { engineQuery, QUERIES, zoneOf } from '../queries.js';
import { memoryOf, startServer } from '../server.js';
import { runClusterEngine, shardLogs, type ShardQueryLog } from './engine.js';
import { loadClusterUsage } from './floor.js';
import { copyScratch, createScratch, dropScratch, serveArgs, type ClusterTarget, type ScratchDatabases } from './scratch.js';

const SEED = seedOf('1');

/** The 1, 5 and 15 minute load averages, as "1.2 / 1.5 / 1.9". */
export const loadNow = (): string => loadavg().map((l) => l.toFixed(1)).join(' / ');

export interface ClusterMeasured extends Measured {
  /** Load averages at the start and end of each phase. */
  loads: [phase: string, start: string, end: string][];
  /** Per query (in `queries` order, Q1 in pages of 100 second): what the shards logged for its last engine run. */
  shardLogs: (ShardQueryLog & { sqlBytes: number })[];
  clickhouseVersion: string;
  /** The data left on the shards, for the ingest-path measurements (dropped by the caller). */
  scratch: ScratchDatabases;
  farmId: string;
  ids: DemoIds;
  /** Each shard's share of the farm's rows. */
  rowsPerShard: number[];
  /** On-disk (compressed) bytes of each local table, summed over the shards. */
  tableBytes: Record<string, number>;
}

export interface ClusterMeasureOptions {
  sessions: number;
  runs: number;
  batch: number;
  dir: string;
  target: ClusterTarget;
  /** Also measure `farmtally import` into a copy of the empty state (a second ingest of every session). */
  importCli: boolean;
  /** Every scratch pair made is pushed here as it is made, for the caller to drop (or keep). */
  scratches: ScratchDatabases[];
  log: Log;
}

export async function measureCluster(o: ClusterMeasureOptions): Promise<ClusterMeasured> {
  const { sessions, runs, batch, dir, target, log } = o;
  const began = performance.now();
  mkdirSync(dir, { recursive: true });
  const loads: ClusterMeasured['loads'] = [];
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const start = loadNow();
    const result = await work();
    loads.push([name, start, loadNow()]);
    return result;
  };
  const records = (ids: DemoIds) => generateSessions(ids, { sessions, seed: SEED });
  const serverDir = join(dir, 'server');
  mkdirSync(serverDir, { recursive: true });

  // 1. The farm, through the SDK on a server of the scratch pair; then the server stops.
  const scratch = await createScratch(target);
  o.scratches.push(scratch);
  log(`scratch databases ${scratch.name} (PostgreSQL ${new URL(scratch.stateUrl).host}, shards ${scratch.clickhouseUrls.join(', ')})`);
  let server = await startServer(serverDir, serveArgs(scratch));
  const { farmId, ids } = await createDemoFarm(clientFor(server.url), 'Bench');
  await server.stop();
  log(`ingest: writing ${sessions} generated sessions to a file`);
  const file = join(dir, 'sessions.ndjson');
  let t = performance.now();
  await writeNdjson(file, records(ids), every10s(log, sessions, 'ingest: sessions written to the file'));
  const generateRps = sessions / ((performance.now() - t) / 1000);
  const fileMiB = statSync(file).size / 2 ** 20;

  // 2. `farmtally import` into a copy of the empty state (new shard tables), then dropped.
  let importCli = { records: 0, seconds: NaN };
  let importServerPeakMiB = NaN;
  if (o.importCli) {
    const copy = await copyScratch(target, scratch);
    o.scratches.push(copy);
    try {
      const importServer = await startServer(serverDir, serveArgs(copy));
      log(`import: farmtally import ${fileMiB.toFixed(0)} MiB in batches of ${batch}`);
      importCli = await phase('ingest: farmtally import', () => runImportCli(file, farmId, importServer.url, batch, log));
      importServerPeakMiB = importServer.peakMiB();
      await importServer.stop();
      log(`import: ${Math.round(importCli.records / importCli.seconds)} records/s`);
    } finally {
      await dropScratch(target, copy);
      o.scratches.splice(o.scratches.indexOf(copy), 1);
    }
  }

  // 3. The route, on the main pair, with the rate card.
  const pricing = join(dir, 'pricing.json');
  writeFileSync(pricing, JSON.stringify(demoRateCard(ids.fleetIds)));
  server = await startServer(serverDir, [...serveArgs(scratch), '--pricing', pricing]);
  log(`ingest: POST /ingest/v1 the file, batches of ${batch}`);
  const route = await phase('ingest: the route', async () => {
    const t0 = performance.now();
    const upload = new Upload(ingestUrl(server.url, farmId), { format: 'ndjson', batchSize: batch });
    const posted = every10s(log, sessions, 'ingest: sessions posted');
    await uploadFile(file, upload, (_bytes, n) => posted(n)).finally(() => upload.dispose());
    return { records: upload.totals.received, created: upload.totals.created, seconds: (performance.now() - t0) / 1000, commitWaitSeconds: upload.commitWaitMs / 1000 };
  });
  rmSync(file);
  const serverAfterIngestMiB = server.peakMiB();
  log(`ingest: ${Math.round(route.records / route.seconds)} records/s (created ${route.created})`);

  // 4. End to end through the SDK.
  const { queries, q1InHundreds } = await timeQueriesEndToEnd(clientFor(server.url), farmId, ids, runs, log, phase);
  const serverPeakMiB = server.peakMiB();
  await server.stop();

  // 5. The ClickHouse SQL alone, on the same data and snapshot, then the floor.
  const shards = new Shards(scratch.clickhouseUrls, scratch.clickhouseDatabase);
  const state = openPostgresState({ url: scratch.stateUrl });
  const logs: ClusterMeasured['shardLogs'] = [];
  let floorCheck = '';
  const floorMs: number[] = [];
  let usageRecords = 0;
  try {
    const snapshot = await state.snapshot();
    const farm = (await state.getFarm(farmId))!;
    const fleets = await state.listFleets(farmId, { limit: 100 });
    const customerManaged = fleets.items.filter((f) => f.kind === 'customerManaged').map((f) => f.fleetId);
    const rateCard = loadRateCard(pricing);
    const asOfMs = Date.now();
    const lastIds: string[] = [];
    for (const [i, q] of QUERIES.entries()) {
      const query = engineQuery(q, farmId, ids, rateCard, farm.costScaleFactor, asOfMs);
      let last: Awaited<ReturnType<typeof runClusterEngine>> | undefined;
      await phase(`engine: ${q.name}`, async () => {
        for (let r = 0; r < runs; r++) {
          const e = (last = await runClusterEngine(shards, query, snapshot, { customerManaged }));
          queries[i]!.engineMs.push(e.groupsAndRowsMs);
          queries[i]!.engineAllMs.push(e.allMs);
          queries[i]!.engineRows = e.rows;
          if (q.name === 'Q1') floorCheck = `${e.rows} rows, ${e.count} records, ${e.runtimeMs} ms`;
        }
      });
      lastIds.push(last!.queryId);
      logs.push({ readRows: [], memoryMiB: [], initiator: -1, sqlBytes: last!.sqlBytes });
      log(`engine: ${q.name} ${Math.round(median(queries[i]!.engineMs))} ms median (${queries[i]!.engineRows} rows)`);
    }
    const logged = await shardLogs(shards, lastIds);
    lastIds.forEach((id, i) => Object.assign(logs[i]!, logged.get(id)));
    Object.assign(q1InHundreds, { engineMs: queries[0]!.engineMs, engineAllMs: queries[0]!.engineAllMs, engineRows: queries[0]!.engineRows });
    queries.splice(1, 0, q1InHundreds);
    logs.splice(1, 0, logs[0]!);

    log('floor: loading usage records from the shards into typed arrays (not timed)');
    const usage = await loadClusterUsage(shards.urls[0]!, shards.database, farmId, snapshot, ids.queueIds, new Set(customerManaged), rateCard, farm.costScaleFactor, asOfMs);
    usageRecords = usage.length;
    const q1 = QUERIES[0]!;
    const zone = zoneOf(q1);
    const offsetMs = zone.kind === 'fixed' ? zone.offsetMinutes * 60_000 : 0;
    const scan = () => scanQ1(usage, Date.parse(q1.start), Date.parse(q1.end), offsetMs, 86_400_000, ids.queueIds.length);
    let floor = scan(); // warm-up (JIT)
    for (let r = 0; r < runs; r++) floorMs.push((floor = scan()).ms);
    const floorSays = `${floor.rows} rows, ${floor.count} records, ${floor.runtimeMs} ms`;
    floorCheck = floorSays === floorCheck ? `matches the engine (${floorSays})` : `DIFFERS: floor ${floorSays}, engine ${floorCheck}`;
    log(`floor: Q1 ${median(floorMs).toFixed(1)} ms median; ${floorCheck}`);
  } finally {
    await state.close();
  }
  const version = (await shards.query('SELECT version()', { shard: 0 })).trim();
  const rowsPerShard = await Promise.all(shards.urls.map(async (_, shard) => Number((await shards.query(`SELECT count() FROM sessions_local`, { shard })).trim())));
  const tableBytes: Record<string, number> = {};
  for (let shard = 0; shard < shards.count; shard++) {
    for (const r of await shards.rows(`SELECT table, sum(bytes_on_disk) AS bytes FROM system.parts WHERE active AND database = '${shards.database}' GROUP BY table`, { shard })) {
      tableBytes[r.table as string] = (tableBytes[r.table as string] ?? 0) + Number(r.bytes);
    }
  }

  return {
    sessions,
    batch,
    usageRecords,
    fileMiB,
    generateRps,
    route,
    importCli,
    queries,
    floorMs,
    floorCheck,
    memory: { serverPeakMiB, serverAfterIngestMiB, importServerPeakMiB, benchPeakMiB: memoryOf(process.pid)?.peakMiB ?? NaN },
    seconds: (performance.now() - began) / 1000,
    loads,
    shardLogs: logs,
    clickhouseVersion: version,
    scratch,
    farmId,
    ids,
    rowsPerShard,
    tableBytes,
  };
}
