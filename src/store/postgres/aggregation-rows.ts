// A completed aggregation's rows in PostgreSQL, in page order (row_index), written in the
// transaction that completes it and read back a page at a time.
//
// Every value comes back exactly as it went in. Runtime is kept in milliseconds as NUMERIC
// (the DuckDB store's HUGEINT sum, exact however large): a JS number's shortest decimal form
// (String) goes in and is multiplied by 1000 in NUMERIC, and the stored value times 0.001 is
// read back as text, both exact decimal shifts, so Number() of it is the number given.
// Costs are DOUBLE PRECISION: numbers go in as their shortest decimal form and PostgreSQL
// (12+) prints doubles the same way, so they too come back unchanged. An absent group value
// is NULL.
import type { AggregationRow } from '../aggregation-store.js';
import type { Row, Sql } from './connection.js';

/** Rows per statement: a large result goes in several. */
const CHUNK = 10_000;

const GROUP_COLUMNS = [
  ['queue_id', 'queueId'],
  ['fleet_id', 'fleetId'],
  ['job_id', 'jobId'],
  ['job_name', 'jobName'],
  ['user_id', 'userId'],
  ['usage_type', 'usageType'],
  ['instance_type', 'instanceType'],
  ['license_product', 'licenseProduct'],
] as const;

/** The columns a row is written as: name, the array type it travels in, its value, and how it is stored (`u.name` by default). */
const WRITTEN: [column: string, type: string, value: (r: AggregationRow) => unknown, stored?: string][] = [
  ['bucket_start', 'bigint', (r) => r.bucketStart],
  ['bucket_end', 'bigint', (r) => r.bucketEnd],
  ...GROUP_COLUMNS.map(([column, member]): [string, string, (r: AggregationRow) => unknown] => [column, 'text', (r) => r[member] ?? null]),
  ['n', 'bigint', (r) => r.count],
  ['runtime_ms_sum', 'numeric', (r) => String(r.runtimeSeconds.sum), 'u.runtime_ms_sum * 1000'],
  ['runtime_ms_min', 'numeric', (r) => String(r.runtimeSeconds.min), 'u.runtime_ms_min * 1000'],
  ['runtime_ms_max', 'numeric', (r) => String(r.runtimeSeconds.max), 'u.runtime_ms_max * 1000'],
  ['cost_sum', 'float8', (r) => r.costUsd.sum],
  ['cost_min', 'float8', (r) => r.costUsd.min],
  ['cost_max', 'float8', (r) => r.costUsd.max],
];

const INSERT_ROWS = `INSERT INTO aggregation_rows (aggregation_id, row_index, ${WRITTEN.map(([c]) => c).join(', ')})
  SELECT $1, u.row_index, ${WRITTEN.map(([c, , , stored]) => stored ?? `u.${c}`).join(', ')}
  FROM unnest($2::integer[], ${WRITTEN.map(([, type], i) => `$${i + 3}::${type}[]`).join(', ')}) AS u(row_index, ${WRITTEN.map(([c]) => c).join(', ')})`;

export async function insertRows(tx: Sql, aggregationId: string, rows: readonly AggregationRow[]): Promise<void> {
  for (let from = 0; from < rows.length; from += CHUNK) {
    const chunk = rows.slice(from, from + CHUNK);
    await tx.query(INSERT_ROWS, [aggregationId, chunk.map((_, i) => from + i), ...WRITTEN.map(([, , value]) => chunk.map(value))]);
  }
}

const toRow = (r: Row): AggregationRow => {
  const row: AggregationRow = {
    bucketStart: r.bucket_start as number,
    bucketEnd: r.bucket_end as number,
    count: r.n as number,
    runtimeSeconds: { sum: Number(r.runtime_sum), min: Number(r.runtime_min), max: Number(r.runtime_max) },
    costUsd: { sum: r.cost_sum as number, min: r.cost_min as number, max: r.cost_max as number },
  };
  // Every member present, undefined where absent: the shape every engine answers.
  for (const [column, member] of GROUP_COLUMNS) row[member] = r[column] === null ? undefined : (r[column] as string);
  return row;
};

/** Rows [offset, offset + limit) of the aggregation's result, in page order; none for an unknown or unfinished one. */
export async function readRows(sql: Sql, aggregationId: string, offset: number, limit: number): Promise<AggregationRow[]> {
  const rows = await sql.query(
    `SELECT bucket_start, bucket_end, ${GROUP_COLUMNS.map(([c]) => c).join(', ')}, n,
       (runtime_ms_sum * 0.001)::text AS runtime_sum, (runtime_ms_min * 0.001)::text AS runtime_min, (runtime_ms_max * 0.001)::text AS runtime_max,
       cost_sum, cost_min, cost_max
     FROM aggregation_rows WHERE aggregation_id = $1 AND row_index >= $2 ORDER BY row_index LIMIT $3`,
    [aggregationId, offset, limit],
  );
  return rows.map(toRow);
}
