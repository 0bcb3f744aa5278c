// The statistics aggregation as one flat ClickHouse SELECT over the sharded sessions: the
// domain's rules (domain/aggregation-rules, domain/pricing) as the DuckDB store carries them
// out (store/duckdb/aggregation-sql.ts), held to the same reference by the tests.
//
// Flat, with no subquery in FROM: over a Distributed table each shard then reads, splits and
// groups its own sessions and sends only its groups to the initiator, which merges them; a
// nested query would ship every row there first. So every step is an expression alias in a
// WITH clause (18.16 has those, not CTEs), and one arrayJoin makes the rows:
//   the sessions of the farm's selected queues or fleets that overlap [start, end) (running
//   ones up to asOf) in the reader's batch snapshot, clipped to the range (ft_s0, ft_e0);
//   their first and last bucket (bucket-index-sql.ts); then one row per (bucket piece, usage
//   record): a usage record is COMPUTE, or LICENSE for each distinct product (ft_product
//   NULL is COMPUTE), ft_k counts pieces times records.
// Each row's rate comes from the rate card written into the SQL as constant arrays
// (transform), -1 where the card has none: it costs 0, and missingRatesSql names it.
// Runtime sums are Decimal128 (sum(Int64) wraps silently); costs are Float64, summed in
// another order than the reference's, within the tests' tolerance. The rows come back
// unordered: aggregation-rows.ts orders them as the API pages them.
import type { GroupByField } from '../../domain/aggregation-rules.js';
import type { AggregationQuery } from '../aggregation-store.js';
import { bucketSql } from './bucket-index-sql.js';
import { float64, int64, integer, stringArray, stringLiteral } from './sql-text.js';

/**
 * The ingest batches a read sees: those up to `upTo` but the `excluded` ones (not yet
 * published when the read started). A version superseded by a batch it sees is not seen.
 */
export interface BatchSnapshot {
  upTo: number;
  excluded: readonly number[];
}

/** Fully qualified table names: the sessions (Distributed, or local on one server) and the shard-LOCAL superseded table. */
export interface AggregationTables {
  sessions: string;
  superseded: string;
}

/** The fleets the rate card prices as customer-managed (fleet kinds live in the state store); any other is service-managed. */
export interface FleetKinds {
  customerManaged: readonly string[];
}

/** The statement and the settings to send with it (over HTTP as URL parameters, before the text is parsed). */
export interface AggregationStatement {
  sql: string;
  settings: Record<string, number>;
}

/** Each group-by field's value per row, and the column it comes back as. */
export const GROUP_OUTPUT: Record<GroupByField, { expr: string; as: string }> = {
  QUEUE_ID: { expr: 'queue_id', as: 'queue_id' },
  FLEET_ID: { expr: 'fleet_id', as: 'fleet_id' },
  JOB_ID: { expr: 'job_id', as: 'job_id' },
  USER_ID: { expr: 'user_id', as: 'user_id' },
  USAGE_TYPE: { expr: `if(isNull(ft_product), 'COMPUTE', 'LICENSE')`, as: 'ft_usage_type' },
  INSTANCE_TYPE: { expr: 'if(isNull(ft_product), instance_type, NULL)', as: 'ft_instance_type' },
  LICENSE_PRODUCT: { expr: 'ft_product', as: 'ft_product' },
};

/** `key IN (...)` of constant strings; an empty list selects nothing. */
const inList = (key: string, values: readonly string[]) => (values.length ? `${key} IN (${values.map(stringLiteral).join(', ')})` : '0');

/** A rate lookup by key: `transform` over the card's constant arrays, `otherwise` where the card has no key. */
function rateOf(key: string, rates: Record<string, number>, otherwise: string): string {
  const entries = Object.entries(rates);
  if (entries.length === 0) return otherwise;
  return `transform(${key}, ${stringArray(entries.map(([k]) => k))}, [${entries.map(([, v]) => float64(v)).join(', ')}], ${otherwise})`;
}

/** A usage record's hourly rate, -1 where the card has none: domain/pricing.ts hourlyRate, as SQL. */
function rateSql(q: AggregationQuery, fleets: FleetKinds): string {
  const card = q.rateCard;
  const license = rateOf('assumeNotNull(ft_product)', card.licenseProducts, '-1.0');
  const customer = rateOf('fleet_id', card.customerManagedFleets, float64(card.customerManagedWorkerHour));
  const service = `if(isNull(instance_type), -1.0, ${rateOf('assumeNotNull(instance_type)', card.instanceTypes, '-1.0')})`;
  const compute = fleets.customerManaged.length ? `if(${inList('fleet_id', fleets.customerManaged)}, ${customer}, ${service})` : service;
  return `if(isNull(ft_product), ${compute}, ${license})`;
}

/** Whether a session version is in the snapshot and not superseded within it (superseded: the shard-local table). */
function snapshotSql(q: AggregationQuery, superseded: string, snapshot: BatchSnapshot): string {
  const upTo = integer(snapshot.upTo);
  const notExcluded = (column: string) => (snapshot.excluded.length ? ` AND ${column} NOT IN (${snapshot.excluded.map(integer).join(', ')})` : '');
  return `batch_seq <= ${upTo}${notExcluded('batch_seq')}
  AND (session_id, batch_seq) NOT IN (
    SELECT session_id, batch_seq FROM ${superseded}
    WHERE farm_id = ${stringLiteral(q.farmId)} AND by_seq <= ${upTo}${notExcluded('by_seq')})`;
}

