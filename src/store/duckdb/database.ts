// One DuckDB instance per data directory, with a connection for writes and small reads and
// a way to open more (background aggregations run on their own connection so the API stays
// responsive while they work: measured in SPEC section 9).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { migrate } from './migrations.js';
import { SCHEMA } from './schema.js';

export interface DatabaseOptions {
  /** Folder of the database file; `:memory:` keeps everything in memory. */
  dataDir: string;
  threads?: number;
  memoryLimit?: string;
  /** Where to say what opening the store does that takes a while (a schema upgrade). */
  log?: (message: string) => void;
}

/**
 * The engine's memory limit unless --memory-limit says otherwise. The process needs a few
 * hundred MB beside it (Node, the engine's own structures); with 1.5GB a server holding
 * 10 M sessions stayed under 2 GB through ingest and aggregations (BENCHMARKS.md).
 */
export const DEFAULT_MEMORY_LIMIT = '1.5GB';

export type Row = Record<string, unknown>;

/** BIGINT comes back as bigint; every integer we keep (epoch ms, counts) fits a double. */
function plain(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

export class Database {
  private writeQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly instance: DuckDBInstance,
    /** The connection for writes and small reads; transactions on it are serialized. */
    readonly main: DuckDBConnection,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    let path = ':memory:';
    if (options.dataDir !== ':memory:') {
      mkdirSync(options.dataDir, { recursive: true });
      path = join(options.dataDir, 'farmtally.duckdb');
    }
    const config: Record<string, string> = { threads: String(options.threads ?? 2), memory_limit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT };
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const hint = /lock/i.test(why)
        ? 'Is another farmtally server using this --data folder? Stop it or pick another folder.'
        : 'Check --data, --memory-limit (e.g. 1GB) and --threads.';
      throw new Error(`cannot open the data store at ${path}: ${why}. ${hint}`);
    }
    const main = await instance.connect();
    const db = new Database(instance, main);
    for (const statement of SCHEMA) await main.run(statement);
    await migrate(db, options.log);
    return db;
  }

  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  async all(sql: string, params: DuckDBValue[] = [], connection = this.main): Promise<Row[]> {
    const reader = await connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map((row) => {
      const out: Row = {};
      for (const [k, v] of Object.entries(row)) out[k] = plain(v);
      return out;
    });
  }

  async one(sql: string, params: DuckDBValue[] = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  async run(sql: string, params: DuckDBValue[] = []): Promise<void> {
    await this.main.run(sql, params);
  }

  /**
   * Runs `work` alone on the main connection inside BEGIN/COMMIT (ROLLBACK on any error), so
   * a batch is all or nothing and writers never interleave their statements.
   */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writeQueue.then(async () => {
      await this.main.run('BEGIN TRANSACTION');
      try {
        const result = await work();
        await this.main.run('COMMIT');
        return result;
      } catch (err) {
        await this.main.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    this.writeQueue = next.catch(() => undefined);
    return next;
  }

  /** Closes once every queued transaction has ended: closing under one crashes the engine. */
  async close(): Promise<void> {
    await this.writeQueue;
    this.main.closeSync();
    this.instance.closeSync();
  }
}
