// The aggregation as DuckDB SQL. It carries out the domain's rules (domain/aggregation-rules,
// domain/pricing) at speed; the tests hold the two, and an independent reference, together.
//
// Steps: pick the sessions that overlap [start, end) (running ones up to asOf), clip them to
// the range, expand each into usage records (one COMPUTE, one LICENSE per product), price
// them, find each record's first and last bucket with ASOF joins against the domain's bucket
// edges, split it into one piece per bucket, and group the pieces.
import type { GroupByField } from '../../domain/aggregation-rules.js';
import type { AggregationQuery } from '../aggregation-store.js';

/** The sessions column (or usage column) each group-by field reads. */
export const GROUP_COLUMN: Record<GroupByField, string> = {
  QUEUE_ID: 'queue_id',
  FLEET_ID: 'fleet_id',
  JOB_ID: 'job_id',
  USER_ID: 'user_id',
  USAGE_TYPE: 'usage_type',
  INSTANCE_TYPE: 'instance_type',
  LICENSE_PRODUCT: 'license_product',
};

/** A SQL string literal. Values reaching here are validated IDs or rate-card keys. */
export const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

const int = (n: number): string => {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
};

/** Rate tables as VALUES lists (key, USD per hour); an empty card still yields a typed table. */
function ratesTable(name: string, rates: Record<string, number>): string {
  const rows = Object.entries(rates).map(([k, v]) => `(${literal(k)}, ${Number(v)}::DOUBLE)`);
  return rows.length
    ? `CREATE OR REPLACE TEMP TABLE ${name} AS SELECT * FROM (VALUES ${rows.join(', ')}) t(k, rate)`
    : `CREATE OR REPLACE TEMP TABLE ${name} (k VARCHAR, rate DOUBLE)`;
}

export function rateTableStatements(q: AggregationQuery): string[] {
  return [
    ratesTable('ft_instance_rates', q.rateCard.instanceTypes),
    ratesTable('ft_license_rates', q.rateCard.licenseProducts),
    ratesTable('ft_fleet_rates', q.rateCard.customerManagedFleets),
  ];
}

/** The usage records of the selected sessions, clipped to the range, priced (rate may be NULL). */
export function pricedUsageSql(q: AggregationQuery): string {
  const start = int(q.boundaries[0]!);
  const end = int(q.boundaries[q.boundaries.length - 1]!);
  const asOf = int(q.asOfMs);
  const farm = literal(q.farmId);
  const column = q.resourceKind === 'queue' ? 'queue_id' : 'fleet_id';
  const ids = q.resourceIds.map(literal).join(', ');
  return `
    live AS (
      SELECT queue_id, fleet_id, job_id, user_id, instance_type, license_products,
             greatest(started_at, ${start}) AS s0, least(coalesce(ended_at, ${asOf}), ${end}) AS e0
      FROM sessions
      WHERE farm_id = ${farm} AND ${column} IN (${ids})
        AND started_at < ${end} AND coalesce(ended_at, ${asOf}) > ${start}
        AND least(coalesce(ended_at, ${asOf}), ${end}) > greatest(started_at, ${start})
    ),
    usage AS (
      SELECT queue_id, fleet_id, job_id, user_id, 'COMPUTE' AS usage_type, instance_type, NULL::VARCHAR AS license_product, s0, e0 FROM live
      UNION ALL
      SELECT queue_id, fleet_id, job_id, user_id, 'LICENSE' AS usage_type, NULL::VARCHAR AS instance_type, unnest(license_products) AS license_product, s0, e0
      FROM live WHERE len(license_products) > 0
    ),
    priced AS (
      SELECT u.*, f.kind AS fleet_kind,
             CASE WHEN u.usage_type = 'LICENSE' THEN lr.rate
                  WHEN f.kind = 'customerManaged' THEN coalesce(fr.rate, ${Number(q.rateCard.customerManagedWorkerHour)}::DOUBLE)
                  ELSE ir.rate END AS rate
      FROM usage u
      LEFT JOIN fleets f ON f.farm_id = ${farm} AND f.fleet_id = u.fleet_id
      LEFT JOIN ft_license_rates lr ON lr.k = u.license_product
      LEFT JOIN ft_instance_rates ir ON ir.k = u.instance_type
      LEFT JOIN ft_fleet_rates fr ON fr.k = u.fleet_id
    )`;
}

