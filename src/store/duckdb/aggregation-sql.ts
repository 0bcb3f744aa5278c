// The aggregation as DuckDB SQL. It carries out the domain's rules (domain/aggregation-rules,
// domain/pricing) at speed; the tests hold the two, and an independent reference, together.
//
// Steps: pick the sessions that overlap [start, end) (running ones up to asOf), clip them to
// the range, find each one's first and last bucket (arithmetic on a uniform grid, else ASOF
// joins against the domain's bucket edges), split it into one piece per bucket, and group the
// pieces by integer codes finely enough that the rate is constant in each group (what
// decides a rate, domain/pricing.hourlyRate: usage type, fleet, instance type, license
// product). Only then are the groups expanded into usage records (one COMPUTE, one LICENSE
// per product) with their identifiers as strings (ft_fine). Pricing touches only those
// groups: a piece's cost is ms × rate, so per group sum = rate × Σms, min = rate × min ms,
// max = rate × max ms (rates are never negative).
import type { GroupByField } from '../../domain/aggregation-rules.js';
import type { AggregationQuery } from '../aggregation-store.js';
import { CODED_COLUMNS, licenseSetProducts } from './value-codes.js';

/** The usage column each group-by field reads. */
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

/** The codes of the selected queues or fleets (value-codes), read before the plan is built. */
export function resourceCodesSql(q: AggregationQuery): string {
  return `SELECT code FROM value_codes WHERE kind = '${q.resourceKind}' AND value IN (${q.resourceIds.map(literal).join(', ')})`;
}

/**
 * The selected sessions, clipped to [start, end) as s0, e0 (ms), with the codes of their
 * identifiers. Each session stands for its usage records: COMPUTE, and one LICENSE per
 * product of its license set, all over the same time; they are told apart after grouping.
 * The selected queues or fleets come as their codes, a constant list: the engine checks it
 * in the scan, where a subquery on value_codes made a semi-join over every session
 * (BENCHMARKS.md, What was tried).
 */
function liveSql(q: AggregationQuery, resourceCodes: readonly number[]): string {
  const start = int(q.boundaries[0]!);
  const end = int(q.boundaries[q.boundaries.length - 1]!);
  const asOf = int(q.asOfMs);
  const column = q.resourceKind === 'queue' ? 'queue_code' : 'fleet_code';
  // No code: no session ever named them, and IN (NULL) selects none.
  const codes = resourceCodes.length ? resourceCodes.map(int).join(', ') : 'NULL';
  return `
    live AS (
      SELECT queue_code, fleet_code, job_code, user_code, instance_type_code, license_set_code,
             greatest(started_at, ${start}) AS s0, least(coalesce(ended_at, ${asOf}), ${end}) AS e0
      FROM sessions
      WHERE farm_id = ${literal(q.farmId)}
        AND ${column} IN (${codes})
        AND started_at < ${end} AND coalesce(ended_at, ${asOf}) > ${start}
        AND least(coalesce(ended_at, ${asOf}), ${end}) > greatest(started_at, ${start})
    )`;
}

/**
 * Up to this many buckets per record, pieces come from a join with range(0, K), which
 * measured faster than a list per record; past it the list form wins (BENCHMARKS.md).
 */
export const SMALL_SPAN = 4;

const DAY_MS = 86_400_000;
/** A month in a fixed offset is at least this long. */
const SHORTEST_MONTH_MS = 28 * DAY_MS;

/**
 * At most how many buckets one selected record spans (k), to choose the plan, without a
 * scan of the sessions (schema). A finished session of length L touches at most
 * floor(L / width) + 2 buckets, width being the shortest bucket a session can cover whole
 * (the range's cut first and last buckets can only be a record's first and last);
 * farm_session_spans keeps a bound on L. Running sessions are few and kept apart
 * (running_sessions), so theirs is counted from their clipped length. Undefined where the
 * plan does not depend on it (IANA zones).
 */
