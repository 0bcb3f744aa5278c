// Aggregation records in the PostgreSQL state, shared by every API server: started together
// with the farm's slot in one transaction (so of concurrent Starts through any servers
// exactly one wins), held by their server's lease while IN_PROGRESS, finished once with their
// rows in one transaction, failed when their server's lease expired, and deleted with their
// rows once expired. Running them is the cluster store's (ClickHouse): this module keeps the
// outcome.
import type { AggregationRow, AggregationStatus, AggregationStore } from '../aggregation-store.js';
import type { PgDatabase } from './connection.js';
import { insertRows, readRows } from './aggregation-rows.js';
import { claimSlot, leaseEnd, releaseSlot, renewLeases } from './leases.js';
import { toAggregationRecord } from '../rows.js';

export type StateAggregations = Omit<AggregationStore, 'runAggregation'> & {
  /**
   * Stores the aggregation's final status, message and (COMPLETED) rows in page order, in one
   * transaction, only if it is still IN_PROGRESS (not failed meanwhile, by its work or because
   * its lease expired); answers whether it did. The farm's slot is the caller's to release.
   */
  finishAggregation(aggregationId: string, status: Exclude<AggregationStatus, 'IN_PROGRESS'>, message: string | undefined, rows: readonly AggregationRow[]): Promise<boolean>;
};


export function postgresAggregations(db: PgDatabase): StateAggregations {
  return {
    startAggregation: (rec, lease) =>
      db.transaction(async (tx) => {
        const claim = await claimSlot(tx, rec.farmId, rec.aggregationId, lease);
        if ('claimed' in claim) {
          await tx.query(
            `INSERT INTO aggregations (aggregation_id, farm_id, status, group_by, statistics, created_at, expires_at, row_count, lease_owner, lease_expires_at)
             VALUES ($1, $2, 'IN_PROGRESS', $3::text[], $4::text[], $5, $6, 0, $7, ${leaseEnd('$8')})`,
            [rec.aggregationId, rec.farmId, rec.groupBy, rec.statistics, rec.createdAt, rec.expiresAt, lease.owner, lease.ttlMs],
          );
        }
        return claim;
      }),
    claimFarmSlot: (farmId, holder, lease) => db.transaction((tx) => claimSlot(tx, farmId, holder, lease)),
    releaseFarmSlot: (farmId, holder) => releaseSlot(db, farmId, holder),
    renewLeases: (owner, ttlMs) => renewLeases(db, owner, ttlMs),

    async getAggregation(id) {
      const r = await db.one(`SELECT * FROM aggregations WHERE aggregation_id = $1`, [id]);
      return r && toAggregationRecord(r);
    },
    readAggregationRows: (id, offset, limit) => readRows(db, id, offset, limit),

    finishAggregation: (id, status, message, rows) =>
      db.transaction(async (tx) => {
        const updated = await tx.query(
          `UPDATE aggregations SET status = $2, status_message = $3, row_count = $4, lease_owner = NULL, lease_expires_at = NULL
           WHERE aggregation_id = $1 AND status = 'IN_PROGRESS' RETURNING 1`,
          [id, status, message ?? null, rows.length],
        );
        if (!updated.length) return false;
        await insertRows(tx, id, rows);
        return true;
      }),

    // As in the DuckDB store: FAILED whatever it was, its rows gone.
    failAggregation: (id, message) =>
      db.transaction(async (tx) => {
        await tx.query(`DELETE FROM aggregation_rows WHERE aggregation_id = $1`, [id]);
        await tx.query(`UPDATE aggregations SET status = 'FAILED', status_message = $2, row_count = 0, lease_owner = NULL, lease_expires_at = NULL WHERE aggregation_id = $1`, [
          id,
          message,
        ]);
      }),

    // A finish committing meanwhile holds the row: the update waits for it, then finds it no longer IN_PROGRESS.
    async failExpiredAggregations(message) {
      const failed = await db.query(
        `UPDATE aggregations SET status = 'FAILED', status_message = $1, row_count = 0, lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'IN_PROGRESS' AND lease_expires_at <= clock_timestamp() RETURNING 1`,
        [message],
      );
      return failed.length;
    },

    // Their rows go with them (ON DELETE CASCADE). A running one is left to finish.
    async deleteExpiredAggregations(nowMs) {
      const gone = await db.query(`DELETE FROM aggregations WHERE expires_at <= $1 AND status <> 'IN_PROGRESS' RETURNING 1`, [nowMs]);
      return gone.length;
    },
  };
}
