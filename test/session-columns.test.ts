// A session's columns are declared once (src/store/duckdb/session-columns.ts) and the table
// is made from that declaration; what the compiler cannot see is checked here: the engine
// makes the table as declared, and a data file written before a column existed still has
// to get it from a migration step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { FIRST_COLUMNS } from '../src/store/duckdb/migrations.js';
import { SCHEMA } from '../src/store/duckdb/schema.js';
import { SESSION_COLUMN_LIST, SESSION_COLUMNS } from '../src/store/duckdb/session-columns.js';

test('the sessions table holds each declared column, in order, with its type and nullability', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const statement of SCHEMA) await connection.run(statement);
    const reader = await connection.runAndReadAll(
      `SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = 'sessions' ORDER BY column_index LIMIT ${SESSION_COLUMNS.length}`,
    );
    const made = reader.getRowObjects().map((c) => `${c.column_name} ${c.data_type}${c.is_nullable ? '' : ' NOT NULL'}`);
    assert.deepEqual(made, SESSION_COLUMNS.map((c) => `${c.column} ${c.type}${c.nullable ? '' : ' NOT NULL'}`));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

test('the declared session columns are those of every data file since 0.1.0', () => {
  // A field added to the record (and so to the declaration) is a column that files written
  // before it lack: CREATE TABLE IF NOT EXISTS leaves their table as it is. It needs a step in
  // migrate() (migrations.ts, tried by test/store-upgrade.test.ts) that rebuilds the table in
  // the declared order, as addSessionCodes does: the Appenders write a row by position, and
  // ALTER TABLE ADD COLUMN would put the column last. Then name the column here after FIRST_COLUMNS.
  assert.equal(SESSION_COLUMN_LIST, FIRST_COLUMNS, 'a session column was added or renamed: see the comment above');
});
