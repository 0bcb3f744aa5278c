// Aggregations' records (the aggregations table) and the life of their results: inserted
// IN_PROGRESS, finished once (COMPLETED in memory first, then in the file), FAILED when cut
// short, deleted with their rows once expired.
// Records are answered from memory once known: every page of a result asks for its record,
// and a client polls while its aggregation runs (each poll's query on the engine slowed the
// aggregation itself, BENCHMARKS.md).
import { listValue } from '@duckdb/node-api';
import type { AggregationRecord, AggregationStatus } from '../aggregation-store.js';
import { toAggregationRecord } from '../rows.js';
import { RESULT_ROWS_TABLE } from './aggregation-sql.js';
import type { Database, Sql } from './database.js';
import type { FarmSlots } from './farm-slots.js';

export class AggregationRecords {
  private readonly finished = new Map<string, AggregationRecord>();
  private readonly running = new Map<string, AggregationRecord>();

  constructor(
    private readonly db: Database,
    private readonly slots: FarmSlots,
  ) {}

  async insert(rec: Omit<AggregationRecord, 'status' | 'rowCount' | 'statusMessage'>): Promise<void> {
    await this.db.run(`INSERT INTO aggregations VALUES ($1, $2, 'IN_PROGRESS', NULL, $3::VARCHAR[], $4::VARCHAR[], $5, $6, 0)`, [
      rec.aggregationId, rec.farmId, listValue(rec.groupBy), listValue(rec.statistics), rec.createdAt, rec.expiresAt,
    ]);
    this.running.set(rec.aggregationId, { ...rec, status: 'IN_PROGRESS', rowCount: 0 });
  }

  async get(id: string): Promise<AggregationRecord | undefined> {
    const known = this.finished.get(id) ?? this.running.get(id);
    if (known) return { ...known };
    const r = await this.db.one(`SELECT * FROM aggregations WHERE aggregation_id = $1`, [id]);
    if (!r) return undefined;
    const record = toAggregationRecord(r);
    if (record.status !== 'IN_PROGRESS') this.finished.set(id, record);
    return { ...record };
  }

  /** Stores the outcome; when it cannot be stored (the engine failed), callers see FAILED at once and the file says so once the engine is back. */
  async finish(id: string, status: AggregationStatus, message: string | undefined, rowCount: number): Promise<AggregationRecord> {
    const base = this.running.get(id) ?? this.finished.get(id) ?? toAggregationRecord((await this.db.one(`SELECT * FROM aggregations WHERE aggregation_id = $1`, [id]))!);
    try {
      await this.db.run(`UPDATE aggregations SET status = $2, status_message = $3, row_count = $4 WHERE aggregation_id = $1`, [id, status, message ?? null, rowCount]);
      this.slots.ended(id);
    } catch (err) {
      this.lose(id, err, base);
      throw err;
    }
    return this.remember(id, base, status, message, rowCount);
  }

  /**
   * COMPLETED in memory only: getAggregation answers it at once, while the data file still
   * says IN_PROGRESS until `storeCompleted` (a restart before then finds it cut short).
   */
  async complete(id: string, message: string | undefined, rowCount: number): Promise<AggregationRecord> {
    const base = this.running.get(id) ?? (await this.get(id));
    if (!base) throw new Error(`aggregation ${id} has no record`);
    return this.remember(id, base, 'COMPLETED', message, rowCount);
  }

  /**
   * Writes a completed outcome (see `complete`) to the data file, on `tx`, in the transaction
   * that stores its rows, unless the aggregation was ended meanwhile (an engine reopened:
   * FAILED in the file, which is then believed).
   */
  async storeCompleted(id: string, tx: Sql): Promise<void> {
    const record = this.finished.get(id);
    if (!record || record.status !== 'COMPLETED') return;
    const updated = await tx.all(
      `UPDATE aggregations SET status = 'COMPLETED', status_message = $2, row_count = $3 WHERE aggregation_id = $1 AND status = 'IN_PROGRESS' RETURNING aggregation_id`,
      [id, record.statusMessage ?? null, record.rowCount],
    );
    if (updated.length === 0) this.finished.delete(id);
    this.slots.ended(id);
  }

  /** The outcome could not be stored: FAILED from now on, saying why. */
  lose(id: string, err: unknown, base = this.finished.get(id) ?? this.running.get(id)): void {
    if (base) this.remember(id, base, 'FAILED', `The aggregation's outcome could not be stored: ${err instanceof Error ? err.message : String(err)} Start it again.`, 0);
  }

  /** Ends an aggregation FAILED (its work threw), its rows gone. */
  async fail(id: string, message: string): Promise<void> {
    await this.dropRows(id);
    await this.finish(id, 'FAILED', message, 0);
  }

  /**
   * Aggregations the data file says are running, started before `before`, end FAILED, but
   * for those in `live` (leased by a server that still renews them): at start-up, or after a
   * reopen, none of them can be running.
   */
  async failInterrupted(message: string, before = Number.MAX_SAFE_INTEGER, live: string[] = []): Promise<number> {
    const rows = await this.db.write(
      `UPDATE aggregations SET status = 'FAILED', status_message = $1 WHERE status = 'IN_PROGRESS' AND created_at < $2 AND NOT list_contains($3::VARCHAR[], aggregation_id) RETURNING aggregation_id`,
      // The empty string (no aggregation's ID) keeps the list typed when no lease is live.
      [message, before, listValue(['', ...live])],
    );
    for (const r of rows) {
      const id = r.aggregation_id as string;
      this.slots.ended(id);
      this.running.delete(id);
      this.finished.delete(id);
      // Its rows, if they were stored before its outcome could be (the engine failed in between).
      await this.dropRows(id);
    }
    return rows.length;
  }

  /** Deletes expired aggregations with their rows; answers their IDs. A running one is left to finish (its rows are not stored yet). */
  async deleteExpired(nowMs: number): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const gone = (await tx.all(`DELETE FROM aggregations WHERE expires_at <= $1 AND status <> 'IN_PROGRESS' RETURNING aggregation_id`, [nowMs])).map((r) => r.aggregation_id as string);
      for (const id of gone) this.finished.delete(id);
      // Rows whose aggregation is gone, in one pass. A running aggregation has its record
      // already, and rows it stores meanwhile are not in this transaction's view.
      if (gone.length) await tx.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id NOT IN (SELECT aggregation_id FROM aggregations)`);
      return gone;
    });
  }

  dropRows(id: string): Promise<void> {
    return this.db.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = $1`, [id]);
  }

  /** The record as it now stands, kept in memory for the polls and pages that follow. */
  private remember(id: string, base: AggregationRecord, status: AggregationStatus, message: string | undefined, rowCount: number): AggregationRecord {
    const record: AggregationRecord = { ...base, status, statusMessage: message, rowCount };
    this.finished.set(id, record);
    this.running.delete(id);
    return { ...record };
  }
}
