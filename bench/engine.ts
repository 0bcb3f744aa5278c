// The engine's own time: the same statements the server runs for an aggregation (the steps
// of src/store/duckdb/aggregation-steps.ts, then the count, rate check and row storage of
// aggregation-run.ts, timed apart here), on
// the server's data file, opened the way the server opens it (Database.open: same threads
// and memory_limit). Run after the server has stopped: DuckDB allows one process per file.
import type { AggregationQuery } from '../src/store/aggregation-store.js';
import { missingRatesSql, RESULT_ROWS_TABLE, storeRowsSql } from '../src/store/duckdb/aggregation-sql.js';
import { computeGroups, prepareBuckets, type Statements } from '../src/store/duckdb/aggregation-steps.js';
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
  const conn = await db.lease();
  const id = `${'be7c4'}${String(++runs).padStart(27, '0')}`; // 32 hex digits, like a real aggregation ID
  try {
    // The server's own steps (aggregations.ts), timed here instead of bounded and traced.
    const statements: Statements = { run: (sql, ...args) => conn.run(sql, ...args), read: (sql) => conn.all(sql) };
    const t0 = performance.now();
    await prepareBuckets(q, statements);
    const t1 = performance.now();
    await computeGroups(q, statements);
    const t2 = performance.now();
    const totals = (await conn.all(`SELECT count(*) AS rows, sum(n) AS count, sum(runtime_ms_sum)::DOUBLE AS runtime_ms FROM ft_groups`))[0]!;
    await conn.all(missingRatesSql(q));
    const t3 = performance.now();
    await conn.run(storeRowsSql(id, q));
    const t4 = performance.now();
    await conn.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = '${id}'`);
    return {
      groupsAndStoreMs: t2 - t1 + (t4 - t3),
      allMs: t4 - t0,
      rows: Number(totals.rows),
      count: Number(totals.count),
      runtimeMs: Number(totals.runtime_ms),
    };
  } finally {
    conn.close();
  }
}
