// The DuckDB implementation of Store, assembled from one module per concern.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import { budgetEventStore } from '../budget-events.js';
import type { Store } from '../store.js';
import { Database, type DatabaseOptions } from './database.js';
import { duckDbAggregations } from './aggregations.js';
import { duckDbBackup, removeLeftBackups } from './backup.js';
import { StoreHealthCheck } from './health.js';
import { migrate, rebuildJobKeys, requireCurrentSchema } from './migrations.js';
import { duckDbResources } from './resources.js';
import { SCHEMA } from './schema.js';
import { countSessions, deleteResourceWithSessions, deleteSessionsWhere, endedBeforeFilter, forgetUserSql, selectionFilter } from './session-deletions.js';
import { duckDbBudgetUsage } from './budget-basis.js';
import { exportSessions } from './session-export.js';
import { ATTACH_STAGING, duckDbSessionIngest, parentCache } from './session-ingest.js';
import { SessionWriter } from './session-writer.js';
import { prepareSpoolDir } from './spool.js';
import type { StatementProbe } from './statement-probe.js';

export type DuckDbStore = Store & { readonly db: Database };

export interface DuckDbStoreOptions extends DatabaseOptions {
  /** Where to log each aggregation's statements with their times (diagnosis). */
  traceAggregations?: (line: string) => void;
  /** Small-batch records waiting for the writer at most; past them a batch is refused (WriterBusyError). Default 200 000. */
  maxWaitingRecords?: number;
  /** Where to log each group commit's size and times (diagnosis). */
  traceGroupCommits?: (line: string) => void;
  /** Told each statement a small-batch group runs, with the rows it read (tests of the merge's reads). */
  probeGroupStatements?: StatementProbe;
  /** Where large ingest bodies are spooled for the bulk load (default: `spool` in the data folder, or a private temporary folder for `:memory:` and a read-only store). */
  spoolDir?: string;
}

/**
 * Opens the store in `dataDir`. With `readOnly` the file is only read (`farmtally copy`'s
 * source): it must be at the current schema, and nothing but reads may be asked of the store
 * (every write fails; staging has no database to stage in).
 */
export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  const db = await Database.open(options, options.readOnly ? [] : [...SCHEMA, ATTACH_STAGING]);
  try {
    if (options.readOnly) await requireCurrentSchema(db, options.dataDir);
    else await migrate(db, options.log);
  } catch (err) {
    await db.close();
    throw err;
  }
  // An engine reopened after a fault replayed its WAL too: first of the hooks, before the writer reads the tables.
  db.onReopen(async () => {
    if (db.replayedWal && !options.readOnly) await rebuildJobKeys(db);
  });
  const aggregations = duckDbAggregations(db, options.traceAggregations);
  // The budget cost query is the budget store's, read with the open sessions (budget-basis.ts), not a member of its own.
  const { sumCost, ...aggregationStore } = aggregations;
  const writer = await SessionWriter.open(db, { log: options.log, probe: options.probeGroupStatements, trace: options.traceGroupCommits, maxWaitingRecords: options.maxWaitingRecords });
  const parents = parentCache(db);
  // A private folder, for a store with no data folder: removed when the store closes.
  const ownSpool = !options.spoolDir && (options.dataDir === ':memory:' || options.readOnly) ? mkdtempSync(join(tmpdir(), 'farmtally-spool-')) : undefined;
  const spoolDir = options.spoolDir ?? ownSpool ?? join(options.dataDir, 'spool');
  prepareSpoolDir(spoolDir);
  removeLeftBackups(spoolDir);
  const { forgetFarm, ...resources } = duckDbResources(db);
  const health = new StoreHealthCheck(db);
  /** A write that changes a farm's queues or fleets: the remembered parents are forgotten around it. */
  const changingParents = <A extends unknown[], R>(write: (farmId: string, ...rest: A) => Promise<R>) => async (farmId: string, ...rest: A): Promise<R> => {
    parents.forget(farmId);
    try {
      return await write(farmId, ...rest);
    } finally {
      parents.forget(farmId);
    }
  };
  return {
    db,
    ...resources,
    createQueue: (q) => changingParents(() => resources.createQueue(q))(q.farmId),
    createFleet: (f) => changingParents(() => resources.createFleet(f))(f.farmId),
    deleteQueue: changingParents(resources.deleteQueue),
    deleteFleet: changingParents(resources.deleteFleet),
    deleteFarm: changingParents(resources.deleteFarm),
    ...duckDbSessionIngest(db, writer, parents, spoolDir),
    ...aggregationStore,
    ...duckDbBudgetUsage(db, writer, sumCost),
    // The outbox's writes are statements of their own on the writer, like any API write.
    ...budgetEventStore({ read: (sql, params) => db.all(sql, params as DuckDBValue[]), write: (sql, params) => db.write(sql, params as DuckDBValue[]) }),
    exportSessions: (farmId, page) => exportSessions(db, farmId, page),
    countSessions: (farmId, selection) => countSessions(db, selectionFilter(farmId, selection)),
    deleteSessions: (farmId, selection) => writer.exclusive(`deleting sessions of ${farmId}`, (tx) => deleteSessionsWhere(tx, selectionFilter(farmId, selection), Date.now())),
    deleteSessionsEndedBefore: (ms) => writer.exclusive('deleting sessions past retention', (tx) => deleteSessionsWhere(tx, endedBeforeFilter(ms), Date.now())),
    async deleteWithSessions(resource) {
      // The farm's parents and row are remembered elsewhere: forgotten around the write, as for any delete.
      const forget = () => {
        parents.forget(resource.farmId);
        forgetFarm(resource.farmId);
      };
      forget();
      try {
        return await writer.exclusive(`deleting ${resource.kind} ${resource.kind === 'farm' ? resource.farmId : resource.id} with its sessions`, (tx) =>
          deleteResourceWithSessions(tx, resource, Date.now()),
        );
      } finally {
        forget();
      }
    },
    async forgetUser(farmId, userId, pseudonym) {
      // The trace names the farm only: the user ID is what is being forgotten.
      const sessions = await writer.exclusive(`giving a user of ${farmId} a pseudonym`, (tx) => forgetUserSql(tx, farmId, userId, pseudonym));
      aggregations.dropCachedRows();
      return { sessions };
    },
    async findClientToken(scope, token) {
      const r = await db.one(`SELECT resource_id, fingerprint FROM client_tokens WHERE scope = $1 AND token = $2`, [scope, token]);
      return r && { resourceId: r.resource_id as string, fingerprint: r.fingerprint as string };
    },
    async rememberClientToken(scope, token, resourceId, fingerprint) {
      await db.run(`INSERT OR IGNORE INTO client_tokens VALUES ($1, $2, $3, $4, $5)`, [scope, token, resourceId, fingerprint, Date.now()]);
    },
    async serverSecret() {
      const found = await db.one(`SELECT value FROM meta WHERE key = 'server-secret'`);
      if (found) return Buffer.from(found.value as string, 'base64');
      const secret = randomBytes(32);
      await db.run(`INSERT OR IGNORE INTO meta VALUES ('server-secret', $1)`, [secret.toString('base64')]);
      return Buffer.from((await db.one(`SELECT value FROM meta WHERE key = 'server-secret'`))!.value as string, 'base64');
    },
    health: () => health.check(),
    backup: duckDbBackup(db, spoolDir),
    async close() {
      // Results completed but still being stored hold a connection: closing under it crashes the engine.
      await aggregations.allStored();
      await db.close();
      if (ownSpool) rmSync(ownSpool, { recursive: true, force: true });
    },
  };
}
