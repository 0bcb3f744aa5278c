// Integer codes for the identifiers sessions are grouped by. Grouping usage pieces by six
// small integers measured much faster than by the identifier strings (BENCHMARKS.md), so
// sessions carry a code beside each identifier and an aggregation turns codes back into
// strings only on its few thousand result groups.
//
// Codes are assigned by the ingest merge (serialized on the writer), per kind and
// across farms: an identifier string means one thing wherever it appears, and the farm is
// filtered by its own column.
import type { SessionColumn } from './session-columns.js';

/** One coded identifier: the session column it codes, and the column that holds its code. */
export interface CodedColumn {
  kind: string;
  /** SQL for the value to code, over a relation with session columns (NULL: no code). */
  value: (alias: string) => string;
  code: string;
  /** The column name of the value once decoded (an aggregation's; the session column for plain identifiers). */
  decodedAs: string;
}

/**
 * A session's license products are coded as one set: a session's usage pieces are grouped by
 * the set, and each group is expanded into one LICENSE row per product afterwards.
 */
const licenseSetValue = (products: string) => `CASE WHEN len(${products}) > 0 THEN to_json(${products})::VARCHAR END`;

/** The set's products again, from its coded value. */
export const licenseSetProducts = (value: string) => `from_json(${value}, '["VARCHAR"]')`;

const plain = (kind: string, column: SessionColumn): CodedColumn => ({ kind, value: (a) => `${a}.${column}`, code: `${column.replace(/_id$/, '')}_code`, decodedAs: column });

export const CODED_COLUMNS: CodedColumn[] = [
  plain('queue', 'queue_id'),
  plain('fleet', 'fleet_id'),
  plain('job', 'job_id'),
  plain('user', 'user_id'),
  plain('instance_type', 'instance_type'),
  { kind: 'license_set', value: (a) => licenseSetValue(`${a}.license_products`), code: 'license_set_code', decodedAs: 'license_set' },
];

/** A fixed-width key for finding a session: the low 64 bits of its ID's MD5 (stable across DuckDB versions, unlike hash()). */
export const sessionKey = (sessionId: string) => `md5_number_lower(${sessionId})`;

/** Gives every value in `source` (a relation with session columns) that has no code yet the next free code of its kind. */
export function assignCodesSql(source: string): string {
  const values = CODED_COLUMNS.map((c) => `SELECT '${c.kind}' AS kind, ${c.value('s')} AS value FROM ${source} s`).join(' UNION ALL ');
  return `INSERT INTO value_codes
    SELECT kind, value, (coalesce((SELECT max(code) FROM value_codes v WHERE v.kind = n.kind), 0) + row_number() OVER (PARTITION BY kind ORDER BY value))::INTEGER
    FROM (SELECT DISTINCT kind, value FROM (${values}) WHERE value IS NOT NULL) n
    WHERE NOT EXISTS (SELECT 1 FROM value_codes v WHERE v.kind = n.kind AND v.value = n.value)`;
}

/** The code columns of `alias`'s rows, as select items, with the joins that find them (LEFT: absent values have no code). */
export function codeLookup(alias: string): { columns: string; joins: string } {
  return {
    columns: CODED_COLUMNS.map((c) => `c_${c.kind}.code AS ${c.code}`).join(', '),
    joins: CODED_COLUMNS.map((c) => `LEFT JOIN value_codes c_${c.kind} ON c_${c.kind}.kind = '${c.kind}' AND c_${c.kind}.value = ${c.value(alias)}`).join('\n    '),
  };
}
