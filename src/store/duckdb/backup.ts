// Backups: a copy of the data file made with DuckDB's `COPY FROM DATABASE` into a new file.
// It is one statement in auto-commit, so one transaction, so it reads one snapshot: every
// transaction committed before it began (every acknowledged batch), none in part, whatever
// the writer commits meanwhile on its own connection. Tables, indexes, constraints and
// sequences are copied; the copy is a farmtally data file as it is (`serve --data` on a
// folder holding it), upgraded on first start like any other. Copying the file's bytes
// instead would not do while the server runs: the writer and its checkpoints change the
// file and its WAL under the copy.
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { StorageFault, type Backup } from '../store.js';
import { readRows, type Sql } from './connections.js';
import type { Database } from './database.js';

/** The data file's name in a data folder (database.ts opens it there); in domain/ for the command line. */
import { DATA_FILE } from '../../domain/server-defaults.js';
export { DATA_FILE };

const PENDING = /^backup-[0-9a-f]+\.duckdb(\.wal)?$/;

const quoted = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Copies the catalog `source` (attached to the connection of `sql`) into a new DuckDB file
 * at `target`, which must not exist; answers the sessions in the copy. A copy that fails is
 * removed. DETACH checkpoints the copy, so it is whole without a WAL.
 */
export async function copyCatalog(sql: Sql, source: string, target: string): Promise<{ sessions: number }> {
  if (existsSync(target)) throw new Error(`${target} exists already: a backup never overwrites a file`);
  const alias = `backup_${randomBytes(6).toString('hex')}`;
  try {
    await sql.run(`ATTACH ${quoted(target)} AS ${alias}`);
    try {
      await sql.run(`COPY FROM DATABASE "${source.replaceAll('"', '""')}" TO ${alias}`);
      const sessions = Number((await sql.one(`SELECT count(*) AS n FROM ${alias}.sessions`))!.n);
      return { sessions };
    } finally {
      await sql.run(`DETACH ${alias}`).catch(() => undefined);
    }
  } catch (err) {
    rmSync(target, { force: true });
    rmSync(`${target}.wal`, { force: true });
    if (/No space left|ENOSPC|could not write/i.test((err as Error).message)) throw StorageFault.noSpace(`writing the backup: ${(err as Error).message}`);
    throw err;
  }
}

/** A copy in the spool folder, as the store answers `backup`. */
class HeldCopy implements Backup {
  readonly fileName = DATA_FILE;
  readonly bytes: number;

  constructor(
    private readonly path: string,
    readonly sessions: number,
  ) {
    this.bytes = statSync(path).size;
  }

  chunks(): AsyncIterable<Buffer> {
    return createReadStream(this.path, { highWaterMark: 1 << 20 });
  }

  async release(): Promise<void> {
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

/** The store's `backup`: one copy at a time, on a connection of its own, into the spool folder (on the data's disk). */
export function duckDbBackup(db: Database, spoolDir: string): () => Promise<Backup> {
  let running: Promise<unknown> = Promise.resolve();
  return () => {
    const copy = running.then(async () => {
      const lease = await db.lease();
      try {
        const source = (await lease.one(`SELECT current_database() AS name`))!.name as string;
        const path = join(spoolDir, `backup-${randomBytes(12).toString('hex')}.duckdb`);
        const { sessions } = await copyCatalog(lease, source, path);
        return new HeldCopy(path, sessions);
      } finally {
        lease.close();
      }
    });
    running = copy.catch(() => undefined);
    return copy;
  };
}

/** Removes copies a previous run left in the spool folder (it stopped while one was sent). */
export function removeLeftBackups(spoolDir: string): void {
  for (const name of readdirSync(spoolDir)) if (PENDING.test(name)) rmSync(join(spoolDir, name), { force: true });
}

/**
 * Backs up a data folder no server is using, into `target` (a new file): the folder is only
 * read (its WAL replayed in memory, the file untouched). A server holding the folder holds
 * DuckDB's lock on it, and this says so.
 */
export async function backupStoppedFolder(dataDir: string, target: string): Promise<{ sessions: number }> {
  const file = join(dataDir, DATA_FILE);
  if (!existsSync(file)) throw new Error(`${dataDir} holds no ${DATA_FILE}: is it a farmtally data folder (serve --data)?`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const sql: Sql = {
    all: (text, params) => readRows(connection, text, params),
    one: async (text, params) => (await readRows(connection, text, params))[0],
    run: async (text, params) => void (await connection.run(text, params)),
  };
  try {
    try {
      await sql.run(`ATTACH ${quoted(file)} AS source (READ_ONLY)`);
    } catch (err) {
      const why = (err as Error).message;
      if (/lock/i.test(why)) throw new Error(`a farmtally server is using ${dataDir} (${why}). Back it up through the server instead: farmtally backup --endpoint URL --to DIR`);
      throw new Error(`cannot read ${file}: ${why}`);
    }
    return await copyCatalog(sql, 'source', target);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Opens a copied data file read-only and counts its sessions: what a receiver checks before calling the copy good. */
export async function countBackupSessions(file: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`ATTACH ${quoted(file)} AS copy (READ_ONLY)`);
    return Number((await readRows(connection, `SELECT count(*) AS n FROM copy.sessions`))[0]!.n);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