/** The selected session versions, clipped to the range: the WITH items (ft_s0, ft_e0) and the WHERE clause. */
function selectedSql(q: AggregationQuery, tables: AggregationTables, snapshot: BatchSnapshot) {
  const [start, end] = [q.boundaries[0]!, q.boundaries[q.boundaries.length - 1]!];
  const withItems = [`greatest(started_at, ${int64(start)}) AS ft_s0`, `least(ifNull(ended_at, ${int64(q.asOfMs)}), ${int64(end)}) AS ft_e0`];
  const where = `farm_id = ${stringLiteral(q.farmId)}
  AND ${inList(q.resourceKind === 'queue' ? 'queue_id' : 'fleet_id', q.resourceIds)}
  AND started_at < ${int64(end)} AND ifNull(ended_at, ${int64(q.asOfMs)}) > ${int64(start)}
  AND ft_e0 > ft_s0
  AND ${snapshotSql(q, tables.superseded, snapshot)}`;
  return { withItems, where };
}

/** A usage record's product (NULL for COMPUTE) and rate, given ft_usage (0 COMPUTE, k the k-th distinct product). */
const usageItems = (q: AggregationQuery, fleets: FleetKinds) => ['if(ft_usage = 0, NULL, ft_products[ft_usage]) AS ft_product', `${rateSql(q, fleets)} AS ft_rate`];

/** The aggregation's rows (aggregation-rows.ts reads them); at most maxRows + 1 of them, so that too many is told apart. */
export function aggregationSql(q: AggregationQuery, tables: AggregationTables, snapshot: BatchSnapshot, limits: { maxRows: number }, fleets: FleetKinds): AggregationStatement {
  const buckets = bucketSql(q);
  const selected = selectedSql(q, tables, snapshot);
  const groups = q.groupBy.map((f) => GROUP_OUTPUT[f]);
  const perHourUsd = `${float64(q.costScaleFactor)} / 3600000`;
  const sql = `WITH ${[
    ...buckets.withItems,
    ...selected.withItems,
    `${buckets.indexOf('ft_s0')} AS ft_first`,
    // Times are whole milliseconds: ft_e0 - 1 is the record's last instant.
    `${buckets.indexOf('(ft_e0 - 1)')} AS ft_last`,
    'ft_last - ft_first + 1 AS ft_pieces',
    'arrayDistinct(license_products) AS ft_products',
    'arrayJoin(range(toUInt64(ft_pieces * (length(ft_products) + 1)))) AS ft_k',
    'ft_first + toInt64(ft_k % ft_pieces) AS ft_bucket',
    'toInt64(intDiv(ft_k, ft_pieces)) AS ft_usage',
    ...usageItems(q, fleets),
    `least(ft_e0, ${buckets.end('ft_bucket')}) - greatest(ft_s0, ${buckets.start('ft_bucket')}) AS ft_ms`,
    'ft_ms * greatest(ft_rate, 0.0) AS ft_cost_ms',
  ].join(',\n  ')}
SELECT ft_bucket, ${groups.map((g) => (g.expr === g.as ? g.expr : `${g.expr} AS ${g.as}`)).join(', ')}${groups.length ? ',' : ''}
  ${q.groupBy.includes('JOB_ID') ? 'argMax(job_name, tuple(started_at, job_name)) AS ft_job_name,' : ''}
  count() AS n,
  sum(toDecimal128(ft_ms, 0)) AS runtime_ms_sum, min(ft_ms) AS runtime_ms_min, max(ft_ms) AS runtime_ms_max,
  sum(ft_cost_ms) * ${perHourUsd} AS cost_sum, min(ft_cost_ms) * ${perHourUsd} AS cost_min, max(ft_cost_ms) * ${perHourUsd} AS cost_max
FROM ${tables.sessions}
WHERE ${selected.where}
GROUP BY ft_bucket${groups.map((g) => `, ${g.as}`).join('')}
LIMIT ${integer(limits.maxRows + 1)}`;
  return { sql, settings: querySettings(sql) };
}

/**
 * What had no rate among the usage records that count (those with time in the range), for
 * the statusMessage: one row, a list of [product, instance type, fleet] (the fleet only for
 * a service-managed session of unknown instance type), read by missingRatesOutput. Its own
 * statement, over the same snapshot, so that the aggregation's rows do not each carry a list.
 */
export function missingRatesSql(q: AggregationQuery, tables: AggregationTables, snapshot: BatchSnapshot, fleets: FleetKinds): AggregationStatement {
  const selected = selectedSql(q, tables, snapshot);
  const sql = `WITH ${[
    ...selected.withItems,
    'arrayDistinct(license_products) AS ft_products',
    'toInt64(arrayJoin(range(toUInt64(length(ft_products) + 1)))) AS ft_usage',
    ...usageItems(q, fleets),
  ].join(',\n  ')}
SELECT groupUniqArrayIf(tuple(ft_product, if(isNull(ft_product), instance_type, NULL), if(isNull(ft_product) AND isNull(instance_type), fleet_id, '')), ft_rate < 0) AS missing_rates
FROM ${tables.sessions}
WHERE ${selected.where}`;
  return { sql, settings: querySettings(sql) };
}

/** Raised per query: the default (256 KiB) is less than a year of hourly edges in an IANA zone; room for the shards' rewritten copy. */
function querySettings(sql: string): Record<string, number> {
  return { max_query_size: Math.max(262_144, 2 * Buffer.byteLength(sql) + 65_536) };
}
