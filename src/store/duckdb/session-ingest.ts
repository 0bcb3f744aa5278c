// Session ingest on DuckDB. A batch streams into its own staging table, through an Appender
// on the batch's own connection, in an in-memory database attached to the instance: every
// connection can read it, readers of `sessions` never see it, and nothing of it reaches
// the data file. A large body is received first into a spool file (spool.ts); on the fast
// path DuckDB reads that file into the table itself (session-bulk-load). Commit merges the
// staging table into `sessions` and `jobs` (session-merge). Small batches skip staging: the writer merges them in groups
// (session-writer).
import { randomBytes } from 'node:crypto';
import type { DuckDBAppender } from '@duckdb/node-api';
import type { SessionStore, StagedSessions } from '../store.js';
import type { Database } from './database.js';
import { bulkLoadNdjson } from './session-bulk-load.js';
import { mergeStagedSessions } from './session-merge.js';
import { appendRecord, STAGING_COLUMNS } from './staging.js';
import type { SessionWriter } from './session-writer.js';
import { SpooledBody, spoolBody } from './spool.js';

const STAGING_DB = 'ingest_staging';

/** Run on every opening of the engine (attachments are instance-wide, and gone with it). */
export const ATTACH_STAGING = `ATTACH IF NOT EXISTS ':memory:' AS ${STAGING_DB}`;

async function openStaging(db: Database, writer: SessionWriter, farmId: string): Promise<StagedSessions> {
  const connection = await db.lease();
  const table = `batch_${randomBytes(12).toString('hex')}`;
  const staging = `${STAGING_DB}.main.${table}`;
  await connection.run(`CREATE TABLE ${staging} (${STAGING_COLUMNS})`);
  // Opened by the first append: a batch the bulk load stages never needs one.
  let appender: DuckDBAppender | undefined;
  let open = true;
  // The record's position in the batch: the last of a session's records wins. (Not the
  // staging table's rowid: DuckDB 1.5 mis-evaluates rowid under QUALIFY.)
  let position = 0;
  /** Whether a bulk load was tried (once per batch, on nothing staged). */
  let loaded = false;

  const release = async () => {
    if (!open) return;
    open = false;
    try {
      appender?.closeSync();
    } catch {
      // Closing flushes; when we are throwing the batch away a failed flush does not matter.
    }
    await connection.run(`DROP TABLE IF EXISTS ${staging}`).catch(() => undefined);
    connection.close();
  };

  return {
    async append(records) {
      if (records.length === 0) return;
      const to = (appender ??= await connection.createAppender(table, 'main', STAGING_DB));
      await connection.use(async () => {
        for (const record of records) appendRecord(to, ++position, record);
      });
    },
    async loadNdjson(body, rules) {
      if (position > 0 || loaded) return { careful: 'records were staged already' };
      loaded = true;
      // Only this store's own received bodies are files DuckDB can read.
      if (!(body instanceof SpooledBody)) return { careful: 'the body was not received by this store' };
      if (body.longestLine > rules.maxLineBytes) return { careful: `a line is longer than ${rules.maxLineBytes} bytes` };
      return bulkLoadNdjson(connection, staging, body.path, rules);
    },
    async commit(nowMs) {
      try {
        await connection.use(async () => appender?.flushSync());
        const { result, batchId } = await writer.mergeBulk(farmId, (tx, firstSeq, batchId) => mergeStagedSessions(tx, farmId, staging, nowMs, firstSeq, batchId));
        return { ...result, batchId: String(batchId) };
      } finally {
        await release();
      }
    },
    discard: release,
  };
}

/**
 * The farm's queue and fleet IDs, remembered once read: every small batch asks, and they
 * change only by CreateQueue, DeleteQueue and the like, which call `forget` (before and
 * after their write; a read that overlapped a write is not remembered). The group merge
 * checks them again inside its transaction, so a queue deleted meanwhile still refuses the
 * batch that names it.
 */
export function parentCache(db: Database) {
  const known = new Map<string, { queueIds: string[]; fleetIds: string[] }>();
  let writes = 0;
  return {
    forget(farmId: string): void {
      writes++;
      known.delete(farmId);
    },
    async read(farmId: string): Promise<{ queueIds: string[]; fleetIds: string[] }> {
      const cached = known.get(farmId);
      if (cached) return structuredClone(cached);
      const before = writes;
      const rows = await db.all(`SELECT 'queue' AS kind, queue_id AS id FROM queues WHERE farm_id = $1 UNION ALL SELECT 'fleet', fleet_id FROM fleets WHERE farm_id = $1`, [farmId]);
      const ids = { queueIds: rows.filter((r) => r.kind === 'queue').map((r) => r.id as string), fleetIds: rows.filter((r) => r.kind === 'fleet').map((r) => r.id as string) };
      if (writes === before) known.set(farmId, structuredClone(ids));
      return ids;
    },
  };
}

/** `spoolDir`: where bodies for the bulk load are spooled (prepared by the caller: spool.ts prepareSpoolDir). */
export function duckDbSessionIngest(db: Database, writer: SessionWriter, parents: ReturnType<typeof parentCache>, spoolDir: string): Omit<SessionStore, 'exportSessions'> {
  return {
    sessionParentIds: (farmId) => parents.read(farmId),
    receiveBody: (body) => spoolBody(body, spoolDir),
    stageSessions: (farmId) => openStaging(db, writer, farmId),
    writeSessions: (farmId, records, nowMs) => writer.write(farmId, records, nowMs),
  };
}