export function longestSpanSql(q: AggregationQuery): string | undefined {
  const w = q.grid ? int(q.grid.widthMs) : q.months ? int(SHORTEST_MONTH_MS) : undefined;
  if (w === undefined) return undefined;
  const start = int(q.boundaries[0]!);
  const until = int(Math.min(q.asOfMs, q.boundaries[q.boundaries.length - 1]!));
  const farm = literal(q.farmId);
  // On a uniform grid the running sessions' count is exact; on months a bound like the above.
  const running = q.grid
    ? `(${until} - 1 - ${int(q.grid.originMs)}) // ${w} - (greatest(started_at, ${start}) - ${int(q.grid.originMs)}) // ${w} + 1`
    : `(${until} - greatest(started_at, ${start})) // ${w} + 2`;
  return `SELECT greatest(1, least(${int(q.boundaries.length - 1)}, greatest(
      coalesce((SELECT longest_closed_ms // ${w} + 2 FROM farm_session_spans WHERE farm_id = ${farm}), 0),
      coalesce((SELECT max(${running}) FROM running_sessions WHERE farm_id = ${farm} AND started_at < ${until}), 0)))) AS k`;
}

/** A bucket's edges in ms as SQL expressions of its index. */
interface BucketEdges {
  start: (i: string) => string;
  end: (i: string) => string;
}

/** Past this many days in the range, MONTHLY buckets are found by month arithmetic instead of a day lookup. */
const MAX_LOOKUP_DAYS = 40_000;

/** How a record is split into its bucket pieces once its first and last bucket are known. */
export type SplitBy = { by: 'range-join'; k: number } | { by: 'index-list' };

/**
 * The shape of an aggregation's SQL, chosen before any of it runs (chooseAggregationPlan):
 * how a record's first and last bucket are found, and how it is split into pieces.
 * - uniform-grid: every bucket one width (HOURLY, DAILY, WEEKLY in a fixed offset): arithmetic;
 * - day-lookup: MONTHLY in a fixed offset: a list of each local day's bucket;
 * - month-numbers: MONTHLY in a fixed offset over a range too long for the day list;
 * - asof-buckets: IANA zones (buckets of varying length): ASOF joins on the bucket edges.
 */
export type AggregationPlan =
  | { edges: 'uniform-grid'; split: SplitBy }
  | { edges: 'day-lookup'; split: SplitBy }
  | { edges: 'month-numbers' }
  | { edges: 'asof-buckets' };

/** The plan for a query, given at most how many buckets one selected record spans (longestSpanSql; undefined when unknown). */
export function chooseAggregationPlan(q: AggregationQuery, longestSpan: number | undefined): AggregationPlan {
  const split: SplitBy = longestSpan !== undefined && longestSpan <= SMALL_SPAN ? { by: 'range-join', k: longestSpan } : { by: 'index-list' };
  if (q.grid) return { edges: 'uniform-grid', split };
  if (q.months) return localDays(q).count <= MAX_LOOKUP_DAYS ? { edges: 'day-lookup', split } : { edges: 'month-numbers' };
  return { edges: 'asof-buckets' };
}

/** How a plan reads in a trace line. */
export function describePlan(plan: AggregationPlan): string {
  const split = 'split' in plan ? (plan.split.by === 'range-join' ? `, range join (k ${plan.split.k})` : ', index list') : '';
  return `${plan.edges}${split}`;
}

/** The local days of the range (MONTHLY in a fixed offset): the first one's number, and how many. */
function localDays(q: AggregationQuery): { first: number; count: number } {
  const off = q.months!.offsetMs;
  const [start, end] = [q.boundaries[0]!, q.boundaries[q.boundaries.length - 1]!];
  const first = Math.floor((start + off) / DAY_MS);
  return { first, count: Math.floor((end - 1 + off) / DAY_MS) - first + 1 };
}

/**
 * MONTHLY in a fixed offset: the bucket of each local day of the range, as a list. Every
 * edge but the range's own falls on a local midnight, so all of a day's instants within the
 * range share a bucket. A list lookup per record measured faster than month arithmetic with
 * a join on the bucket table (Q4; BENCHMARKS.md, What was tried).
 */
function dayBuckets(q: AggregationQuery): BucketEdges & { at: (t: string) => string } {
  const off = q.months!.offsetMs;
  const start = q.boundaries[0]!;
  const { first: firstDay, count } = localDays(q);
  const buckets: number[] = [];
  for (let d = firstDay, i = 0; d < firstDay + count; d++) {
    const t = Math.max(d * DAY_MS - off, start);
    while (q.boundaries[i + 1]! <= t) i++;
    buckets.push(i);
  }
  const list = (xs: number[]) => `[${xs.map(int).join(', ')}]::BIGINT[]`;
  const firstDayStart = int(firstDay * DAY_MS - off);
  return {
    // t - firstDayStart is never negative: t is within the range.
    at: (t) => `list_element(${list(buckets)}, ((${t} - ${firstDayStart}) // ${DAY_MS} + 1)::INTEGER)`,
    start: (i) => `list_element(${list(q.boundaries.slice(0, -1))}, (${i} + 1)::INTEGER)`,
    end: (i) => `list_element(${list(q.boundaries.slice(1))}, (${i} + 1)::INTEGER)`,
  };
}

