// Session ingest on DuckDB. A batch streams into its own staging table, through an Appender
// on the batch's own connection, in an in-memory database attached to the instance: every
// connection can read it, readers of `sessions` never see it, and nothing of it reaches
// the data file. Or, on the fast path, DuckDB reads a spooled NDJSON body into that table
// itself (session-bulk-load). Commit merges the staging table into `sessions` and `jobs`
// (session-merge). Small batches skip staging: the writer merges them in groups
// (session-writer).
import { randomBytes } from 'node:crypto';
import type { DuckDBAppender } from '@duckdb/node-api';
import type { SessionStore, StagedSessions } from '../store.js';
import type { Database } from './database.js';
import { bulkLoadNdjson } from './session-bulk-load.js';
import { mergeStagedSessions } from './session-merge.js';
import { appendRecord, STAGING_COLUMNS } from './staging.js';
import type { SessionWriter } from './session-writer.js';

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
    async loadNdjson(file, rules) {
      if (position > 0) return { careful: 'records were staged already' };
      return bulkLoadNdjson(connection, staging, file, rules);
    },
    async commit(nowMs) {
      try {
        await connection.use(async () => appender?.flushSync());
        return await writer.mergeBulk((tx, firstSeq) => mergeStagedSessions(tx, farmId, staging, nowMs, firstSeq));
      } finally {
        await release();
      }
    },
    discard: release,
  };
}

export function duckDbSessionIngest(db: Database, writer: SessionWriter): SessionStore {
  return {
    async sessionParentIds(farmId) {
      const queues = await db.all(`SELECT queue_id FROM queues WHERE farm_id = $1`, [farmId]);
      const fleets = await db.all(`SELECT fleet_id FROM fleets WHERE farm_id = $1`, [farmId]);
      return { queueIds: queues.map((r) => r.queue_id as string), fleetIds: fleets.map((r) => r.fleet_id as string) };
    },
    stageSessions: (farmId) => openStaging(db, writer, farmId),
    writeSessions: (farmId, records, nowMs) => writer.write(farmId, records, nowMs),
  };
}
