// The cluster engine: Store over ClickHouse shards (sessions, aggregations) and PostgreSQL
// (everything the API servers share), for any number of stateless API servers. The state's
// resources, tokens and aggregation records are served as they are; sessions go through
// batches published in PostgreSQL (session-ingest.ts); aggregations run as one flat query
// over the Distributed table, on the snapshot taken at their Start. docs/DECISIONS.md,
// "Past one machine".
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { missingRates, timedOut, tooManyRows } from '../aggregation-messages.js';
import type { AggregationRecord, Lease } from '../aggregation-store.js';
import { aggregationOutput, missingRatesOutput } from '../clickhouse/aggregation-rows.js';
import { aggregationSql, missingRatesSql } from '../clickhouse/aggregation-sql.js';
import { ClickHouseError } from '../clickhouse/http-query.js';
import { distributedTablesDdl, identifier, localTablesDdl } from '../clickhouse/schema.js';
import { Shards } from '../clickhouse/shards.js';
import { openPostgresState } from '../postgres/index.js';
import type { Store, StoreHealth } from '../store.js';
import type { Snapshot } from './cluster-state.js';
import { clusterState } from './postgres-state-tx.js';
import { receiveInMemory } from './received-body.js';
import { clusterDeletions } from './session-deletions.js';
import { batchRowsLeft, ClusterIngest, removeBatchRows } from './session-ingest.js';
import { backfillKeysSql } from './session-keys.js';
import { exportSessions, getSession, listSessions } from './session-reads.js';

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
  /**
   * Opened only to be read (`farmtally copy`'s source): none of a server's housekeeping,
   * which writes (renewing its leases, removing batches other servers left unpublished).
   */
  readOnly?: boolean;
}

const MIGRATE = 'Run farmtally migrate with the same --clickhouse-url, --clickhouse-database and --state-url first.';