/**
 * Pieces from `spans` (each record with its first and last bucket index, first_i and last_i)
 * where the bucket edges are expressions of the index: by the range join when records span
 * few buckets, else by a list of bucket indexes per record.
 */
function splitSpans(spans: string, edges: BucketEdges, split: SplitBy): string {
  if (split.by === 'range-join') {
    return `
    ${spans},
    pieces AS (
      SELECT s.*, first_i + r.k AS i, least(e0, ${edges.end('first_i + r.k')}) - greatest(s0, ${edges.start('first_i + r.k')}) AS ms
      FROM spans s JOIN range(0, ${int(split.k)}) r(k) ON r.k <= s.last_i - s.first_i
    )`;
  }
  return `
    ${spans},
    pieces AS (
      SELECT *, least(e0, ${edges.end('i')}) - greatest(s0, ${edges.start('i')}) AS ms
      FROM (SELECT *, unnest(generate_series(first_i, last_i)) AS i FROM spans)
    )`;
}

/** One row per bucket piece of each usage record: bucket index i and its milliseconds, as the plan says. */
function piecesSql(q: AggregationQuery, plan: AggregationPlan): string {
  switch (plan.edges) {
    case 'uniform-grid': {
      const [o, w] = [int(q.grid!.originMs), int(q.grid!.widthMs)];
      // Times are whole milliseconds, so e0 - 1 is the record's last instant.
      const spans = `spans AS (SELECT *, (s0 - ${o}) // ${w} AS first_i, (e0 - 1 - ${o}) // ${w} AS last_i FROM live)`;
      return splitSpans(spans, { start: (i) => `${o} + (${i}) * ${w}`, end: (i) => `${o} + (${i} + 1) * ${w}` }, plan.split);
    }
    case 'day-lookup': {
      const days = dayBuckets(q);
      return splitSpans(`spans AS (SELECT u.*, ${days.at('u.s0')} AS first_i, ${days.at('u.e0 - 1')} AS last_i FROM live u)`, days, plan.split);
    }
    case 'month-numbers': {
      const [off, first] = [int(q.months!.offsetMs), int(q.months!.firstMonth)];
      const month = (t: string) => `(year(epoch_ms(${t} + ${off})) * 12 + month(epoch_ms(${t} + ${off})) - 1 - ${first})`;
      return joinBuckets(`spans AS (SELECT u.*, ${month('u.s0')} AS first_i, ${month('u.e0 - 1')} AS last_i FROM live u)`);
    }
    case 'asof-buckets':
      return joinBuckets(`spans AS (
      SELECT u.*, b1.i AS first_i, b2.i AS last_i
      FROM live u
      ASOF JOIN ft_buckets b1 ON u.s0 >= b1.b_start
      ASOF JOIN ft_buckets b2 ON u.e0 > b2.b_start
    )`);
  }
}

/** Pieces from `spans` by joining each bucket index of a record with the bucket table's edges. */
function joinBuckets(spans: string): string {
  return `
    ${spans},
    pieces AS (
      SELECT s.*, b.i, least(s.e0, b.b_end) - greatest(s.s0, b.b_start) AS ms
      FROM (SELECT *, unnest(generate_series(first_i, last_i)) AS bucket_i FROM spans) s
      JOIN ft_buckets b ON b.i = s.bucket_i
    )`;
}

const groupColumns = (q: AggregationQuery) => q.groupBy.map((f) => GROUP_COLUMN[f]);

/** The coded kinds every fine group keeps, requested or not: with the usage type, they decide the rate. */
const RATE_KINDS = new Set(['fleet', 'instance_type', 'license_set']);
/** Coded kinds that are not carried as they are into both kinds of usage row. */
const PER_USAGE_KINDS = new Set(['instance_type', 'license_set']);

/**
 * ft_fine: pieces grouped by bucket, requested fields and the rate's keys, in two steps.
 * First the sessions' pieces by integer codes (ft_coded, the heavy part), then, on those few
 * groups, codes back to strings and each group into its usage records: a COMPUTE row, and a
 * LICENSE row per product of its license set (a session's license usage has its pieces).
 */
