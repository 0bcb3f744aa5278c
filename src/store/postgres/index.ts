// The PostgreSQL state of a farmtally cluster: what every stateless API server shares
// (farms, queues, fleets, jobs, session counts per queue and fleet, client tokens, the server
// secret, the budget notifications' outbox, aggregation records, results, farm slots and leases, ingest batches), assembled
// from one module per concern. Sessions and the aggregations' work are ClickHouse's; the
// cluster store composes the two. The same semantics as the DuckDB store where they overlap.
//
// Opening connects to nothing: the pool connects on first use, and a PostgreSQL that is
// down, or goes away, makes each call throw StorageFault('unavailable') naming it until it
// is back (connection.ts).
import { budgetEventStore } from '../budget-events.js';
import type { BudgetEventStore, ClientTokenStore, StoreHealth } from '../store.js';
import { postgresAggregations, type StateAggregations } from './aggregations.js';
import { postgresBatches, type StateBatches } from './batches.js';
import { postgresClientTokens } from './client-tokens.js';
import { PgDatabase, type Sql } from './connection.js';
import { postgresHealth } from './health.js';
import { migrate } from './migrations.js';
import { postgresResources, type StateResources } from './resources.js';
import { postgresServerSecret } from './server-secret.js';

export type { BatchCounts, BatchSnapshot, StateBatches } from './batches.js';
export type { Row, Sql } from './connection.js';
export type { StateAggregations } from './aggregations.js';
export type { SessionCountDelta, StateResources } from './resources.js';
export { SCHEMA_VERSION } from './schema.js';

export interface PostgresStateOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  log?: (message: string) => void;
  /** Connections at most (default 10). */
  maxConnections?: number;
}

export type PostgresState = StateResources &
  ClientTokenStore &
  BudgetEventStore &
  StateAggregations &
  StateBatches & {
    /** Creates or upgrades the schema; safe to run on every server at every start, also at once. Answers the version it found (0: an empty database). */
    migrate(): Promise<number>;
    /** Runs `work` in one transaction, committed if it resolves (for putJobs, adjustSessionCounts, publishBatch together). */
    withTransaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
    /** The page token secret: created once, the same for every server. */
    serverSecret(): Promise<Buffer>;
    health(): Promise<StoreHealth>;
    close(): Promise<void>;
  };

export function openPostgresState(options: PostgresStateOptions): PostgresState {
  const db = new PgDatabase(options);
  return {
    ...postgresResources(db),
    ...postgresClientTokens(db),
    ...postgresAggregations(db),
    ...postgresBatches(db),
    ...budgetEventStore({ read: (sql, params) => db.query(sql, params), write: (sql, params) => db.query(sql, params) }),
    migrate: () => migrate(db, options.log),
    withTransaction: (work) => db.transaction(work),
    serverSecret: postgresServerSecret(db),
    health: postgresHealth(db),
    close: () => db.close(),
  };
}
