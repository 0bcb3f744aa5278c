// Aggregations on DuckDB, assembled from their parts: each runs on a connection of its own
// so the API keeps answering while it works (aggregation-run), ends with its rows in memory
// and its outcome in its record (aggregation-records), answered from then on, and is stored
// after, off the caller's path: its rows in the one result table, its status in its record.
// Until stored, its rows are answered from memory; after, from the table, in chunks
// (result-chunks).
import { missingRates, timedOut, tooManyRows } from '../aggregation-messages.js';
import { COST_SUM_MAX_ROWS, type AggregationQuery, type AggregationRow, type AggregationStore } from '../aggregation-store.js';
import { READ_STORED_ROWS_SQL, storeRowsSql } from './aggregation-sql.js';
import { AggregationRecords } from './aggregation-records.js';
import { runBounded } from './aggregation-run.js';
import type { Columns, Lease } from './connections.js';
import { FarmSlots } from './farm-slots.js';
import type { Database, Row } from './database.js';
import { ResultChunks } from './result-chunks.js';

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

const toRow = (r: Row): AggregationRow => ({
  bucketStart: r.bucket_start as number,
  bucketEnd: r.bucket_end as number,
  queueId: opt(r.queue_id),
  fleetId: opt(r.fleet_id),
  jobId: opt(r.job_id),
  jobName: opt(r.job_name),
  userId: opt(r.user_id),
  usageType: opt(r.usage_type),
  instanceType: opt(r.instance_type),
  licenseProduct: opt(r.license_product),
  count: r.n as number,
  runtimeSeconds: { sum: (r.runtime_ms_sum as number) / 1000, min: (r.runtime_ms_min as number) / 1000, max: (r.runtime_ms_max as number) / 1000 },
  costUsd: { sum: r.cost_sum as number, min: r.cost_min as number, max: r.cost_max as number },
});

/** The rows of a result read as columns (readResultRows), each as toRow makes it from a row. */
function toRows(c: Columns): AggregationRow[] {
  const rows: AggregationRow[] = [];
  const n = c.row_index?.length ?? 0;
  const at = (column: string, i: number) => (c[column]![i] === null ? undefined : c[column]![i]);
  const num = (column: string, i: number) => Number(c[column]![i]);
  for (let i = 0; i < n; i++) {
    rows.push({
      bucketStart: num('bucket_start', i),
      bucketEnd: num('bucket_end', i),
      queueId: at('queue_id', i) as string | undefined,
      fleetId: at('fleet_id', i) as string | undefined,
      jobId: at('job_id', i) as string | undefined,
      jobName: at('job_name', i) as string | undefined,
      userId: at('user_id', i) as string | undefined,
      usageType: at('usage_type', i) as string | undefined,
      instanceType: at('instance_type', i) as string | undefined,
      licenseProduct: at('license_product', i) as string | undefined,
      count: num('n', i),
      runtimeSeconds: { sum: num('runtime_ms_sum', i) / 1000, min: num('runtime_ms_min', i) / 1000, max: num('runtime_ms_max', i) / 1000 },
      costUsd: { sum: num('cost_sum', i), min: num('cost_min', i), max: num('cost_max', i) },
    });
  }
  return rows;
}

/**
 * The aggregation store, a wait for the results still being stored (the engine must not close
 * under them), and a way to drop the stored rows read into memory (a pseudonym replaced a user ID in them).
 */
export type DuckDbAggregations = AggregationStore & {
  allStored(): Promise<void>;
  dropCachedRows(): void;
  /**
   * The cost SUM of the query's result rows (given `userId`, of that user's: the query groups by
   * USER_ID), run at once with no record and without the farm's slot (BudgetBasis.costUsd).
   */
  sumCost(query: AggregationQuery, timeoutMs: number, userId?: string): Promise<number>;
};