export function fineGroupsStatements(q: AggregationQuery, facts: { resourceCodes: readonly number[]; plan: AggregationPlan }): string[] {
  const requested = new Set(groupColumns(q));
  const decodes = CODED_COLUMNS.filter((c) => RATE_KINDS.has(c.kind) || requested.has(c.decodedAs));
  const coded = ['i', ...decodes.map((d) => d.code)].join(', ');
  const keep = ['i', ...decodes.filter((d) => !PER_USAGE_KINDS.has(d.kind)).map((d) => d.decodedAs)].join(', ');
  return [
    `CREATE OR REPLACE TEMP TABLE ft_coded AS
    WITH ${liveSql(q, facts.resourceCodes)}, ${piecesSql(q, facts.plan)}
    SELECT ${coded}, count(*) AS n, sum(ms)::HUGEINT AS ms_sum, min(ms) AS ms_min, max(ms) AS ms_max
    FROM pieces GROUP BY ${coded}`,
    `CREATE OR REPLACE TEMP TABLE ft_fine AS
    WITH decoded AS (
      SELECT c.i, ${decodes.map((d) => `d_${d.kind}.value AS ${d.decodedAs}`).join(', ')}, c.n, c.ms_sum, c.ms_min, c.ms_max
      FROM ft_coded c
      ${decodes.map((d) => `LEFT JOIN value_codes d_${d.kind} ON d_${d.kind}.kind = '${d.kind}' AND d_${d.kind}.code = c.${d.code}`).join('\n      ')}
    )
    SELECT ${keep}, 'COMPUTE' AS usage_type, instance_type, NULL::VARCHAR AS license_product, n, ms_sum, ms_min, ms_max FROM decoded
    UNION ALL
    SELECT ${keep}, 'LICENSE' AS usage_type, NULL::VARCHAR AS instance_type, unnest(${licenseSetProducts('license_set')}) AS license_product, n, ms_sum, ms_min, ms_max
    FROM decoded WHERE license_set IS NOT NULL`,
  ];
}

/** The rate of each fine group (NULL where the card has none), by the domain's pricing rule. */
function pricedSql(q: AggregationQuery): string {
  return `
    priced AS (
      SELECT g.*, f.kind AS fleet_kind,
             CASE WHEN g.usage_type = 'LICENSE' THEN lr.rate
                  WHEN f.kind = 'customerManaged' THEN coalesce(fr.rate, ${Number(q.rateCard.customerManagedWorkerHour)}::DOUBLE)
                  ELSE ir.rate END AS rate
      FROM ft_fine g
      LEFT JOIN fleets f ON f.farm_id = ${literal(q.farmId)} AND f.fleet_id = g.fleet_id
      LEFT JOIN ft_license_rates lr ON lr.k = g.license_product
      LEFT JOIN ft_instance_rates ir ON ir.k = g.instance_type
      LEFT JOIN ft_fleet_rates fr ON fr.k = g.fleet_id
    )`;
}

/**
 * ft_groups: one row per (bucket, requested group values), priced. Each group also lists what
 * had no rate among its records (missing_rates; NULL when nothing did): the statusMessage names
 * them, and carrying them here spares a second pass over the priced groups.
 */
export function groupsSql(q: AggregationQuery): string {
  const keys = ['i', ...groupColumns(q)].join(', ');
  const usd = `/ 3600000 * ${Number(q.costScaleFactor)}`;
  return `
    CREATE OR REPLACE TEMP TABLE ft_groups AS
    WITH ${pricedSql(q)}
    SELECT ${keys}, sum(n)::BIGINT AS n,
           sum(ms_sum)::HUGEINT AS runtime_ms_sum, min(ms_min) AS runtime_ms_min, max(ms_max) AS runtime_ms_max,
           sum(ms_sum::DOUBLE * coalesce(rate, 0)) ${usd} AS cost_sum,
           min(ms_min * coalesce(rate, 0)) ${usd} AS cost_min,
           max(ms_max * coalesce(rate, 0)) ${usd} AS cost_max,
           list(DISTINCT {'usage_type': usage_type, 'instance_type': instance_type, 'license_product': license_product, 'fleet_id': fleet_id})
             FILTER (WHERE rate IS NULL) AS missing_rates
    FROM priced GROUP BY ${keys}`;
}

/** At most this many records without a rate are named in the statusMessage. */
export const MISSING_RATES_NAMED = 50;

