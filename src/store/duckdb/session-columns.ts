// A session's columns in `sessions`, declared once: keyed by the domain's field names (a
// Session is its record, its farm and when it was last written) and held by the compiler to
// the domain's types: a string is VARCHAR, a time BIGINT epoch milliseconds, a list of
// strings VARCHAR[], and a field is optional exactly when its column takes NULL.
//
// Derived from it: the columns part of the table's DDL (schema.ts), the staging table's
// column names (staging.ts), the group merge's rows (session-group-merge.ts) and the row
// mapper. What follows `updated_at` in the table (the session key, the value codes, seq) is
// the store's own, declared in schema.ts. SQL that uses a few named columns (the merges'
// job and span rules, the aggregation) names them as it always has.
import { LIST, VARCHAR, type DuckDBAppender } from '@duckdb/node-api';
import type { Session, SessionRecord } from '../../domain/resources.js';
import { SESSION_RECORD_FIELDS, type SameKeys } from '../../domain/session-record.js';
import type { Row } from './connections.js';

type SqlTypeOf<T> = NonNullable<T> extends string ? 'VARCHAR' : NonNullable<T> extends number ? 'BIGINT' : NonNullable<T> extends readonly string[] ? 'VARCHAR[]' : never;
interface ColumnOf<T> {
  column: string;
  type: SqlTypeOf<T>;
  nullable: undefined extends T ? true : false;
}

const COLUMNS = {
  farmId: { column: 'farm_id', type: 'VARCHAR', nullable: false },
  sessionId: { column: 'session_id', type: 'VARCHAR', nullable: false },
  queueId: { column: 'queue_id', type: 'VARCHAR', nullable: false },
  jobId: { column: 'job_id', type: 'VARCHAR', nullable: false },
  jobName: { column: 'job_name', type: 'VARCHAR', nullable: false },
  userId: { column: 'user_id', type: 'VARCHAR', nullable: false },
  fleetId: { column: 'fleet_id', type: 'VARCHAR', nullable: false },
  workerId: { column: 'worker_id', type: 'VARCHAR', nullable: false },
  instanceType: { column: 'instance_type', type: 'VARCHAR', nullable: true },
  startedAt: { column: 'started_at', type: 'BIGINT', nullable: false },
  endedAt: { column: 'ended_at', type: 'BIGINT', nullable: true },
  licenseProducts: { column: 'license_products', type: 'VARCHAR[]', nullable: true },
  updatedAt: { column: 'updated_at', type: 'BIGINT', nullable: false },
} as const satisfies { [K in keyof Session]-?: ColumnOf<Session[K]> };

export type SessionField = keyof Session;
/** A column of `sessions` that holds a session's field (for SQL elsewhere that names one). */
export type SessionColumn = (typeof COLUMNS)[SessionField]['column'];

/** The column that holds `field`. */
export const columnOf = <F extends SessionField>(field: F): (typeof COLUMNS)[F]['column'] => COLUMNS[field].column;

/** The table's order: the farm, the record's fields in their declared order, the time it was written. */
const ORDER = ['farmId', ...SESSION_RECORD_FIELDS, 'updatedAt'] as const;
const everyColumnOrdered: SameKeys<(typeof ORDER)[number], SessionField> = true;
void everyColumnOrdered;

export interface SessionColumnSpec {
  field: SessionField;
  column: SessionColumn;
  type: 'VARCHAR' | 'BIGINT' | 'VARCHAR[]';
  nullable: boolean;
}

/** A session's columns, from farm_id to updated_at, in the table's order. */
export const SESSION_COLUMNS: readonly SessionColumnSpec[] = ORDER.map((field) => ({ field, ...COLUMNS[field] }));

/** Those columns as `CREATE TABLE` declares them. */
export const SESSION_COLUMNS_DDL = SESSION_COLUMNS.map((c) => `${c.column} ${c.type}${c.nullable ? '' : ' NOT NULL'}`).join(', ');

/** Those columns' names, comma-separated, for a SELECT or an INSERT. */
export const SESSION_COLUMN_LIST = SESSION_COLUMNS.map((c) => c.column).join(', ');

/** A session from a row holding those columns (NULL is an absent field). */
export function toSession(row: Row): Session {
  const session: Record<string, unknown> = {};
  for (const c of SESSION_COLUMNS) session[c.field] = row[c.column] ?? undefined;
  return session as unknown as Session;
}

const VARCHAR_LIST = LIST(VARCHAR);
type Value = Session[SessionField];
const APPEND: Record<SessionColumnSpec['type'], (a: DuckDBAppender, value: NonNullable<Value>) => void> = {
  VARCHAR: (a, v) => a.appendVarchar(v as string),
  BIGINT: (a, v) => a.appendBigInt(BigInt(v as number)),
  'VARCHAR[]': (a, v) => a.appendList(v as string[], VARCHAR_LIST),
};
const APPENDS = SESSION_COLUMNS.map((c) => ({ field: c.field, append: APPEND[c.type] }));

/** Appends a session's columns, farm_id to updated_at, to the Appender's row (an absent field as NULL). */
export function appendSessionColumns(a: DuckDBAppender, farmId: string, record: SessionRecord, updatedAt: number): void {
  for (const { field, append } of APPENDS) {
    const value = field === 'farmId' ? farmId : field === 'updatedAt' ? updatedAt : record[field];
    if (value === undefined) a.appendNull();
    else append(a, value);
  }
}
