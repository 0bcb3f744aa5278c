// Measurements for the projection of BENCHMARKS.md, "Cluster engine (issue 18)": how many
// batches a second PostgreSQL's one-row batch counter numbers and publishes; what the
// aggregation pays per superseded mark of the farm; how long the statement's text grows for
// long hourly ranges.
import { loadavg } from 'node:os';
import pg from 'pg';
import { demoRateCard } from '../../src/demo/farm.js';
import type { DemoIds } from '../../src/demo/generate.js';
import type { Shards } from '../../src/store/clickhouse/shards.js';
import { aggregationSql } from '../../src/store/clickhouse/aggregation-sql.js';
import { openPostgresState, type PostgresState } from '../../src/store/postgres/index.js';
import { median } from '../measure.js';
import { engineQuery, QUERIES, type BenchQuery } from '../queries.js';
import { int, ms, table } from '../report.js';
import { runClusterEngine, shardLogs, tablesOf } from './engine.js';
import { scratchName, type ClusterTarget, type ScratchDatabases } from './scratch.js';

/** Batches numbered (openBatch) and published per second by N clients at once, on a PostgreSQL database of its own. */
export async function batchNumbering(target: ClusterTarget, scratches: ScratchDatabases[], log: (line: string) => void): Promise<string> {
  const name = scratchName();
  const admin = new pg.Client({ connectionString: target.stateUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(target.stateUrl);
  url.pathname = `/${name}`;
  const rows: string[][] = [];
  const state = openPostgresState({ url: url.toString(), maxConnections: 32 });
  try {
    await state.migrate();
    const lease = { owner: 'bench', ttlMs: 600_000 };
    for (const publish of [false, true]) {
      for (const clients of [1, 4, 16]) {
        const load = loadavg()[0]!;
        const until = performance.now() + 5_000;
        let done = 0;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            while (performance.now() < until) {
              const seq = await state.openBatch(`farm-${c}`, lease);
              if (publish) await state.publishBatch(undefined, seq, { created: 1, updated: 0, unchanged: 0 });
              done++;
            }
          }),
        );
        const perSecond = done / ((performance.now() - t0) / 1000);
        rows.push([publish ? 'number, then publish (two statements, two commits)' : 'number only (openBatch)', int(clients), int(perSecond), load.toFixed(1)]);
        log(`batch numbering: ${publish ? 'open + publish' : 'open'}, ${clients} clients: ${Math.round(perSecond)}/s`);
      }
    }
  } finally {
    await state.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  void scratches;
  const fsync = await (async () => {
    const c = new pg.Client({ connectionString: target.stateUrl });
    await c.connect();
    try {
      return String((await c.query('SHOW fsync')).rows[0].fsync);
    } finally {
      await c.end();
    }
  })();
  return [
    `#### PostgreSQL batch numbering: batches a second, N clients at once for 5 s each (a database of its own; this PostgreSQL runs with fsync=${fsync})`,
    '',
    table(['what each client loops', 'clients', 'batches/s', 'load (1 min)'], rows),
  ].join('\n');
}

/**
 * Q1's ClickHouse SQL with the farm's superseded set grown by ghost marks (marks of versions
 * that do not exist, so the rows are the same), alternating two snapshots on the same data:
 * one that leaves the ghost marks out of the set (by_seq past it; they are still read) and
 * one that takes them in.
 */
export async function supersededProbe(shards: Shards, state: PostgresState, farmId: string, ids: DemoIds, runs: number, log: (line: string) => void): Promise<string> {
  const snapshot = await state.snapshot();
  const ghostSeq = snapshot.upTo + 1_000_000;
  const withGhosts = { upTo: ghostSeq, excluded: snapshot.excluded };
  const farm = (await state.getFarm(farmId))!;
  const fleets = { customerManaged: (await state.listFleets(farmId, { limit: 100 })).items.filter((f) => f.kind === 'customerManaged').map((f) => f.fleetId) };
  const q1 = engineQuery(QUERIES[0]!, farmId, ids, demoRateCard(ids.fleetIds), farm.costScaleFactor, Date.now());
  const marks = async () => Number((await shards.query(`SELECT count() FROM superseded_local WHERE farm_id = '${farmId}'`, { shard: 0 })).trim());
  const rows: string[][] = [];
  let ghosts = 0;
  for (const target of [0, 1_000_000, 5_000_000]) {
    if (target > ghosts) {
      await shards.onEach(`INSERT INTO superseded_local SELECT '${farmId}', concat('session-', lower(hex(MD5(toString(number))))), 0, ${ghostSeq} FROM numbers(${ghosts}, ${target - ghosts})`);
      ghosts = target;
    }
    const perShard = await marks();
    for (const [label, snap] of ghosts ? ([['ghosts out of the set', snapshot], ['ghosts in the set', withGhosts]] as const) : ([['no ghosts', snapshot]] as const)) {
      const times: number[] = [];
      const loads: number[] = [];
      let lastId = '';
      for (let r = 0; r < runs; r++) {
        loads.push(loadavg()[0]!);
        const e = await runClusterEngine(shards, q1, snap, fleets);
        times.push(e.groupsAndRowsMs);
        lastId = e.queryId;
      }
      const log1 = (await shardLogs(shards, [lastId])).get(lastId)!;
      rows.push([int(ghosts), int(perShard), label, `${ms(median(times))} (${ms(Math.min(...times))}–${ms(Math.max(...times))})`, log1.memoryMiB.map(int).join(' / '), loads.map((l) => l.toFixed(1)).join(', ')]);
      log(`superseded probe: ${ghosts} ghost marks per shard, ${label}: ${Math.round(median(times))} ms`);
    }
  }
  await shards.onEach(`ALTER TABLE superseded_local DELETE WHERE batch_seq = 0 AND by_seq = ${ghostSeq}`);
  return [
    '#### The superseded set: Q1 (the ClickHouse SQL alone) with the farm\'s marks grown by ghost marks per shard, the two snapshots alternating',
    '',
    table(['ghost marks per shard', 'farm\'s marks on shard 1', 'snapshot', 'Q1 ms median (min–max)', 'memory per shard MiB (last run)', 'load (1 min) at each run'], rows),
  ].join('\n');
}

/** The aggregation statement's size for long ranges, HOURLY and DAILY, in UTC (a uniform grid: no edges in the text) and in an IANA zone (every bucket's edge in the text). */
export function queryTextSizes(farmId: string, ids: DemoIds): string {
  const rows: string[][] = [];
  for (const [period, years] of [['HOURLY', 1], ['HOURLY', 5], ['DAILY', 10]] as const) {
    for (const timezone of ['UTC', 'America/New_York']) {
      const q: BenchQuery = { name: '', what: '', resourceKind: 'queue', start: '2021-01-01T05:00:00Z', end: `${2021 + years}-01-01T05:00:00Z`, timezone, period, groupBy: ['QUEUE_ID'], statistics: ['SUM'] };
      const query = engineQuery(q, farmId, ids, demoRateCard(ids.fleetIds), 1, Date.now());
      const sql = aggregationSql(query, tablesOf('db'), { upTo: 1, excluded: [] }, { maxRows: 1_000_000 }, { customerManaged: [] }).sql;
      rows.push([period, `${years} year${years > 1 ? 's' : ''}`, timezone, int(query.boundaries.length - 1), int(Buffer.byteLength(sql))]);
    }
  }
  return ['#### The aggregation statement\'s size for long ranges (by QUEUE_ID, 10 queues)', '', table(['period', 'range', 'time zone', 'buckets', 'SQL bytes'], rows)].join('\n');
}
