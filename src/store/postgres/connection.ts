// The connection pool the PostgreSQL state runs on, and the one place its errors are turned
// into the store's: every statement goes through `query` or `transaction` here, so a
// PostgreSQL that is down or goes away is a StorageFault('unavailable') whatever was asked
// (faults.ts). The pool recovers by itself: a connection that broke is destroyed, not
// returned, and the next request opens a new one once PostgreSQL answers again.
//
// BIGINT columns (epoch milliseconds, counts, batch sequence numbers) are read as JS numbers:
// every one of them stays below 2^53. NUMERIC (exact sums) stays text, for the caller to
// convert knowingly. The parsers are this pool's own, not pg's global ones, so other users
// of `pg` in the process are not affected.
import pg from 'pg';
import { asFault, whereOf } from './faults.js';

export type Row = Record<string, unknown>;

/** Statements on the pool (each on its own) or in a transaction (withTransaction's `tx`). */
export interface Sql {
  query<R extends Row = Row>(text: string, params?: unknown[]): Promise<R[]>;
}

const INT8_OID = 20;
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export interface ConnectionOptions {
  url: string;
  log?: (message: string) => void;
  /** Connections at most (default 10). */
  maxConnections?: number;
}

export class PgDatabase implements Sql {
  private readonly pool: pg.Pool;
  /** host:port, for messages. */
  readonly where: string;

  constructor(options: ConnectionOptions) {
    this.where = whereOf(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'farmtally',
      types: typeParsers,
    });
    // An idle connection that breaks (PostgreSQL restarted, a backend terminated) is dropped
    // by the pool; without a listener its error would end the process.
    this.pool.on('error', (err) => options.log?.(`a PostgreSQL connection to ${this.where} broke while idle (${err.message}); it is replaced on next use`));
  }

  async query<R extends Row = Row>(text: string, params?: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, params)).rows;
    } catch (err) {
      throw asFault(err, this.where);
    }
  }

  async one<R extends Row = Row>(text: string, params?: unknown[]): Promise<R | undefined> {
    return (await this.query<R>(text, params))[0];
  }

  /**
   * Runs `work` in one transaction (READ COMMITTED) on one connection: committed if it
   * resolves, rolled back if it throws. A connection that broke is destroyed, not reused.
   */
  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw asFault(err, this.where);
    }
    let broken: Error | undefined;
    // While checked out the pool does not listen to the connection: an error between
    // statements would otherwise end the process.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    const tx: Sql = {
      query: async <R extends Row>(text: string, params?: unknown[]) => {
        try {
          return (await client.query<R>(text, params)).rows;
        } catch (err) {
          const fault = asFault(err, this.where);
          if (fault !== err) broken = err as Error;
          throw fault;
        }
      },
    };
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw asFault(err, this.where);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
