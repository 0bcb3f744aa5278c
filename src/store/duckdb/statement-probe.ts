// Diagnosis: a writer transaction whose every statement also reports how many rows it read
// (DuckDB's EXPLAIN ANALYZE, cumulative_rows_scanned), so a test can hold the small-batch
// merge to reading no whole table. EXPLAIN ANALYZE runs the statement itself, so a write
// is done once; a read is run twice (once to count, once for its rows).
import type { WriterSql } from './connections.js';

export type StatementProbe = (sql: string, rowsScanned: number) => void;

const PROFILE = `SET custom_profiling_settings = '{"CUMULATIVE_ROWS_SCANNED": "true"}'`;

export function probing(tx: WriterSql, probe: StatementProbe): WriterSql {
  const scanned = async (sql: string, params?: Parameters<WriterSql['run']>[1]) => {
    await tx.run(PROFILE);
    try {
      const plan = (await tx.all(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params))[0]!;
      probe(sql, Number(JSON.parse(String(Object.values(plan).at(-1))).cumulative_rows_scanned));
    } finally {
      await tx.run('PRAGMA disable_profiling');
    }
  };
  return {
    ...tx,
    async all(sql, params) {
      await scanned(sql, params);
      return tx.all(sql, params);
    },
    async one(sql, params) {
      await scanned(sql, params);
      return tx.one(sql, params);
    },
    async run(sql, params) {
      // DDL has no plan to analyze; it reads no table.
      if (/^\s*CREATE\b/i.test(sql)) return tx.run(sql, params);
      await scanned(sql, params);
    },
  };
}
