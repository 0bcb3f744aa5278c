// The rules a session record carries in itself (SPEC section 4), apart from any transport
// or storage. Each field's own constraints are declared as a shape beside the ingest
// operation (operations/sessions/ingest-sessions.ts); what is here spans fields or gives a value its
// one canonical form, so that re-sending the same facts is recognised as `unchanged`.
import type { Session, SessionRecord } from './resources.js';

/** The record's fields, in the order exports and examples list them. */
export const SESSION_RECORD_FIELDS = [
  'sessionId',
  'queueId',
  'jobId',
  'jobName',
  'userId',
  'fleetId',
  'workerId',
  'instanceType',
  'startedAt',
  'endedAt',
  'licenseProducts',
] as const satisfies readonly (keyof SessionRecord)[];

export type SessionRecordField = (typeof SESSION_RECORD_FIELDS)[number];

/**
 * `true` when the two sets of names are the same; otherwise an object naming the difference,
 * so that `const x: SameKeys<A, B> = true` fails to compile with the odd names in the message.
 */
export type SameKeys<A extends PropertyKey, B extends PropertyKey> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? true : { differ: Exclude<A, B> | Exclude<B, A> };

/** The fields every record must carry; the others are optional. The record's shape (operations/sessions/session-record-shape.ts) is checked against this list by the compiler. */
export const REQUIRED_SESSION_RECORD_FIELDS = ['sessionId', 'queueId', 'jobId', 'jobName', 'userId', 'fleetId', 'workerId', 'startedAt'] as const satisfies readonly SessionRecordField[];

/** The keys of T that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

// SessionRecord is the one declaration of the fields: the two lists above name all of them,
// and exactly its required ones (everything else the store and the shape declare per field
// is keyed by these names, and so held to them by the compiler).
const everyFieldListed: SameKeys<SessionRecordField, keyof SessionRecord> = true;
const requiredAsDeclared: SameKeys<(typeof REQUIRED_SESSION_RECORD_FIELDS)[number], RequiredKeys<SessionRecord>> = true;
void everyFieldListed;
void requiredAsDeclared;

/** Whether two records of a session say the same in every field (then re-sending it is `unchanged`). */
export function sameRecord(a: SessionRecord, b: SessionRecord): boolean {
  return SESSION_RECORD_FIELDS.every((field) => sameValue(a[field], b[field]));
}

function sameValue(a: string | number | readonly string[] | undefined, b: string | number | readonly string[] | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}

/** A session record as NDJSON carries it: SessionRecord with ISO 8601 timestamps. */
export type SessionRecordJson = Omit<SessionRecord, 'startedAt' | 'endedAt'> & { startedAt: string; endedAt?: string };

/** How a CSV cell lists several license products. */
export const LICENSE_PRODUCT_SEPARATOR = ';';

/**
 * The license products a session used, as a set: a session either used a product or not
 * (statistics count one LICENSE usage record per product), so repeats are dropped, and the
 * set is sorted so that the same products in another order are the same record. No
 * products, or an empty list, is "none".
 */
export function licenseProductSet(products: readonly string[] | undefined): string[] | undefined {
  if (!products || products.length === 0) return undefined;
  return [...new Set(products)].sort();
}

/** A session cannot end before it started (ending at its start is a zero-length session). */
export function endsBeforeItStarts(record: Pick<SessionRecord, 'startedAt' | 'endedAt'>): boolean {
  return record.endedAt !== undefined && record.endedAt < record.startedAt;
}

/**
 * When a record's times may lie: from 2000 (older history is no render farm's session log
 * worth importing, and a year like 0999 or 1969 is a typo) to a day past the server's clock
 * (a session record describes work that has happened; a day covers any clock skew, and
 * 2099 is a typo too).
 */
export const EARLIEST_SESSION_MS = Date.UTC(2000, 0, 1);
export const CLOCK_ALLOWANCE_MS = 24 * 3600 * 1000;

export function sessionTimeRange(nowMs: number): { from: number; to: number } {
  return { from: EARLIEST_SESSION_MS, to: nowMs + CLOCK_ALLOWANCE_MS };
}

/** The record a stored session was written from: the session less its farm and write time, absent fields left out. */
export function sessionRecordOf({ farmId: _farm, updatedAt: _updated, ...record }: Session): SessionRecord {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as SessionRecord;
}