/** Groups every bucket piece into ft_groups: one row per (bucket, group values). */
export function groupsSql(q: AggregationQuery): string {
  const keys = q.groupBy.map((f) => GROUP_COLUMN[f]);
  const keyList = keys.map((k) => `, ${k}`).join('');
  const msPerHour = 3_600_000;
  return `
    CREATE OR REPLACE TEMP TABLE ft_groups AS
    WITH ${pricedUsageSql(q)},
    spans AS (
      SELECT p.*, b1.i AS first_i, b2.i AS last_i
      FROM priced p
      ASOF JOIN ft_buckets b1 ON p.s0 >= b1.b_start
      ASOF JOIN ft_buckets b2 ON p.e0 > b2.b_start
    ),
    pieces AS (
      SELECT s.*, b.i, least(s.e0, b.b_end) - greatest(s.s0, b.b_start) AS ms
      FROM (SELECT *, unnest(generate_series(first_i, last_i)) AS bucket_i FROM spans) s
      JOIN ft_buckets b ON b.i = s.bucket_i
    )
    SELECT i${keyList}, count(*) AS n,
           sum(ms)::HUGEINT AS runtime_ms_sum, min(ms) AS runtime_ms_min, max(ms) AS runtime_ms_max,
           sum(ms * coalesce(rate, 0) / ${msPerHour}) * ${Number(q.costScaleFactor)} AS cost_sum,
           min(ms * coalesce(rate, 0) / ${msPerHour}) * ${Number(q.costScaleFactor)} AS cost_min,
           max(ms * coalesce(rate, 0) / ${msPerHour}) * ${Number(q.costScaleFactor)} AS cost_max
    FROM pieces
    GROUP BY i${keyList}`;
}

/**
 * Sort key for ordinal (UTF-16 code unit) order. DuckDB compares UTF-8 bytes, which is code
 * point order; the two differ only where U+E000..U+FFFF meets a character above U+FFFF
 * (a surrogate pair sorts first in UTF-16). Prefixing U+E000..U+FFFF with U+10FFFF fixes that.
 */
export const ordinalKey = (column: string): string => `regexp_replace(${column}, '([\\x{E000}-\\x{FFFF}])', chr(1114111) || '\\1', 'g')`;

/** Copies ft_groups into aggregation_rows, numbered in the API's order (SPEC rule 12). */
export function storeRowsSql(aggregationId: string, q: AggregationQuery): string {
  const has = (f: GroupByField) => q.groupBy.includes(f);
  const col = (f: GroupByField) => (has(f) ? `g.${GROUP_COLUMN[f]}` : 'NULL');
  const order = ['g.i', ...q.groupBy.map((f) => `${ordinalKey(`g.${GROUP_COLUMN[f]}`)} NULLS FIRST`)].join(', ');
  return `
    INSERT INTO aggregation_rows
    SELECT ${literal(aggregationId)}, row_number() OVER (ORDER BY ${order}) - 1,
           b.b_start, b.b_end,
           ${col('QUEUE_ID')}, ${col('FLEET_ID')}, ${col('JOB_ID')}, ${has('JOB_ID') ? 'j.name' : 'NULL'}, ${col('USER_ID')},
           ${col('USAGE_TYPE')}, ${col('INSTANCE_TYPE')}, ${col('LICENSE_PRODUCT')},
           g.n, g.runtime_ms_sum, g.runtime_ms_min, g.runtime_ms_max, g.cost_sum, g.cost_min, g.cost_max
    FROM ft_groups g
    JOIN ft_buckets b ON b.i = g.i
    ${has('JOB_ID') ? `LEFT JOIN jobs j ON j.farm_id = ${literal(q.farmId)} AND j.job_id = g.job_id` : ''}
    -- Stored in page order, so a page read touches one stretch of the table (zone maps).
    ORDER BY 2`;
}

/** What had no rate among the records that counted: named in the statusMessage. */
export function missingRatesSql(q: AggregationQuery): string {
  return `
    WITH ${pricedUsageSql(q)}
    SELECT DISTINCT usage_type, fleet_kind, instance_type, license_product, fleet_id
    FROM priced WHERE rate IS NULL
    ORDER BY usage_type, instance_type NULLS FIRST, license_product, fleet_id
    LIMIT 50`;
}