export function duckDbAggregations(db: Database, trace?: (line: string) => void): DuckDbAggregations {
  const slots = new FarmSlots();
  const records = new AggregationRecords(db, slots);
  const results = new ResultChunks(async (id, from, to) => {
    const record = await records.get(id);
    return record ? (await db.all(READ_STORED_ROWS_SQL, [id, record.createdAt, from, to])).map(toRow) : [];
  });
  /** Completed results not stored yet: their rows, answered from here until they are. */
  const unstored = new Map<string, AggregationRow[]>();
  const storing = new Set<Promise<void>>();
  // A reopened engine cut short every aggregation that was running on the old one.
  // (A Start answered after the reopen is newer than the hook's call, and left alone.)
  db.onReopen(() => records.failInterrupted('The storage engine failed and was reopened while this aggregation ran. Start it again.', Date.now()));

  /**
   * Stores a completed result: its rows (from ft_groups, still on its connection) and its
   * status, in one transaction on that connection (all or nothing, one commit). A failure
   * turns it FAILED.
   */
  async function store(conn: Lease, id: string, q: AggregationQuery, createdAt: number): Promise<void> {
    const began = performance.now();
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run(storeRowsSql(id, createdAt, q));
        await records.storeCompleted(id, conn);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      trace?.(`aggregation ${id}: stored in ${Math.round(performance.now() - began)} ms after COMPLETED`);
    } catch (err) {
      records.lose(id, err);
      trace?.(`aggregation ${id}: could not be stored: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return {
    async startAggregation(rec, lease) {
      const claim = slots.claim(rec.farmId, rec.aggregationId, lease);
      if (!('claimed' in claim)) return claim;
      // Leased before its IN_PROGRESS record is written: a sweep that lists the live leases
      // while the insert waits for the writer, then fails the IN_PROGRESS records not in that
      // list, must not take the new one for an aggregation whose server stopped.
      slots.lease(rec.aggregationId, lease);
      try {
        await records.insert(rec);
      } catch (err) {
        slots.ended(rec.aggregationId);
        slots.release(rec.farmId, rec.aggregationId);
        throw err;
      }
      return claim;
    },
    claimFarmSlot: async (farmId, holder, lease) => slots.claim(farmId, holder, lease),
    releaseFarmSlot: async (farmId, holder) => slots.release(farmId, holder),
    renewLeases: async (owner, ttlMs) => slots.renew(owner, ttlMs),

    async runAggregation(id, q, limits) {
      const began = performance.now();
      const conn = await db.lease();
      let closeLater = false;
      const nothingToStore = Promise.resolve();
      try {
        const outcome = await runBounded(conn, id, q, limits, trace);
        const read = performance.now();
        switch (outcome.kind) {
          case 'too-many':
            return { record: await records.finish(id, 'FAILED', tooManyRows(limits.maxRows, outcome.rows), 0), rows: [], stored: nothingToStore };
          case 'timed-out':
            return { record: await records.finish(id, 'TIMEOUT', timedOut(limits.timeoutMs), 0), rows: [], stored: nothingToStore };
          case 'computed': {
            const message = missingRates(outcome.missingRates);
            const rows = toRows(outcome.rows);
            unstored.set(id, rows);
            const record = await records.complete(id, message, rows.length);
            trace?.(`aggregation ${id}: COMPLETED in ${Math.round(performance.now() - began)} ms (${(performance.now() - read).toFixed(1)} ms after its rows were read)`);
            // The lease goes on to store the rows: ft_groups lives on its connection.
            closeLater = true;
            const stored = store(conn, id, q, record.createdAt).finally(() => {
              unstored.delete(id);
              conn.close();
              storing.delete(stored);
            });
            storing.add(stored);
            return { record, rows, stored };
          }
        }
      } finally {
        if (!closeLater) conn.close();
      }
    },

    async sumCost(q, timeoutMs, userId) {
      // A budget's query has one bucket and one queue: its rows are few, any limit above them does.
      const conn = await db.lease();
      try {
        const outcome = await runBounded(conn, `cost of ${q.resourceIds.join(',')}`, q, { maxRows: COST_SUM_MAX_ROWS, timeoutMs }, trace);
        if (outcome.kind === 'timed-out') throw new Error(timedOut(timeoutMs));
        if (outcome.kind === 'too-many') throw new Error(tooManyRows(COST_SUM_MAX_ROWS, outcome.rows));
        const users = outcome.rows.user_id ?? [];
        return (outcome.rows.cost_sum ?? []).reduce<number>((sum, c, i) => (userId === undefined || users[i] === userId ? sum + Number(c ?? 0) : sum), 0);
      } finally {
        conn.close();
      }
    },

    failAggregation: (id, message) => records.fail(id, message),
    getAggregation: (id) => records.get(id),
    async readAggregationRows(id, offset, limit) {
      const rows = unstored.get(id);
      return rows ? rows.slice(offset, offset + limit) : results.rows(id, offset, limit);
    },
    failExpiredAggregations: (message) => records.failInterrupted(message, Number.MAX_SAFE_INTEGER, slots.live()),

    async deleteExpiredAggregations(nowMs) {
      const gone = await records.deleteExpired(nowMs);
      for (const id of gone) results.forget(id);
      return gone.length;
    },

    async allStored() {
      await Promise.all([...storing]);
    },

    dropCachedRows: () => results.clear(),
  };
}
