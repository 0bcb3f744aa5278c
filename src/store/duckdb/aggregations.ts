// Aggregations on DuckDB, assembled from their parts: each runs on a connection of its own
// so the API keeps answering while it works (aggregation-run), stores its rows in the one
// result table and its outcome in its record (aggregation-records), and is paged from
// memory (result-chunks).
import type { AggregationRow, AggregationStore } from '../aggregation-store.js';
import { RESULT_ROWS_TABLE } from './aggregation-sql.js';
import { AggregationRecords } from './aggregation-records.js';
import { runBounded } from './aggregation-run.js';
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

export function duckDbAggregations(db: Database, trace?: (line: string) => void): AggregationStore {
  const records = new AggregationRecords(db);
  const results = new ResultChunks(async (id, from, to) =>
    (await db.all(`SELECT * FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = $1 AND row_index >= $2 AND row_index < $3 ORDER BY row_index`, [id, from, to])).map(toRow),
  );
  // A reopened engine cut short every aggregation that was running on the old one.
  // (A Start answered after the reopen is newer than the hook's call, and left alone.)
  db.onReopen(() => records.failInterrupted('The storage engine failed and was reopened while this aggregation ran. Start it again.', Date.now()));

  return {
    insertAggregation: (rec) => records.insert(rec),

    async runAggregation(id, q, limits) {
      const began = performance.now();
      const conn = await db.lease();
      try {
        const outcome = await runBounded(conn, id, q, limits, trace);
        switch (outcome.kind) {
          case 'too-many':
            return await records.finish(id, 'FAILED', `The aggregation would return ${outcome.rows} rows, more than this server's limit of ${limits.maxRows}. Narrow the time range, choose a longer period, select fewer queues or fleets, or group by fewer fields.`, 0);
          case 'timed-out':
            await records.dropRows(id).catch(() => undefined);
            return await records.finish(id, 'TIMEOUT', `The aggregation ran past this server's limit of ${limits.timeoutMs / 1000} s. Narrow the time range, select fewer queues or fleets, or group by fewer fields.`, 0);
          case 'stored': {
            const message = outcome.missingRates.length
              ? `No rate for ${outcome.missingRates.join(', ')}: that usage counts 0 USD. Add the rates to the pricing file (serve --pricing FILE).`
              : undefined;
            const done = await records.finish(id, 'COMPLETED', message, outcome.rows);
            trace?.(`aggregation ${id}: COMPLETED in ${Math.round(performance.now() - began)} ms`);
            return done;
          }
        }
      } finally {
        conn.close();
      }
    },

    failAggregation: (id, message) => records.fail(id, message),
    getAggregation: (id) => records.get(id),
    readAggregationRows: (id, offset, limit) => results.rows(id, offset, limit),
    failInterruptedAggregations: (message) => records.failInterrupted(message),

    async deleteExpiredAggregations(nowMs) {
      const gone = await records.deleteExpired(nowMs);
      for (const id of gone) results.forget(id);
      return gone.length;
    },
  };
}
