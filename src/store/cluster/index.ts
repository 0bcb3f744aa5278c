// The cluster engine: Store over ClickHouse shards (sessions, aggregations) and PostgreSQL
// (everything the API servers share), for any number of stateless API servers. The state's
// resources, tokens and aggregation records are served as they are; sessions go through
// batches published in PostgreSQL (session-ingest.ts); aggregations run as one flat query
// over the Distributed table, on the snapshot taken at their Start. docs/DECISIONS.md,
// "Past one machine".
import { sessionRecordOf } from '../../domain/session-record.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { missingRates, timedOut, tooManyRows } from '../aggregation-messages.js';
import { COST_SUM_MAX_ROWS, type AggregationLimits, type AggregationQuery, type AggregationRecord, type Lease } from '../aggregation-store.js';
import { aggregationOutput, missingRatesOutput } from '../clickhouse/aggregation-rows.js';
import { aggregationSql, missingRatesSql } from '../clickhouse/aggregation-sql.js';
import { ClickHouseError } from '../clickhouse/http-query.js';
import { identifier } from '../clickhouse/schema.js';
import { Shards } from '../clickhouse/shards.js';
import { openPostgresState } from '../postgres/index.js';
import type { Store } from '../store.js';
import type { Snapshot } from './cluster-state.js';
import { schemaInPlace, shardsHealth, type ClusterStoreOptions } from './cluster-setup.js';
import { clusterState } from './postgres-state-tx.js';
import { receiveInMemory } from './received-body.js';
import { clusterDeletions } from './session-deletions.js';
import { ClusterIngest } from './session-ingest.js';
import { batchSweeper } from './batch-sweeper.js';
import { sessionChangesBetween, snapshotOfVersion, snapshotVersion } from './session-changes.js';
import { exportSessions, getSession, listRunningSessions, listSessions, openSessions } from './session-reads.js';


/** ClickHouse's code for a query past max_execution_time. */
const TIMEOUT_EXCEEDED = 159;

