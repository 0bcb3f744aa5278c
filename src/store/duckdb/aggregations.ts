// Aggregations on DuckDB: each runs on a connection of its own (so the API keeps answering
// while it works), writes its rows into a result table of its own and its outcome into
// the aggregations table.
import { BIGINT, LIST, listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { GroupByField, Statistic } from '../../domain/aggregation-rules.js';
import type { AggregationLimits, AggregationQuery, AggregationRecord, AggregationRow, AggregationStore } from '../aggregation-store.js';
import type { Database, Row } from './database.js';
import { chooseAggregationPlan, describePlan, fineGroupsStatements, groupsSql, longestSpanSql, type AggregationPlan, missingRatesSql, rateTableStatements, resourceCodesSql, RESULT_ROWS_TABLE, storeRowsSql } from './aggregation-sql.js';

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

const toRecord = (r: Row): AggregationRecord => ({
  aggregationId: r.aggregation_id as string,
  farmId: r.farm_id as string,
  status: r.status as AggregationRecord['status'],
  statusMessage: opt(r.status_message),
  groupBy: r.group_by as GroupByField[],
  statistics: r.statistics as Statistic[],
  createdAt: r.created_at as number,
  expiresAt: r.expires_at as number,
  rowCount: r.row_count as number,
});

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

function describeMissing(rows: Row[]): string[] {
  const names = rows.map((r) => {
    if (r.usage_type === 'LICENSE') return `license product ${r.license_product}`;
    if (r.instance_type == null) return `instance type (unknown) on service-managed fleet ${r.fleet_id}`;
    return `instance type ${r.instance_type}`;
  });
  return [...new Set(names)];
}

/**
 * Result rows are read from the engine in chunks and kept in memory for paging, up to about
 * 40 MB of rows for all aggregations together, least recently used out first. A client reads
 * a result page after page; one query per chunk instead of one per page took Q1's 72 pages at
 * 10 M sessions from about 12 to 5 ms each (measured through the SDK).
 */
export const RESULT_CHUNK_ROWS = 2_000;
export const CACHED_RESULT_ROWS = 100_000;

/** What a statement takes besides its text: parameters, and their types. */
type RunArgs = Parameters<DuckDBConnection['run']> extends [string, ...infer R] ? R : never;

/**
 * How an aggregation's statements are carried out, on its own connection: the server bounds
 * and traces them, the benchmark (bench/engine.ts) times them.
 */
export interface Statements {
  run(sql: string, ...args: RunArgs): Promise<unknown>;
  read(sql: string): Promise<Row[]>;
}

/** The tables every plan reads: the rate tables, and the buckets (ft_edges, ft_buckets). */
export async function prepareBuckets(q: AggregationQuery, x: Statements): Promise<void> {
  for (const statement of rateTableStatements(q)) await x.run(statement);
  await x.run(
    `CREATE OR REPLACE TEMP TABLE ft_edges AS SELECT (generate_subscripts(e, 1) - 1)::INTEGER AS i, unnest(e) AS b FROM (SELECT $1::BIGINT[] AS e)`,
    [listValue(q.boundaries)],
    [LIST(BIGINT)],
  );
  await x.run(`CREATE OR REPLACE TEMP TABLE ft_buckets AS SELECT i, b AS b_start, lead(b) OVER (ORDER BY i) AS b_end FROM ft_edges QUALIFY b_end IS NOT NULL`);
}

/** ft_groups, the priced groups: the plan's facts are read first (the selected codes, the longest span), then the grouping. Answers the plan. */
export async function computeGroups(q: AggregationQuery, x: Statements): Promise<AggregationPlan> {
  const resourceCodes = (await x.read(resourceCodesSql(q))).map((r) => Number(r.code));
  const spanSql = longestSpanSql(q);
  const plan = chooseAggregationPlan(q, spanSql ? Number((await x.read(spanSql))[0]!.k) : undefined);
  for (const statement of fineGroupsStatements(q, { resourceCodes, plan })) await x.run(statement);
  await x.run(groupsSql(q));
  return plan;
}

export function duckDbAggregations(db: Database, trace?: (line: string) => void): AggregationStore {
  // Finished aggregations' records (a few small fields each) are remembered once read: every
  // page of a result asks for its record. Running ones are answered from memory too: a
  // client polls while its aggregation runs, and each poll's query on the engine slowed the
  // aggregation itself (Q1 at 10 M sessions: about 1.7 s polled every 500 ms, 2.4 s every 10 ms).
  const finished = new Map<string, AggregationRecord>();
  const running = new Map<string, AggregationRecord>();
  // Chunks of results by `${aggregationId}:${chunk}`, least recently used first (a Map keeps insertion order).
  const chunks = new Map<string, AggregationRow[]>();
  let cachedRows = 0;

  function forgetResult(id: string): void {
    for (const [key, rows] of chunks) {
      if (!key.startsWith(`${id}:`)) continue;
      cachedRows -= rows.length;
      chunks.delete(key);
    }
  }

  async function resultChunk(id: string, chunk: number): Promise<AggregationRow[]> {
    const key = `${id}:${chunk}`;
    const hit = chunks.get(key);
    if (hit) {
      chunks.delete(key);
      chunks.set(key, hit);
      return hit;
    }
    const from = chunk * RESULT_CHUNK_ROWS;
    const rows = (await db.all(
      `SELECT * FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = $1 AND row_index >= $2 AND row_index < $3 ORDER BY row_index`,
      [id, from, from + RESULT_CHUNK_ROWS],
    )).map(toRow);
    if (chunks.has(key)) return chunks.get(key)!; // another page request read it meanwhile
    for (const [oldest, old] of chunks) {
      if (cachedRows + rows.length <= CACHED_RESULT_ROWS) break;
      cachedRows -= old.length;
      chunks.delete(oldest);
    }
    chunks.set(key, rows);
    cachedRows += rows.length;
    return rows;
  }

  /** The record as it now stands, kept in memory for the polls and pages that follow. */
  function remember(id: string, base: AggregationRecord, status: AggregationRecord['status'], message: string | undefined, rowCount: number): AggregationRecord {
    const record: AggregationRecord = { ...base, status, statusMessage: message, rowCount };
    finished.set(id, record);
    running.delete(id);
    return { ...record };
  }

  async function finish(id: string, status: AggregationRecord['status'], message: string | undefined, rowCount: number): Promise<AggregationRecord> {
    const base = running.get(id) ?? finished.get(id) ?? toRecord((await db.one(`SELECT * FROM aggregations WHERE aggregation_id = $1`, [id]))!);
    try {
      await db.run(`UPDATE aggregations SET status = $2, status_message = $3, row_count = $4 WHERE aggregation_id = $1`, [id, status, message ?? null, rowCount]);
    } catch (err) {
      // The outcome could not be stored (the engine failed): callers see FAILED at once; the
      // data file says so once the engine is back (failInterruptedAggregations).
      remember(id, base, 'FAILED', `The aggregation's outcome could not be stored: ${err instanceof Error ? err.message : String(err)} Start it again.`, 0);
      throw err;
    }
    return remember(id, base, status, message, rowCount);
  }

  /** Aggregations the data file says are running, started before `before`, end FAILED: at start-up, or after a reopen, none of them can be. */
  async function failInterrupted(message: string, before = Number.MAX_SAFE_INTEGER): Promise<number> {
    const rows = await db.write(`UPDATE aggregations SET status = 'FAILED', status_message = $1 WHERE status = 'IN_PROGRESS' AND created_at < $2 RETURNING aggregation_id`, [message, before]);
    for (const r of rows) {
      const id = r.aggregation_id as string;
      running.delete(id);
      finished.delete(id);
      // Its rows, if they were stored before its outcome could be (the engine failed in between).
      await db.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = $1`, [id]);
    }
    return rows.length;
  }
  // A reopened engine cut short every aggregation that was running on the old one.
  // (A Start answered after the reopen is newer than the hook's call, and left alone.)
  db.onReopen(() => failInterrupted('The storage engine failed and was reopened while this aggregation ran. Start it again.', Date.now()));

  return {
    async insertAggregation(rec) {
      await db.run(`INSERT INTO aggregations VALUES ($1, $2, 'IN_PROGRESS', NULL, $3::VARCHAR[], $4::VARCHAR[], $5, $6, 0)`, [
        rec.aggregationId, rec.farmId, listValue(rec.groupBy), listValue(rec.statistics), rec.createdAt, rec.expiresAt,
      ]);
      running.set(rec.aggregationId, { ...rec, status: 'IN_PROGRESS', rowCount: 0 });
    },

    async runAggregation(id: string, q: AggregationQuery, limits: AggregationLimits) {
      const conn = await db.lease();
      const deadline = Date.now() + limits.timeoutMs;
      let timedOut = false;
      // interrupt() stops the statement running now; the check in step() catches the time
      // between statements, where an interrupt would have nothing to stop.
      const timer = setTimeout(() => {
        timedOut = true;
        conn.interrupt();
      }, limits.timeoutMs);
      const began = performance.now();
      const traced = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
        if (!trace) return run();
        const started = performance.now();
        const result = await run();
        trace(`aggregation ${id}: ${Math.round(performance.now() - started)} ms ${sql.replace(/\s+/g, ' ').trim().slice(0, 60)}`);
        return result;
      };
      const step = async (sql: string, ...args: RunArgs) => {
        if (Date.now() >= deadline) timedOut = true;
        if (timedOut) throw new Error('aggregation timed out');
        await traced(sql, () => conn.run(sql, ...args));
      };
      const read = (sql: string) => traced(sql, () => conn.all(sql));
      try {
        const statements: Statements = { run: step, read };
        await prepareBuckets(q, statements);
        const plan = await computeGroups(q, statements);
        trace?.(`aggregation ${id}: plan ${describePlan(plan)}`);
        const count = Number((await read(`SELECT count(*) AS n FROM ft_groups`))[0]!.n);
        if (count > limits.maxRows) {
          return await finish(id, 'FAILED', `The aggregation would return ${count} rows, more than this server's limit of ${limits.maxRows}. Narrow the time range, choose a longer period, select fewer queues or fleets, or group by fewer fields.`, 0);
        }
        const missing = describeMissing(await read(missingRatesSql(q))).sort();
        await step(storeRowsSql(id, q));
        clearTimeout(timer);
        const message = missing.length
          ? `No rate for ${missing.join(', ')}: that usage counts 0 USD. Add the rates to the pricing file (serve --pricing FILE).`
          : undefined;
        const done = await finish(id, 'COMPLETED', message, count);
        trace?.(`aggregation ${id}: COMPLETED in ${Math.round(performance.now() - began)} ms`);
        return done;
      } catch (err) {
        if (timedOut) {
          await conn.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = $1`, [id]).catch(() => undefined);
          return await finish(id, 'TIMEOUT', `The aggregation ran past this server's limit of ${limits.timeoutMs / 1000} s. Narrow the time range, select fewer queues or fleets, or group by fewer fields.`, 0);
        }
        throw err;
      } finally {
        clearTimeout(timer);
        conn.close();
      }
    },

    async failAggregation(id, message) {
      await db.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id = $1`, [id]);
      await finish(id, 'FAILED', message, 0);
    },

    async getAggregation(id) {
      const known = finished.get(id) ?? running.get(id);
      if (known) return { ...known };
      const r = await db.one(`SELECT * FROM aggregations WHERE aggregation_id = $1`, [id]);
      if (!r) return undefined;
      const record = toRecord(r);
      if (record.status !== 'IN_PROGRESS') finished.set(id, record);
      return { ...record };
    },

    async readAggregationRows(id, offset, limit) {
      const rows: AggregationRow[] = [];
      for (let at = offset; at < offset + limit; ) {
        const chunk = Math.floor(at / RESULT_CHUNK_ROWS);
        const part = (await resultChunk(id, chunk)).slice(at - chunk * RESULT_CHUNK_ROWS, offset + limit - chunk * RESULT_CHUNK_ROWS);
        if (part.length === 0) break;
        rows.push(...part);
        at += part.length;
      }
      return rows;
    },

    failInterruptedAggregations: (message) => failInterrupted(message),

    async deleteExpiredAggregations(nowMs) {
      return db.transaction(async (tx) => {
        // A running one is left to finish (its rows are not stored yet); the next sweep takes it.
        const gone = await tx.all(`DELETE FROM aggregations WHERE expires_at <= $1 AND status <> 'IN_PROGRESS' RETURNING aggregation_id`, [nowMs]);
        for (const r of gone) {
          finished.delete(r.aggregation_id as string);
          forgetResult(r.aggregation_id as string);
        }
        // Rows whose aggregation is gone, in one pass. A running aggregation has its record
        // already, and rows it stores meanwhile are not in this transaction's view.
        if (gone.length) await tx.run(`DELETE FROM ${RESULT_ROWS_TABLE} WHERE aggregation_id NOT IN (SELECT aggregation_id FROM aggregations)`);
        return gone.length;
      });
    },
  };
}
