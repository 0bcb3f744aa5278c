// The connections of one DuckDB instance, other than the writer: a small pool of readers in
// auto-commit (each read sees what is committed, never a writer's open transaction), and
// leases for long work of its own (an aggregation, a batch's staging) that the database
// can take back when the engine must be reopened.
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

/** What a statement takes besides its text: parameters, and their types. */
export type RunArgs = Parameters<DuckDBConnection['run']> extends [string, ...infer R] ? R : never;

/** Statements on one connection: the database's reads, a transaction's, a lease's. */
export interface Sql {
  all(sql: string, params?: DuckDBValue[]): Promise<Row[]>;
  one(sql: string, params?: DuckDBValue[]): Promise<Row | undefined>;
  run(sql: string, params?: DuckDBValue[]): Promise<void>;
}

/** BIGINT comes back as bigint; every integer we keep (epoch ms, counts) fits a double. */
function plain(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

export async function readRows(connection: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowObjectsJS().map((row) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) out[k] = plain(v);
    return out;
  });
}

/** A result's columns by name, each as JS values (BIGINT and HUGEINT as bigint): for large results, cheaper than rows as objects. */
export type Columns = Record<string, unknown[]>;

export async function readColumns(connection: DuckDBConnection, sql: string): Promise<Columns> {
  return (await connection.runAndReadAll(sql)).getColumnsObjectJS();
}


/** Statements inside the writer's transaction, which may also append rows (the Appender writes inside the transaction). */
export interface WriterSql extends Sql {
  appender(table: string, schema?: string, catalog?: string): Promise<DuckDBAppender>;
  /** A result as columns (readColumns): for many rows, far cheaper than rows as objects. */
  columns(sql: string): Promise<Columns>;
}

export function sqlOn(connection: DuckDBConnection): WriterSql {
  return {
    all: (sql, params) => readRows(connection, sql, params),
    one: async (sql, params) => (await readRows(connection, sql, params))[0],
    run: async (sql, params) => void (await connection.run(sql, params)),
    appender: (table, schema, catalog) => connection.createAppender(table, schema, catalog),
    columns: (sql) => readColumns(connection, sql),
  };
}

/** Up to `max` reader connections, opened as needed and reused. */
export class ReaderPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((connection: DuckDBConnection) => void)[] = [];
  private opened = 0;
  private inUse = 0;
  private drained?: () => void;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly max: number,
  ) {}

  async with<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    try {
      return await work(connection);
    } finally {
      this.release(connection);
    }
  }

  /** Waits for the reads under way, then closes every reader. */
  async close(): Promise<void> {
    if (this.inUse > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    for (const connection of this.idle.splice(0)) connection.closeSync();
  }

  private async acquire(): Promise<DuckDBConnection> {
    this.inUse++;
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.opened < this.max) {
      this.opened++;
      try {
        return await this.instance.connect();
      } catch (err) {
        this.opened--;
        this.inUse--;
        throw err;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** `inUse` counts holders and waiters alike: a connection handed to a waiter leaves one fewer of them. */
  private release(connection: DuckDBConnection): void {
    this.inUse--;
    const next = this.waiting.shift();
    if (next) return next(connection);
    this.idle.push(connection);
    if (this.inUse === 0) this.drained?.();
  }
}

/**
 * A connection of its own, for work that spans many statements (temp tables are per
 * connection). Its statements run through `guard` (the database's fault check); `revoke`
 * stops what runs and closes it, after which every use fails through the guard.
 */
export class Lease implements Sql {
  private busy = 0;
  private closed = false;
  private idle?: () => void;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly guard: <T>(work: () => Promise<T>) => Promise<T>,
    private readonly onClose: (lease: Lease) => void,
  ) {}

  all(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    return this.use(() => readRows(this.connection, sql, params));
  }

  async one(sql: string, params: DuckDBValue[] = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  /** A result as columns (readColumns): reading thousands of rows as objects measured several times slower. */
  columns(sql: string): Promise<Columns> {
    return this.use(() => readColumns(this.connection, sql));
  }

  async run(sql: string, ...args: RunArgs): Promise<void> {
    await this.use(() => this.connection.run(sql, ...args));
  }

  /** A result read chunk by chunk (for scans too large to hold as rows). */
  stream(sql: string, params: DuckDBValue[] = []): ReturnType<DuckDBConnection['stream']> {
    return this.use(() => this.connection.stream(sql, params));
  }

  createAppender(table: string, schema: string, catalog: string): Promise<DuckDBAppender> {
    return this.use(() => this.connection.createAppender(table, schema, catalog));
  }

  /** Stops the statement running now (an aggregation's time budget). */
  interrupt(): void {
    if (!this.closed) this.connection.interrupt();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.onClose(this);
  }

  /** For reopening the engine: stop the statement under way, and close once it has ended. */
  async revoke(): Promise<void> {
    if (this.busy > 0) {
      const idle = new Promise<void>((resolve) => (this.idle = resolve));
      this.connection.interrupt();
      await idle;
    }
    this.close();
  }

  /** Runs work on this connection (an appender's calls, say) under the guard, counted as busy. */
  async use<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await this.guard(work);
    } finally {
      if (--this.busy === 0) this.idle?.();
    }
  }
}
