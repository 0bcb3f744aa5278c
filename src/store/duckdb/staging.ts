// The staging table of an ingest batch: one row per record in the batch's order, one column
// per record member, named as `sessions` names it (session-columns.ts). How each member is
// staged is declared once here, as a table of the staged members, from which the table's
// columns, the Appender's row (session-ingest), the bulk load's reading (session-bulk-load)
// and the merge's decoding (session-merge) are all derived.
//
// An absent value is staged as a sentinel no record can hold rather than NULL: the
// Appender's appendNull costs several times a value append (BENCHMARKS.md), and the merge turns
// the sentinels back into NULLs.
import type { DuckDBAppender } from '@duckdb/node-api';
import type { SessionRecord } from '../../domain/resources.js';
import { SESSION_RECORD_FIELDS, type SessionRecordField } from '../../domain/session-record.js';
import type { MemberRule } from '../store.js';
import { columnOf, type SessionColumn } from './session-columns.js';

type StagedType = MemberRule['type'];

/** How each member is staged: its type, and for an optional one the sentinel standing for "absent". */
const STAGING: Record<SessionRecordField, { type: StagedType; absent?: string | bigint }> = {
  sessionId: { type: 'string' },
  queueId: { type: 'string' },
  jobId: { type: 'string' },
  jobName: { type: 'string' },
  userId: { type: 'string' },
  fleetId: { type: 'string' },
  workerId: { type: 'string' },
  instanceType: { type: 'string', absent: '' }, // an instance type has at least one character
  startedAt: { type: 'timestamp' },
  endedAt: { type: 'timestamp', absent: -(2n ** 63n) }, // BIGINT's minimum, far before any date-time
  licenseProducts: { type: 'string-set', absent: '' }, // otherwise a JSON array of the products
};

export interface StagedMember {
  member: SessionRecordField;
  column: SessionColumn;
  type: StagedType;
  /** The sentinel of an absent value, as an SQL literal; undefined for a required member. */
  absentSql?: string;
}

const sqlLiteral = (value: string | bigint) => (typeof value === 'bigint' ? `CAST('${value}' AS BIGINT)` : `'${value.replace(/'/g, "''")}'`);

/** Each staged column after `pos`, in the table's order: the record's fields in their declared order. */
export const STAGED: readonly StagedMember[] = SESSION_RECORD_FIELDS.map((member) => {
  const { type, absent } = STAGING[member];
  return { member, column: columnOf(member), type, absentSql: absent === undefined ? undefined : sqlLiteral(absent) };
});

/** The table's columns: the record's position in the batch, then STAGED (timestamps as epoch ms, a license set as JSON text). */
export const STAGING_COLUMNS = ['pos BIGINT', ...STAGED.map((s) => `${s.column} ${s.type === 'timestamp' ? 'BIGINT' : 'VARCHAR'}`)].join(', ');

/** The staged values turned back into the record's (NULL for absent), as `SELECT` expressions named by their columns. */
export const DECODED_COLUMNS = STAGED.map((s) => {
  if (s.type === 'string-set') return `CASE WHEN ${s.column} = ${s.absentSql} THEN NULL ELSE CAST(${s.column} AS JSON)::VARCHAR[] END AS ${s.column}`;
  return s.absentSql ? `NULLIF(${s.column}, ${s.absentSql}) AS ${s.column}` : s.column;
}).join(', ');

type Append = (appender: DuckDBAppender, record: SessionRecord) => void;

function appendOf(member: SessionRecordField): Append {
  const { type, absent } = STAGING[member];
  switch (type) {
    case 'string':
      return (a, r) => a.appendVarchar((r[member] as string | undefined) ?? (absent as string));
    case 'timestamp':
      return (a, r) => {
        const ms = r[member] as number | undefined;
        a.appendBigInt(ms === undefined ? (absent as bigint) : BigInt(ms));
      };
    case 'string-set':
      return (a, r) => {
        const set = r[member] as string[] | undefined;
        a.appendVarchar(set ? JSON.stringify(set) : (absent as string));
      };
  }
}

const APPENDS: readonly Append[] = SESSION_RECORD_FIELDS.map(appendOf);

/** Appends one record as a staging row, at `position` in its batch. */
export function appendRecord(appender: DuckDBAppender, position: number, record: SessionRecord): void {
  appender.appendBigInt(BigInt(position));
  for (const append of APPENDS) append(appender, record);
  appender.endRow();
}
