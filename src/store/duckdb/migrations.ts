// Brings a data file written by an earlier farmtally up to the current schema, once, when the
// server opens it. Each step is one transaction: a crash part way leaves the file as it was.
import type { Database } from './database.js';
import { SCHEMA } from './schema.js';
import { OLD_RESULT_TABLE, RESULT_COLUMNS, RESULT_ROWS_TABLE } from './aggregation-sql.js';
import { addRunningSql, widenSpansSql } from './session-merge.js';
import { assignCodesSql, codeLookup, sessionKey } from './value-codes.js';

const SESSIONS_DDL = SCHEMA.find((s) => /CREATE TABLE IF NOT EXISTS sessions /.test(s))!;

/** Columns every version of `sessions` has had. */
const FIRST_COLUMNS = `farm_id, session_id, queue_id, job_id, job_name, user_id, fleet_id, worker_id, instance_type, started_at, ended_at, license_products, updated_at`;

/** 0.1.0 kept sessions without session_key, codes and span bounds: rebuild the table, and add them. */
async function addSessionCodes(db: Database): Promise<void> {
  const { columns, joins } = codeLookup('s');
  await db.transaction(async (tx) => {
    await tx.run(`ALTER TABLE sessions RENAME TO sessions_before_codes`);
    await tx.run(SESSIONS_DDL);
    await tx.run(assignCodesSql('sessions_before_codes'));
    await tx.run(`INSERT INTO sessions SELECT ${FIRST_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')}, ${sessionKey('s.session_id')}, ${columns}
      FROM sessions_before_codes s ${joins}`);
    await tx.run(`DROP TABLE sessions_before_codes`);
    await tx.run(widenSpansSql('sessions'));
    await tx.run(addRunningSql('sessions'));
  });
}

/** Before 0.2 each aggregation kept its rows in a table of its own: move them into the one table. */
async function gatherResultRows(db: Database, tables: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const table of tables) {
      const id = OLD_RESULT_TABLE.exec(table)![1]!;
      await tx.run(`INSERT INTO ${RESULT_ROWS_TABLE} (aggregation_id, ${RESULT_COLUMNS.join(', ')}) SELECT '${id}', * FROM ${table}`);
      await tx.run(`DROP TABLE ${table}`);
    }
  });
}

/**
 * Before 0.3 result rows had no created_at (the key a read of one result filters on): add it,
 * and give rows that lack it their aggregation's.
 */
async function keyResultRows(db: Database, addColumn: boolean): Promise<void> {
  await db.transaction(async (tx) => {
    if (addColumn) await tx.run(`ALTER TABLE ${RESULT_ROWS_TABLE} ADD COLUMN created_at BIGINT`);
    await tx.run(`UPDATE ${RESULT_ROWS_TABLE} r SET created_at = a.created_at FROM aggregations a WHERE r.created_at IS NULL AND a.aggregation_id = r.aggregation_id`);
  });
}

export async function migrate(db: Database, log: (message: string) => void = () => undefined): Promise<void> {
  const resultTables = (await db.all(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`))
    .map((t) => t.table_name as string)
    .filter((name) => OLD_RESULT_TABLE.test(name));
  if (resultTables.length) {
    log(`Upgrading the data file: moving the rows of ${resultTables.length} aggregations into one table (once)...`);
    await gatherResultRows(db, resultTables);
  }
  const resultColumns = await db.all(`SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = '${RESULT_ROWS_TABLE}'`);
  const keyed = resultColumns.some((c) => c.column_name === 'created_at');
  if (!keyed || resultTables.length) await keyResultRows(db, !keyed);
  const columns = await db.all(`SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'sessions'`);
  if (!columns.some((c) => c.column_name === 'session_key')) {
    const n = Number((await db.one(`SELECT count(*) AS n FROM sessions`))!.n);
    log(`Upgrading the data file: coding ${n} sessions for faster aggregations (once; a few seconds per million sessions)...`);
    await addSessionCodes(db);
  }
}
