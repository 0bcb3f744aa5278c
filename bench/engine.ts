// The engine's own time: the same SQL the server runs for an aggregation (the builders of
// src/store/duckdb/aggregation-sql.ts, in the order of aggregations.ts runAggregation), on
// the server's data file, opened the way the server opens it (Database.open: same threads
// and memory_limit). Run after the server has stopped: DuckDB allows one process per file.
import { BIGINT, LIST, listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { AggregationQuery } from '../src/store/aggregation-store.js';
import { fineGroupsStatements, groupsSql, longestSpanSql, missingRatesSql, rateTableStatements, resourceCodesSql, resultTable, storeRowsSql } from '../src/store/duckdb/aggregation-sql.js';
import type { Database } from '../src/store/duckdb/database.js';

export interface EngineRun {
  /** The groups query and the row storage, the bulk of an aggregation's work. */
  groupsAndStoreMs: number;
  /** Every statement runAggregation issues (rate and bucket tables, row count, missing rates too). */
  allMs: number;
  rows: number;
  /** Totals for checking other implementations against this one. */
  count: number;
  runtimeMs: number;
}

let runs = 0;

export async function runEngine(db: Database, q: AggregationQuery): Promise<EngineRun> {
  // Its own connection, as the server gives each aggregation (temp tables are per connection).
  const conn: DuckDBConnection = await db.connect();
  const id = `${'be7c4'}${String(++runs).padStart(27, '0')}`; // 32 hex digits, like a real aggregation ID
  try {
    const t0 = performance.now();
    for (const statement of rateTableStatements(q)) await conn.run(statement);
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ft_edges AS SELECT (generate_subscripts(e, 1) - 1)::INTEGER AS i, unnest(e) AS b FROM (SELECT $1::BIGINT[] AS e)`,
      [listValue(q.boundaries)],
      [LIST(BIGINT)],
    );
    await conn.run(`CREATE OR REPLACE TEMP TABLE ft_buckets AS SELECT i, b AS b_start, lead(b) OVER (ORDER BY i) AS b_end FROM ft_edges QUALIFY b_end IS NOT NULL`);
    const t1 = performance.now();
    // As the server does: the longest span picks the plan on a uniform grid.
    const resourceCodes = (await conn.runAndReadAll(resourceCodesSql(q))).getRowObjectsJS().map((r) => Number(r.code));
    const spanSql = longestSpanSql(q);
    const longestSpan = spanSql ? Number((await conn.runAndReadAll(spanSql)).getRowObjectsJS()[0]!.k) : undefined;
    for (const statement of fineGroupsStatements(q, { resourceCodes, longestSpan })) await conn.run(statement);
    await conn.run(groupsSql(q));
    const t2 = performance.now();
    const totals = (await db.all(`SELECT count(*) AS rows, sum(n) AS count, sum(runtime_ms_sum)::DOUBLE AS runtime_ms FROM ft_groups`, [], conn))[0]!;
    await db.all(missingRatesSql(q), [], conn);
    const t3 = performance.now();
    await conn.run(storeRowsSql(id, q));
    const t4 = performance.now();
    await conn.run(`DROP TABLE IF EXISTS ${resultTable(id)}`);
    return {
      groupsAndStoreMs: t2 - t1 + (t4 - t3),
      allMs: t4 - t0,
      rows: Number(totals.rows),
      count: Number(totals.count),
      runtimeMs: Number(totals.runtime_ms),
    };
  } finally {
    conn.closeSync();
  }
}