/** Refuses to open a cluster whose schema is not in place, saying what to run. */
async function schemaInPlace(state: ReturnType<typeof openPostgresState>, shards: Shards): Promise<void> {
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
function shardsHealth(state: ReturnType<typeof openPostgresState>, shards: Shards): () => Promise<StoreHealth> {
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

/** ClickHouse's code for a query past max_execution_time. */
const TIMEOUT_EXCEEDED = 159;

export async function openClusterStore(options: ClusterStoreOptions): Promise<Store> {
  const log = options.log ?? (() => undefined);
  const state = openPostgresState({ url: options.stateUrl, log });
  const shards = new Shards(options.clickhouseUrls, options.clickhouseDatabase);
  await schemaInPlace(state, shards);
  const lease: Lease = { owner: `${hostname()}:${process.pid}:store:${randomBytes(4).toString('hex')}`, ttlMs: options.leaseMs ?? 30_000 };
  const batches = clusterState(state);
  const ingest = new ClusterIngest(batches, shards, lease);
  const snapshotNow = (): Promise<Snapshot> => state.snapshot();
  /** Each aggregation's snapshot, taken at its Start, until it runs (on the server that started it). */
  const snapshots = new Map<string, Snapshot>();
  const db = identifier(options.clickhouseDatabase);
  const tables = { sessions: `${db}.sessions`, superseded: `${db}.superseded_local` };

  // Batches whose server died before publishing them are abandoned; abandoned batches' rows
  // are removed from the shards (asked again a minute later if some are still there), and a
  // batch none of whose rows is left is `removed`, out of every snapshot's excluded list.
  const removalAsked = new Map<number, number>();
  const sweepBatches = async () => {
    for (const { seq } of await state.expiredBatches()) {
      if (await state.abandonBatch(seq)) log(`ingest batch ${seq} was never published (its server stopped); its rows are being removed`);
    }
    for (const seq of await state.abandonedBatches()) {
      if ((await batchRowsLeft(shards, seq)) === 0) {
        await state.markRemoved(seq);
        removalAsked.delete(seq);
      } else if (Date.now() - (removalAsked.get(seq) ?? 0) >= 60_000) {
        await removeBatchRows(shards, seq);
        removalAsked.set(seq, Date.now());
      }
    }
  };
  const timers = options.readOnly ? [] : [
    setInterval(() => void state.renewLeases(lease.owner, lease.ttlMs).catch((err) => log(`renewing the ingest leases failed: ${String(err)}`)), lease.ttlMs / 3),
    setInterval(() => void sweepBatches().catch((err) => log(`removing unpublished batches failed: ${String(err)}`)), Math.max(1_000, lease.ttlMs / 2)),
  ];
  for (const timer of timers) timer.unref();

  async function customerManagedFleets(farmId: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await state.listFleets(farmId, { limit: 1000, after });
      ids.push(...page.items.filter((f) => f.kind === 'customerManaged').map((f) => f.fleetId));
      after = page.nextAfter;
    } while (after);
    return ids;
  }

  const finish = async (id: string, status: Exclude<AggregationRecord['status'], 'IN_PROGRESS'>, message: string | undefined, rows: Parameters<typeof state.finishAggregation>[3]) => {
    await state.finishAggregation(id, status, message, rows);
    // Whatever was stored first (this, or FAILED by a sweep after this server lost its lease).
    return (await state.getAggregation(id))!;
  };

  return {
    ...state,
    getSession: async (farmId, queueId, jobId, sessionId) => getSession(shards, await snapshotNow(), farmId, queueId, jobId, sessionId),
    listSessions: async (farmId, queueId, jobId, page) => listSessions(shards, await snapshotNow(), farmId, queueId, jobId, page),
    exportSessions: async (farmId, page) => exportSessions(shards, await snapshotNow(), farmId, page),
    receiveBody: receiveInMemory,
    stageSessions: async (farmId) => ingest.stage(farmId),
    writeSessions: (farmId, records, nowMs) => ingest.write(farmId, records, nowMs),
    ...clusterDeletions(batches, shards, ingest, snapshotNow),

    async startAggregation(record, aggregationLease) {
      const snapshot = await snapshotNow();
      const claim = await state.startAggregation(record, aggregationLease);
      if ('claimed' in claim) snapshots.set(record.aggregationId, snapshot);
      return claim;
    },
    async runAggregation(id, q, limits) {
      const snapshot = snapshots.get(id) ?? (await snapshotNow());
      snapshots.delete(id);
      const fleets = { customerManaged: await customerManagedFleets(q.farmId) };
      const statement = aggregationSql(q, tables, snapshot, limits, fleets);
      let output: string;
      // Timed here, to the millisecond; ClickHouse stops its side too (whole seconds, a little later).
      const deadline = AbortSignal.timeout(limits.timeoutMs);
      try {
        output = await shards.query(`${statement.sql}\nFORMAT JSONEachRow`, {
          settings: { ...statement.settings, max_execution_time: Math.ceil(limits.timeoutMs / 1000) + 1, timeout_overflow_mode: 'throw' },
          signal: deadline,
          faults: false,
        });
      } catch (err) {
        if (deadline.aborted || (err instanceof ClickHouseError && err.code === TIMEOUT_EXCEEDED)) {
          return { record: await finish(id, 'TIMEOUT', timedOut(limits.timeoutMs), []), rows: [], stored: Promise.resolve() };
        }
        throw shards.fault(err);
      }
      const result = aggregationOutput(output, q, limits);
      if (result.kind === 'too-many') return { record: await finish(id, 'FAILED', tooManyRows(limits.maxRows), []), rows: [], stored: Promise.resolve() };
      const missing = missingRatesSql(q, tables, snapshot, fleets);
      const names = missingRatesOutput(await shards.query(`${missing.sql}\nFORMAT JSONEachRow`, { settings: missing.settings }));
      const record = await finish(id, 'COMPLETED', missingRates(names), result.rows);
      return { record, rows: record.status === 'COMPLETED' ? result.rows : [], stored: Promise.resolve() };
    },

    health: shardsHealth(state, shards),
    async close() {
      for (const timer of timers) clearInterval(timer);
      await state.close();
    },
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
