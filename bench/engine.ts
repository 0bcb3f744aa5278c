// The engine's own time: the same statements the server runs for an aggregation (the steps
// of src/store/duckdb/aggregation-steps.ts: the rate and bucket tables, the grouping, the
// result rows read into memory; then the rows stored, which the server does after COMPLETED),
// on the server's data file, opened the way the server opens it (Database.open: same threads
// and memory_limit). Run after the server has stopped: DuckDB allows one process per file.
import type { AggregationQuery } from '../src/store/aggregation-store.js';
import { RESULT_ROWS_TABLE, storeRowsSql } from '../src/store/duckdb/aggregation-sql.js';
import { computeGroups, prepareBuckets, readResultRows, type Statements } from '../src/store/duckdb/aggregation-steps.js';
import type { Database } from '../src/store/duckdb/database.js';

export interface EngineRun {
  /** The grouping and the read of the result rows: the engine's part of an aggregation until it is COMPLETED. */
  groupsAndRowsMs: number;
  /** Every statement the server runs for it: the rate and bucket tables too, and storing the rows (after COMPLETED). */
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
    const statements: Statements = { run: (sql, ...args) => conn.run(sql, ...args), read: (sql) => conn.all(sql), readColumns: (sql) => conn.columns(sql) };
    const t0 = performance.now();
    await prepareBuckets(q, statements);
    const t1 = performance.now();
    await computeGroups(q, statements);
    const rows = await readResultRows(q, statements);
    const t2 = performance.now();
    await conn.run(storeRowsSql(id, Date.now(), q));
    const t3 = performance.now();
    await conn.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = '${id}'`);
    return {
      groupsAndRowsMs: t2 - t1,
      allMs: t3 - t0,
      rows: rows.row_index!.length,
      count: rows.n!.reduce((sum: number, n) => sum + Number(n), 0),
      runtimeMs: rows.runtime_ms_sum!.reduce((sum: number, ms) => sum + Number(ms), 0),
    };
  } finally {
    conn.close();
  }
}