/**
 * Sort key for ordinal (UTF-16 code unit) order. DuckDB compares UTF-8 bytes, which is code
 * point order; the two differ only where U+E000..U+FFFF meets a character above U+FFFF
 * (a surrogate pair sorts first in UTF-16). Prefixing U+E000..U+FFFF with U+10FFFF fixes that.
 */
export const ordinalKey = (column: string): string => `regexp_replace(${column}, '([\\x{E000}-\\x{FFFF}])', chr(1114111) || '\\1', 'g')`;

/**
 * Every aggregation's rows live in one table, `aggregation_rows`, keyed by aggregation and
 * row number (page order). A table per aggregation held engine memory of its own until it
 * expired, and grew the catalog; one table costs what its rows cost (docs/DECISIONS.md,
 * Reliability).
 */
export const RESULT_ROWS_TABLE = 'aggregation_rows';

/** Tables of the per-aggregation layout (before 0.2): `agg_rows_<aggregationId>`. */
export const OLD_RESULT_TABLE = /^agg_rows_([0-9a-f]{32})$/;

/** The columns of a result row, as resultRowsSql answers them and aggregation_rows keeps them. */
export const RESULT_COLUMNS = [
  'row_index', 'bucket_start', 'bucket_end', 'queue_id', 'fleet_id', 'job_id', 'job_name', 'user_id', 'usage_type', 'instance_type', 'license_product',
  'n', 'runtime_ms_sum', 'runtime_ms_min', 'runtime_ms_max', 'cost_sum', 'cost_min', 'cost_max',
] as const;

/**
 * ft_groups as result rows, numbered and ordered as the API pages them (SPEC rule 12), with
 * each group's missing rates: what the server reads into memory to serve at once, and what
 * storeRowsSql then writes.
 */
export function resultRowsSql(q: AggregationQuery): string {
  const has = (f: GroupByField) => q.groupBy.includes(f);
  const col = (f: GroupByField) => (has(f) ? `g.${GROUP_COLUMN[f]}` : 'NULL');
  const order = ['g.i', ...q.groupBy.map((f) => `${ordinalKey(`g.${GROUP_COLUMN[f]}`)} NULLS FIRST`)].join(', ');
  return `
    SELECT row_number() OVER (ORDER BY ${order}) - 1 AS row_index,
           b.b_start AS bucket_start, b.b_end AS bucket_end,
           ${col('QUEUE_ID')}::VARCHAR AS queue_id, ${col('FLEET_ID')}::VARCHAR AS fleet_id, ${col('JOB_ID')}::VARCHAR AS job_id,
           ${has('JOB_ID') ? 'j.name' : 'NULL'}::VARCHAR AS job_name, ${col('USER_ID')}::VARCHAR AS user_id,
           ${col('USAGE_TYPE')}::VARCHAR AS usage_type, ${col('INSTANCE_TYPE')}::VARCHAR AS instance_type,
           ${col('LICENSE_PRODUCT')}::VARCHAR AS license_product,
           g.n, g.runtime_ms_sum, g.runtime_ms_min, g.runtime_ms_max, g.cost_sum, g.cost_min, g.cost_max, g.missing_rates
    FROM ft_groups g
    JOIN ft_buckets b ON b.i = g.i
    ${has('JOB_ID') ? `LEFT JOIN jobs j ON j.farm_id = ${literal(q.farmId)} AND j.job_id = g.job_id` : ''}
    ORDER BY row_index`;
}

/**
 * Copies the result rows into aggregation_rows in one statement (all or none), with the
 * aggregation's created_at: rows are written one aggregation at a time, so created_at rises
 * through the table and a read filtered on it skips the row groups of other aggregations.
 */
export function storeRowsSql(aggregationId: string, createdAt: number, q: AggregationQuery): string {
  return `
    INSERT INTO ${RESULT_ROWS_TABLE} (aggregation_id, created_at, ${RESULT_COLUMNS.join(', ')})
    SELECT ${literal(aggregationId)}, ${int(createdAt)}, ${RESULT_COLUMNS.join(', ')} FROM (${resultRowsSql(q)})`;
}

/** Rows [from, to) of one stored result, in page order: $1 aggregation, $2 its created_at, $3 from, $4 to. */
export const READ_STORED_ROWS_SQL = `
    SELECT ${RESULT_COLUMNS.join(', ')} FROM ${RESULT_ROWS_TABLE}
    WHERE created_at = $2 AND aggregation_id = $1 AND row_index >= $3 AND row_index < $4
    ORDER BY row_index`;