export async function openClusterStore(options: ClusterStoreOptions): Promise<Store> {
  const log = options.log ?? (() => undefined);
  const state = openPostgresState({ url: options.stateUrl, log });
  const shards = new Shards(options.clickhouseUrls, options.clickhouseDatabase);
  await schemaInPlace(state, shards);
  const lease: Lease = { owner: `${hostname()}:${process.pid}:store:${randomBytes(4).toString('hex')}`, ttlMs: options.leaseMs ?? 30_000 };
  const batches = clusterState(state);
  const ingest = new ClusterIngest(batches, shards, lease, { trace: options.traceGroupCommits, maxWaitingRecords: options.maxWaitingRecords });
  const snapshotNow = (): Promise<Snapshot> => state.snapshot();
  /** Each aggregation's snapshot, taken at its Start, until it runs (on the server that started it). */
  const snapshots = new Map<string, Snapshot>();
  const db = identifier(options.clickhouseDatabase);
  const tables = { sessions: `${db}.sessions`, superseded: `${db}.superseded_local` };

  const sweepBatches = batchSweeper(state, shards, log);
  const timers = options.readOnly ? [] : [
    setInterval(() => void state.renewLeases(lease.owner, lease.ttlMs).catch((err) => log(`renewing the ingest leases failed: ${String(err)}`)), lease.ttlMs / 3),
    setInterval(() => void sweepBatches().catch((err) => log(`sweeping ingest batches failed: ${String(err)}`)), Math.max(1_000, lease.ttlMs / 2)),
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

  /** The aggregation's one flat statement over the snapshot, its rows read; timed here to the millisecond, and ClickHouse stops its side too (whole seconds, a little later). */
  const aggregate = async (q: AggregationQuery, snapshot: Snapshot, fleets: { customerManaged: string[] }, limits: AggregationLimits) => {
    const statement = aggregationSql(q, tables, snapshot, limits, fleets);
    const deadline = AbortSignal.timeout(limits.timeoutMs);
    try {
      const output = await shards.query(`${statement.sql}\nFORMAT JSONEachRow`, {
        settings: { ...statement.settings, max_execution_time: Math.ceil(limits.timeoutMs / 1000) + 1, timeout_overflow_mode: 'throw' },
        signal: deadline,
        faults: false,
      });
      return aggregationOutput(output, q, limits);
    } catch (err) {
      if (deadline.aborted || (err instanceof ClickHouseError && err.code === TIMEOUT_EXCEEDED)) return { kind: 'timed-out' as const };
      throw shards.fault(err);
    }
  };

  const finish = async (id: string, status: Exclude<AggregationRecord['status'], 'IN_PROGRESS'>, message: string | undefined, rows: Parameters<typeof state.finishAggregation>[3]) => {
    await state.finishAggregation(id, status, message, rows);
    // Whatever was stored first (this, or FAILED by a sweep after this server lost its lease).
    return (await state.getAggregation(id))!;
  };

  /** The cost SUM of the query's result rows over one snapshot (BudgetBasis.costUsd). */
  const traced = async <T>(what: string, read: () => Promise<T>, done: (result: T) => string = () => ''): Promise<T> => {
    if (!options.traceAggregations) return read();
    const started = performance.now();
    const result = await read();
    options.traceAggregations(`${what}: ${Math.round(performance.now() - started)} ms${done(result)}`);
    return result;
  };
  const costAt = async (q: AggregationQuery, snapshot: Snapshot, timeoutMs: number, userId?: string) => {
    const fleets = { customerManaged: await customerManagedFleets(q.farmId) };
    const result = await traced(`aggregation cost of ${q.resourceIds.join(',')}`, () => aggregate(q, snapshot, fleets, { maxRows: COST_SUM_MAX_ROWS, timeoutMs }));
    if (result.kind === 'timed-out') throw new Error(timedOut(timeoutMs));
    if (result.kind === 'too-many') throw new Error(tooManyRows(COST_SUM_MAX_ROWS));
    return result.rows.reduce((sum, r) => (userId === undefined || r.userId === userId ? sum + r.costUsd.sum : sum), 0);
  };

  return {
    ...state,
    getSession: async (farmId, queueId, jobId, sessionId) => getSession(shards, await snapshotNow(), farmId, queueId, jobId, sessionId),
    listSessions: async (farmId, queueId, jobId, page) => listSessions(shards, await snapshotNow(), farmId, queueId, jobId, page),
    listRunningSessions: async (farmId, kind, resourceIds, limit) => listRunningSessions(shards, await snapshotNow(), farmId, kind, resourceIds, limit),
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
      const result = await aggregate(q, snapshot, fleets, limits);
      if (result.kind === 'timed-out') return { record: await finish(id, 'TIMEOUT', timedOut(limits.timeoutMs), []), rows: [], stored: Promise.resolve() };
      if (result.kind === 'too-many') return { record: await finish(id, 'FAILED', tooManyRows(limits.maxRows), []), rows: [], stored: Promise.resolve() };
      const missing = missingRatesSql(q, tables, snapshot, fleets);
      const names = missingRatesOutput(await shards.query(`${missing.sql}\nFORMAT JSONEachRow`, { settings: missing.settings }));
      const record = await finish(id, 'COMPLETED', missingRates(names), result.rows);
      return { record, rows: record.status === 'COMPLETED' ? result.rows : [], stored: Promise.resolve() };
    },

    // The cluster lists no changes as they commit: a reader compares versions, which move with
    // every batch allocated on any server, and reads what changed in between from the shards
    // (session-changes.ts; docs/DECISIONS.md, "Budget usage kept current").
    async budgetBasis(q, timeoutMs, read) {
      const snapshot = await snapshotNow();
      const [costUsd, open] = await Promise.all([
        read.cost ? costAt(q, snapshot, timeoutMs, read.userId) : 0,
        openSessions(shards, snapshot, q.farmId, { kind: q.resourceKind, resourceIds: q.resourceIds, endedAfter: q.asOfMs, userId: read.userId }),
      ]);
      return { costUsd, open: open.map(sessionRecordOf), version: snapshotVersion(snapshot) };
    },
    sessionsVersion: async () => snapshotVersion(await snapshotNow()),
    onSessionsChanged: () => () => undefined,
    async sessionChangesBetween(farmId, from, to, limit) {
      const [a, b] = [snapshotOfVersion(from), snapshotOfVersion(to)];
      if (!a || !b) return undefined;
      return traced(`session changes of ${farmId} from ${from} to ${to}`, () => sessionChangesBetween(shards, farmId, a, b, limit), (c) => (c ? `, ${c.length} versions` : ', too many or gone: read again'));
    },

    health: shardsHealth(state, shards),
    async close() {
      for (const timer of timers) clearInterval(timer);
      await state.close();
    },
  };
}

export { migrateCluster, type ClusterSchemaOptions, type ClusterStoreOptions } from './cluster-setup.js';
