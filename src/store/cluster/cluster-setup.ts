// A cluster's schema and whether it answers: `farmtally migrate` puts the schema in place on
// every shard and in PostgreSQL, a server refuses a cluster without it, and /health asks
// PostgreSQL and every shard.
import { distributedTablesDdl, identifier, localTablesDdl } from '../clickhouse/schema.js';
import { Shards } from '../clickhouse/shards.js';
import { openPostgresState } from '../postgres/index.js';
import type { StoreHealth } from '../store.js';
import { backfillKeysSql } from './session-keys.js';

export interface ClusterStoreOptions {
  /** Each shard's HTTP URL, in the order of the cluster's definition. */
  clickhouseUrls: string[];
  /** The ClickHouse database (the same on every shard; `farmtally migrate` creates it). */
  clickhouseDatabase: string;
  /** postgres://... */
  stateUrl: string;
  log?: (line: string) => void;
  /** How long the store's own leases (ingest batches) last unrenewed (default 30 s). */
  leaseMs?: number;
  /** Told each group commit's size and time (FARMTALLY_INGEST_TRACE). */
  traceGroupCommits?: (line: string) => void;
  /** Told each read of a budget's cost, and of what changed in a farm's sessions, with its time (FARMTALLY_AGGREGATION_TRACE). */
  traceAggregations?: (line: string) => void;
  /** Records waiting for their farm's turn at most before a small batch is refused (ThrottlingException); store/group-commit.ts. */
  maxWaitingRecords?: number;
  /**
   * Opened only to be read (`farmtally copy`'s source): none of a server's housekeeping,
   * which writes (renewing its leases, removing batches other servers left unpublished).
   */
  readOnly?: boolean;
}

const MIGRATE = 'Run farmtally migrate with the same --clickhouse-url, --clickhouse-database and --state-url first.';

/** Refuses to open a cluster whose schema is not in place, saying what to run. */
export async function schemaInPlace(state: ReturnType<typeof openPostgresState>, shards: Shards): Promise<void> {
  const health = await state.health();
  if (!health.ok) {
    await state.close();
    throw new Error(/migrate/.test(health.problem) ? health.problem : `${health.problem} ${MIGRATE}`);
  }
  for (let shard = 0; shard < shards.count; shard++) {
    // The newest table: a schema migrated before it needs migrating again.
    const found = await shards.query(`EXISTS TABLE ${identifier(shards.database)}.job_sessions_local`, { shard }).catch(async (err) => {
      await state.close();
      throw err;
    });
    if (found.trim() !== '1') {
      await state.close();
      throw new Error(`ClickHouse shard ${shard + 1} (${shards.urls[shard]}) has no farmtally tables in database ${shards.database}. ${MIGRATE}`);
    }
  }
}

/**
 * Whether PostgreSQL and every shard answer, asked at most once a second (a load balancer
 * may ask often; callers within the second share the answer).
 */
export function shardsHealth(state: ReturnType<typeof openPostgresState>, shards: Shards): () => Promise<StoreHealth> {
  let last: { at: number; answer: Promise<StoreHealth> } | undefined;
  const ask = async (): Promise<StoreHealth> => {
    const stateHealth = await state.health();
    if (!stateHealth.ok) return stateHealth;
    try {
      await Promise.all(shards.urls.map((_, shard) => shards.query('SELECT 1', { shard, signal: AbortSignal.timeout(5_000) })));
      return { ok: true };
    } catch (err) {
      return { ok: false, problem: err instanceof Error ? err.message : String(err) };
    }
  };
  return () => {
    if (!last || Date.now() - last.at >= 1_000) last = { at: Date.now(), answer: ask() };
    return last.answer;
  };
}

export interface ClusterSchemaOptions extends Omit<ClusterStoreOptions, 'leaseMs'> {
  /** The cluster's name in the shards' configuration (remote_servers), for the Distributed tables. */
  clickhouseCluster: string;
}

/**
 * Creates or upgrades the schema: the database and tables on every shard, and the state in
 * PostgreSQL. Safe to run again, and from several places at once. Answers what it did, for
 * the command to print.
 */
export async function migrateCluster(options: ClusterSchemaOptions): Promise<string[]> {
  const done: string[] = [];
  const state = openPostgresState({ url: options.stateUrl, log: options.log });
  try {
    const before = await state.migrate();
    done.push(before === 0 ? 'PostgreSQL: schema created' : `PostgreSQL: schema at version ${before}, up to date`);
  } finally {
    await state.close();
  }
  const shards = new Shards(options.clickhouseUrls, 'system');
  const db = identifier(options.clickhouseDatabase);
  for (let shard = 0; shard < shards.count; shard++) {
    await shards.query(`CREATE DATABASE IF NOT EXISTS ${db}`, { shard });
    const exists = async (table: string) => (await shards.query(`EXISTS TABLE ${db}.${table}`, { shard })).trim() === '1';
    // Sessions stored before a key table get their keys once it is made (a second migrate running at once may add them twice: the same rows, harmless).
    const stored = await exists('sessions_local');
    const backfills = Object.entries(backfillKeysSql(options.clickhouseDatabase));
    const missing = stored ? (await Promise.all(backfills.map(async ([table, sql]) => ((await exists(table)) ? [] : [sql])))).flat() : [];
    for (const ddl of [...localTablesDdl(options.clickhouseDatabase), ...distributedTablesDdl(options.clickhouseDatabase, options.clickhouseCluster)]) await shards.query(ddl, { shard });
    for (const sql of missing) await shards.query(sql, { shard });
    done.push(`ClickHouse shard ${shard + 1} (${shards.urls[shard]}): database ${options.clickhouseDatabase} and its tables in place${missing.length ? ' (keys made for the stored sessions)' : ''}`);
  }
  return done;
}
