// Brings a data file written by an earlier farmtally up to the current schema, once, when the
// server opens it. Each step is one transaction: a crash part way leaves the file as it was.
// A file opened read-only cannot be upgraded: it is only checked (requireCurrentSchema).
import { DuckDBInstance } from '@duckdb/node-api';
import { readRows } from './connections.js';
import type { Database } from './database.js';
import { SCHEMA } from './schema.js';
import { OLD_RESULT_TABLE, RESULT_COLUMNS, RESULT_ROWS_TABLE } from './aggregation-sql.js';
import { addRunningSql, jobKeySql, widenSpansSql } from './session-merge.js';
import { assignCodesSql, CODED_COLUMNS, codeLookup, sessionKey } from './value-codes.js';

const SESSIONS_DDL = SCHEMA.find((s) => /CREATE TABLE IF NOT EXISTS sessions /.test(s))!;

/** Columns every version of `sessions` has had. */
export const FIRST_COLUMNS = `farm_id, session_id, queue_id, job_id, job_name, user_id, fleet_id, worker_id, instance_type, started_at, ended_at, license_products, updated_at`;

/** 0.1.0 kept sessions without session_key, codes and span bounds: rebuild the table, and add them. */
async function addSessionCodes(db: Database): Promise<void> {
  const { columns, joins } = codeLookup('s');
  await db.transaction(async (tx) => {
    await tx.run(`ALTER TABLE sessions RENAME TO sessions_before_codes`);
    await tx.run(SESSIONS_DDL);
    await tx.run(assignCodesSql('sessions_before_codes'));
    await tx.run(`INSERT INTO sessions (${FIRST_COLUMNS}, session_key, ${CODED_COLUMNS.map((c) => c.code).join(', ')}, seq)
      SELECT ${FIRST_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')}, ${sessionKey('s.session_id')}, ${columns}, s.rowid
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

const columnsOf = async (db: Database, table: string) =>
  new Set(
    (await db.all(`SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1`, [table])).map(
      (c) => c.column_name as string,
    ),
  );

/**
 * Before 0.3 sessions had no seq, jobs no job_key or last_ended_at, running sessions no job:
 * what the writer of small batches finds sessions and jobs by (schema.ts). Filled from what
 * is stored, once; a session's seq is its row's place, so rows lie in seq order.
 */
async function addWriterColumns(db: Database, missing: { seq: boolean; jobKey: boolean; runningJob: boolean }): Promise<void> {
  await db.transaction(async (tx) => {
    if (missing.seq) {
      await tx.run(`ALTER TABLE sessions ADD COLUMN seq BIGINT`);
      await tx.run(`UPDATE sessions SET seq = rowid`);
    }
    if (missing.jobKey) {
      await tx.run(`ALTER TABLE jobs ADD COLUMN job_key VARCHAR`);
      await tx.run(`ALTER TABLE jobs ADD COLUMN last_ended_at BIGINT`);
      await tx.run(`UPDATE jobs SET job_key = ${jobKeySql('farm_id', 'job_id')}`);
      await tx.run(`UPDATE jobs SET last_ended_at = ends.last_ended_at
        FROM (SELECT farm_id AS ends_farm, job_id AS ends_job, max(ended_at) AS last_ended_at FROM sessions GROUP BY ALL) ends
        WHERE ends.ends_farm = jobs.farm_id AND ends.ends_job = jobs.job_id`);
    }
    if (missing.runningJob) {
      await tx.run(`ALTER TABLE running_sessions ADD COLUMN job_id VARCHAR`);
      await tx.run(`UPDATE running_sessions SET job_id = s.job_id FROM sessions s
        WHERE s.farm_id = running_sessions.farm_id AND s.session_id = running_sessions.session_id`);
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

/**
 * Steps for what an older file has in another form. A table new to the schema (budgets) needs
 * none: SCHEMA's CREATE TABLE IF NOT EXISTS, run at every writable open, adds it empty; a
 * read-only open of a file without it is refused by requireCurrentSchema.
 */
export async function migrate(db: Database, log: (message: string) => void = () => undefined): Promise<void> {
  const resultTables = (await db.all(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`))
    .map((t) => t.table_name as string)
    .filter((name) => OLD_RESULT_TABLE.test(name));
  if (resultTables.length) {
    log(`Upgrading the data file: moving the rows of ${resultTables.length} aggregations into one table (once)...`);
    await gatherResultRows(db, resultTables);
  }
  const keyed = (await columnsOf(db, RESULT_ROWS_TABLE)).has('created_at');
  if (!keyed || resultTables.length) await keyResultRows(db, !keyed);
  if (!(await columnsOf(db, 'sessions')).has('session_key')) {
    const n = Number((await db.one(`SELECT count(*) AS n FROM sessions`))!.n);
    log(`Upgrading the data file: coding ${n} sessions for faster aggregations (once; a few seconds per million sessions)...`);
    await addSessionCodes(db);
  }
  const sessionColumns = await columnsOf(db, 'sessions');
  const missing = {
    seq: !sessionColumns.has('seq'),
    jobKey: !(await columnsOf(db, 'jobs')).has('job_key'),
    runningJob: !(await columnsOf(db, 'running_sessions')).has('job_id'),
  };
  if (missing.seq || missing.jobKey || missing.runningJob) {
    log(`Upgrading the data file: numbering sessions and keying jobs for streaming ingest (once; a few seconds per million sessions)...`);
    await addWriterColumns(db, missing);
  }
  // Sessions written before batch IDs name none: the column is added last, after seq, as SCHEMA declares it.
  // They keep NULL: no batch ID was ever answered for them.
  if (!(await columnsOf(db, 'sessions')).has('batch_id')) {
    log(`Upgrading the data file: sessions now name the ingest batch that wrote them (once)...`);
    await db.run(`ALTER TABLE sessions ADD COLUMN batch_id BIGINT`);
  }
  // A file whose budgets came before the tracker: the column goes last, as SCHEMA declares it.
  if (!(await columnsOf(db, 'budgets')).has('queue_stopped_at')) await db.run(`ALTER TABLE budgets ADD COLUMN queue_stopped_at BIGINT`);
  // A file whose budgets came before fleet and farm budgets and recurring windows: a budget may have no queue.
  if (!(await columnsOf(db, 'budgets')).has('fleet_id')) {
    await db.run(`ALTER TABLE budgets ALTER COLUMN queue_id DROP NOT NULL`);
    await db.run(`ALTER TABLE budgets ADD COLUMN fleet_id VARCHAR`);
  }
  if (!(await columnsOf(db, 'budgets')).has('recurring')) await db.run(`ALTER TABLE budgets ADD COLUMN recurring VARCHAR`);
  if (!(await columnsOf(db, 'budgets')).has('user_id')) await db.run(`ALTER TABLE budgets ADD COLUMN user_id VARCHAR`);
  // Made here rather than in SCHEMA: an older file gets the column first.
  await db.run(`CREATE UNIQUE INDEX IF NOT EXISTS jobs_by_key ON jobs (job_key)`);
  if (db.replayedWal) await rebuildJobKeys(db);
}

/**
 * Builds jobs_by_key again from the jobs table. DuckDB 1.5 replays a WAL's deletes from a
 * table without taking their keys out of a unique index made by CREATE INDEX (a primary
 * key's is right): the next checkpoint then stores the index with the deleted jobs' keys,
 * and a job of that ID created later is refused as a duplicate, for good. Measured here: a
 * deletion's commit, kill -9, a restart, a stop, a start, then the same jobs sent again
 * (test/crash/deletion-kill.test.ts). So after any opening that replayed a WAL, before anything
 * is written or checkpointed, the index is made again from the rows as they are: a fraction
 * of a second per 100 000 jobs, only after an unclean stop.
 */
export async function rebuildJobKeys(db: Database): Promise<void> {
  // Two commits (DuckDB 1.5 refuses the CREATE in the DROP's transaction): a stop between
  // them leaves no index, which the next start makes (migrate, IF NOT EXISTS).
  await db.run(`DROP INDEX IF EXISTS jobs_by_key`);
  await db.run(`CREATE UNIQUE INDEX jobs_by_key ON jobs (job_key)`);
}

const COLUMNS_SQL = `SELECT table_name || '.' || column_name AS name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'`;

/**
 * For a file opened read-only: refuses one that lacks a table or column of the current
 * schema (an earlier farmtally wrote it, and only a server, opening it to write, upgrades
 * it). What the schema declares is read from SCHEMA run on an empty database in memory.
 */
export async function requireCurrentSchema(db: Database, dataDir: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  let declared: string[];
  try {
    for (const statement of SCHEMA) await connection.run(statement);
    declared = (await readRows(connection, COLUMNS_SQL)).map((r) => r.name as string);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const found = new Set((await db.all(COLUMNS_SQL)).map((r) => r.name as string));
  const missing = declared.filter((c) => !found.has(c));
  if (missing.length) {
    throw new Error(
      `${dataDir} was written by an earlier farmtally (it has no ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}). ` +
        `Start farmtally serve --data ${dataDir} once (it upgrades the data), stop it, then try again.`,
    );
  }
}
