// The cluster engine's own time: the ClickHouse SQL the server sends for an aggregation
// (store/clickhouse/aggregation-sql.ts, as store/cluster/index.ts runAggregation sends it:
// the same settings, the initiator picked in turn), on the snapshot of what is published,
// the rows read into memory; then the statement naming what had no rate. No API, polling or
// PostgreSQL (the result rows are stored there after COMPLETED). Each statement is logged by
// the shards (log_queries) under an ID of its own, so the rows each shard read and its
// memory can be read back from system.query_log.
import { randomBytes } from 'node:crypto';
import type { AggregationQuery } from '../../src/store/aggregation-store.js';
import { aggregationOutput } from '../../src/store/clickhouse/aggregation-rows.js';
import { aggregationSql, missingRatesSql, type AggregationTables, type BatchSnapshot, type FleetKinds } from '../../src/store/clickhouse/aggregation-sql.js';
import { identifier } from '../../src/store/clickhouse/schema.js';
import type { Shards } from '../../src/store/clickhouse/shards.js';

export interface ClusterEngineRun {
  /** The aggregation's statement, sent until its rows are parsed: the engine's part until COMPLETED. */
  groupsAndRowsMs: number;
  /** With the statement naming what had no rate. */
  allMs: number;
  rows: number;
  count: number;
  runtimeMs: number;
  /** The aggregation statement's query_id (the initiator's; the shards log theirs under it as initial_query_id). */
  queryId: string;
  sqlBytes: number;
}

export const tablesOf = (database: string): AggregationTables => ({ sessions: `${identifier(database)}.sessions`, superseded: `${identifier(database)}.superseded_local` });

export async function runClusterEngine(shards: Shards, q: AggregationQuery, snapshot: BatchSnapshot, fleets: FleetKinds, limits = { maxRows: 1_000_000, timeoutMs: 300_000 }): Promise<ClusterEngineRun> {
  const tables = tablesOf(shards.database);
  const queryId = `ftbench-${randomBytes(8).toString('hex')}`;
  const t0 = performance.now();
  const statement = aggregationSql(q, tables, snapshot, limits, fleets);
  const output = await shards.query(`${statement.sql}\nFORMAT JSONEachRow`, {
    settings: { ...statement.settings, max_execution_time: Math.ceil(limits.timeoutMs / 1000) + 1, timeout_overflow_mode: 'throw', log_queries: 1, query_id: queryId },
  });
  const result = aggregationOutput(output, q, limits);
  const t1 = performance.now();
  const missing = missingRatesSql(q, tables, snapshot, fleets);
  await shards.query(`${missing.sql}\nFORMAT JSONEachRow`, { settings: missing.settings });
  const t2 = performance.now();
  if (result.kind !== 'rows') throw new Error(`${result.maxRows}+ rows`);
  return {
    groupsAndRowsMs: t1 - t0,
    allMs: t2 - t0,
    rows: result.rows.length,
    count: result.rows.reduce((s, r) => s + r.count, 0),
    runtimeMs: Math.round(result.rows.reduce((s, r) => s + r.runtimeSeconds.sum * 1000, 0)),
    queryId,
    sqlBytes: Buffer.byteLength(statement.sql),
  };
}

export interface ShardQueryLog {
  /** Rows each shard read for its own part of the query, in shard order. */
  readRows: number[];
  /** Each shard's peak memory for the query, MiB (the initiator's includes merging the shards' groups). */
  memoryMiB: number[];
  /** The shard that started it (0-based). */
  initiator: number;
}

/**
 * What the shards logged for the queries, by initial query ID (waits for the logs to be
 * flushed). The initiator logs the whole query (its read_rows counts every shard's), the
 * others their part; the initiator's own rows are the total less the others'.
 */
export async function shardLogs(shards: Shards, queryIds: string[]): Promise<Map<string, ShardQueryLog>> {
  const out = new Map<string, ShardQueryLog>(queryIds.map((id) => [id, { readRows: Array(shards.count).fill(0), memoryMiB: Array(shards.count).fill(0), initiator: -1 }]));
  if (queryIds.length === 0) return out;
  const list = queryIds.map((id) => `'${id}'`).join(', ');
  const totals = new Map<string, number>();
  for (let shard = 0; shard < shards.count; shard++) {
    await shards.query('SYSTEM FLUSH LOGS', { shard }).catch(() => new Promise((r) => setTimeout(r, 8_000)));
    const rows = await shards.rows(
      `SELECT initial_query_id AS id, is_initial_query AS initial, max(read_rows) AS read_rows, max(memory_usage) AS memory FROM system.query_log
       WHERE type = 2 AND initial_query_id IN (${list}) GROUP BY initial_query_id, is_initial_query`,
      { shard },
    );
    for (const r of rows) {
      const log = out.get(r.id as string)!;
      log.memoryMiB[shard] = Math.max(log.memoryMiB[shard]!, Number(r.memory) / 2 ** 20);
      if (Number(r.initial)) {
        log.initiator = shard;
        totals.set(r.id as string, Number(r.read_rows));
      } else {
        log.readRows[shard] = Number(r.read_rows);
      }
    }
  }
  for (const [id, log] of out) {
    if (log.initiator >= 0) log.readRows[log.initiator] = (totals.get(id) ?? 0) - log.readRows.reduce((a, b) => a + b, 0);
  }
  return out;
}
