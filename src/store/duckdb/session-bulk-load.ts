// Session ingest's fast path on DuckDB: a whole NDJSON body, spooled to a file, is read by
// DuckDB's JSON reader straight into the batch's staging table, every record checked in SQL
// against the record rules (store.ts SessionRecordRules, derived from the declared shape).
//
// The check is one-sided. It passes a batch only when the record-by-record path (JSON.parse,
// the shape's validator, SessionIngest) would accept every record and stage the very same
// values; whatever it finds wrong, or cannot be sure of, stages nothing and answers
// `careful`, and that path reads the file for the exact answer. Besides invalid records it
// leaves to that path, and why:
// - what DuckDB's reader accepts and JSON.parse does not: trailing commas, NaN and Infinity
//   (yyjson's lenient flags), a vertical tab or form feed around a line (C's isspace);
// - any backslash or non-ASCII character in a record: escapes and code points are where
//   decoding, lengths, patterns (RE2 against JS) and sort order could part (raw control
//   characters neither parser takes);
// - a known member holding something other than its JSON type: the reader would turn a
//   number into text where JSON.parse keeps a number for the validator to refuse;
// - a repeated member (DuckDB's reader refuses it; JSON.parse keeps the last), a line that is
//   not an object, anything the reader cannot parse (a byte order mark, bad UTF-8);
// - timestamp forms DuckDB's own parser reads differently or not at all (`t`, `z`, hour 24).
// Blank lines and CRLF line ends need nothing: both readers skip the one and trim the other.
import { open } from 'node:fs/promises';
import { ISO_TIMESTAMP_PATTERN } from '../../domain/iso-time.js';
import { StorageFault, type MemberRule, type SessionRecordRules, type StringRule } from '../store.js';
import type { Sql } from './database.js';
import { STAGED, type StagedMember } from './staging.js';

type Staged = StagedMember;

function sqlText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const reQuote = (text: string) => text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/**
 * A JS pattern as RE2 reads it alike, or undefined. Values reaching a pattern here are plain
 * printable ASCII, on which the two engines agree for the syntax allowed: literals, classes,
 * groups, alternation, quantifiers and the escapes below. Anything else (lookaround,
 * back-references, \b, \u, \p) gets no rule, and the careful path judges.
 */
function re2Pattern(pattern: string): string | undefined {
  for (let i = pattern.indexOf('\\'); i !== -1; i = pattern.indexOf('\\', i + 2)) {
    if (!/[dDwWsS.\-\\/[\](){}|?*+^$]/.test(pattern[i + 1] ?? '')) return undefined;
  }
  // Lookaround and named groups; `{,n}`, a literal to JS and not to every engine.
  if (/\(\?[^:]/.test(pattern) || pattern.includes('{,')) return undefined;
  return `^(?:${pattern})$`;
}

/**
 * The string constraints on `value` (an SQL string). The validator counts code points; every
 * line that reaches these checks is ASCII (ODD_LINE), so bytes (`strlen`, kept with the
 * string) count the same, where `length` would decode the UTF-8 of every value.
 */
function stringChecks(value: string, rule: StringRule): string[] | undefined {
  const checks: string[] = [];
  if (rule.min !== undefined) checks.push(`strlen(${value}) >= ${rule.min}`);
  if (rule.max !== undefined) checks.push(`strlen(${value}) <= ${rule.max}`);
  if (rule.pattern !== undefined) {
    const re2 = re2Pattern(rule.pattern);
    if (re2 === undefined) return undefined;
    checks.push(`regexp_full_match(${value}, ${sqlText(re2)})`);
  }
  return checks;
}

/**
 * The domain's timestamp form (ISO_TIMESTAMP_PATTERN) as READ_ALIKE_FORM below narrows it.
 * Should the domain's pattern ever differ from this copy, timestamps get no rule (every batch
 * takes the careful path) rather than a narrowing of a form that no longer holds.
 */
const ISO_FORM = '^(\\d{4})-(\\d{2})-(\\d{2})[Tt ](\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?(?:([Zz])|([+-])(\\d{2}):(\\d{2}))$';

/**
 * The part of ISO_FORM that DuckDB's TIMESTAMPTZ cast reads as parseIsoTimestamp
 * (domain/iso-time) does: years from 1000, hours to 23, minutes and seconds to 59, offsets
 * below 24:00, and upper-case `T` and `Z` (lower-case ones it does not read at all). Every
 * value it matches matches ISO_FORM too. One pattern measured cheaper than ISO_FORM plus a
 * positional check per field (BENCHMARKS.md, What was tried).
 */
const READ_ALIKE_FORM = '^[1-9]\\d{3}-\\d{2}-\\d{2}[T ](?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$';

/**
 * A timestamp member `v` (text) as epoch milliseconds, NULL unless parseIsoTimestamp gives
 * the same. DuckDB's parser does the calendar (real days of the month) and the offset, and
 * truncates digits past the microsecond; what it reads otherwise than JS is ruled out by
 * READ_ALIKE_FORM first. Rounded toward the past to the millisecond, as digits past it are
 * dropped.
 */
function timestampMs(v: string): string {
  const us = `epoch_us(TRY_CAST(${v} AS TIMESTAMPTZ))`;
  return `CASE WHEN regexp_full_match(${v}, ${sqlText(READ_ALIKE_FORM)}) THEN (${us} - (${us} % 1000 + 1000) % 1000) // 1000 END`;
}

interface Plan {
  /** The JSON reader's columns: every staged member by name, strings as VARCHAR, sets as VARCHAR[]. */
  columns: string;
  /** A pattern no line may match: the lenient forms, and known members holding another JSON type. */
  oddLine: string;
  /** Computed once per record below the checks: timestamps as ms<k>. */
  derived: string[];
  /** Per member (and cross-member rule), an SQL boolean true when the record passes it. */
  checks: { member: string; sql: string }[];
  /** The staged columns' values, in STAGED order. */
  values: string[];
}

// Raw-text rules, as RE2 patterns over one line (no line end inside): a string without
// escapes (the line has no backslash, see ODD_LINE), optional JSON whitespace, and the
// forms JSON.parse refuses where DuckDB's reader takes them. A string value holding such a
// form (`,}` or `:N`) sends its batch to the careful path for nothing: time, never answers.
const STRING = '"[^"]*"';
const WS = '[ \\t\\r]*';
const LENIENT = [`,${WS}[\\]}]`, `[:\\[,]${WS}[-+]?([iIN]|n[aA])`];
/** A known member's value that is not its JSON type: a string member's not a string (nor null), a set's not a list of strings. */
function mistyped(rules: SessionRecordRules): string[] {
  const names = (type: MemberRule['type']) => STAGED.filter((s) => s.type === type && rules.members[s.member]).map((s) => reQuote(s.member));
  const scalar = [...names('string'), ...names('timestamp')];
  const sets = names('string-set');
  const out: string[] = [];
  if (scalar.length) out.push(`"(${scalar.join('|')})"${WS}:${WS}[^"n \\t\\r]`);
  // After `[`, strings separated by commas, then anything that does not start a string.
  if (sets.length) out.push(`"(${sets.join('|')})"${WS}:${WS}([^\\[n \\t\\r]|\\[${WS}(${STRING}${WS},${WS})*[^" \\t\\r\\]])`);
  return out;
}

function addMember(out: Plan, staged: Staged, rule: MemberRule, rules: SessionRecordRules, k: number): string | undefined {
  if (rule.type !== staged.type) return `the rule of ${staged.member} is not a ${staged.type}`;
  if (!rule.required && staged.absentSql === undefined) return `${staged.member} is optional but always staged`;
  const v = quoted(staged.member);
  const absent = staged.absentSql ?? 'NULL';
  let present: string[];
  switch (rule.type) {
    case 'string': {
      const checks = stringChecks(v, rule);
      if (!checks) return `the pattern of ${staged.member} has no RE2 equivalent here`;
      const allowed = rules.oneOf[staged.member];
      if (allowed) checks.push(`list_contains(${allowed.length ? `[${allowed.map(sqlText).join(', ')}]` : 'CAST([] AS VARCHAR[])'}, ${v})`);
      present = checks;
      out.values.push(`coalesce(${v}, ${absent})`);
      break;
    }
    case 'timestamp': {
      if (ISO_TIMESTAMP_PATTERN !== ISO_FORM) return 'the timestamp form is not the one the fast path reads';
      out.derived.push(`${timestampMs(v)} AS ms${k}`);
      present = [`ms${k} IS NOT NULL`, `ms${k} BETWEEN ${Math.trunc(rules.timeRange.from)} AND ${Math.trunc(rules.timeRange.to)}`];
      out.values.push(`coalesce(ms${k}, ${absent})`);
      break;
    }
    case 'string-set': {
      const item = stringChecks('x', rule.item);
      if (!item) return `the item pattern of ${staged.member} has no RE2 equivalent here`;
      present = [];
      if (rule.min !== undefined) present.push(`len(${v}) >= ${rule.min}`);
      if (rule.max !== undefined) present.push(`len(${v}) <= ${rule.max}`);
      if (item.length) present.push(`coalesce(list_bool_and(list_transform(${v}, lambda x: ${item.join(' AND ')})), true)`);
      // licenseProductSet, then JSON.stringify: repeats dropped, sorted (code units, as bytes for ASCII), none when empty.
      out.values.push(`CASE WHEN ${v} IS NULL OR len(${v}) = 0 THEN ${absent} ELSE '["' || array_to_string(list_sort(list_distinct(${v})), '","') || '"]' END`);
      break;
    }
  }
  out.checks.push({ member: staged.member, sql: `CASE WHEN ${v} IS NULL THEN ${!rule.required} ELSE coalesce(${present.join(' AND ') || 'true'}, false) END` });
  return undefined;
}

/** The SQL plan for these rules, or why they cannot be checked here. */
function plan(rules: SessionRecordRules): Plan | string {
  const index = new Map<string, number>(STAGED.map((s, k) => [s.member, k]));
  const extra = Object.keys(rules.members).find((m) => !index.has(m));
  if (extra) return `the rules name ${extra}, which has no staging column`;
  const type = (s: Staged) => (s.type === 'string-set' ? 'VARCHAR[]' : 'VARCHAR');
  const out: Plan = {
    columns: `{${STAGED.map((s) => `${sqlText(s.member)}: '${type(s)}'`).join(', ')}}`,
    oddLine: [...LENIENT, ...mistyped(rules)].join('|'),
    derived: [],
    checks: [],
    values: [],
  };
  for (const [k, staged] of STAGED.entries()) {
    const rule = rules.members[staged.member];
    if (!rule) return `the rules do not cover ${staged.member}`;
    const failed = addMember(out, staged, rule, rules, k);
    if (failed) return failed;
  }
  for (const [later, earlier] of rules.notBefore) {
    const [l, e] = [index.get(later), index.get(earlier)];
    if (l === undefined || e === undefined || STAGED[l]!.type !== 'timestamp' || STAGED[e]!.type !== 'timestamp') return `no timestamps ${later} and ${earlier} to order`;
    out.checks.push({ member: later, sql: `coalesce(ms${l} >= ms${e}, true)` });
  }
  for (const member of Object.keys(rules.oneOf)) {
    const k = index.get(member);
    if (k === undefined || STAGED[k]!.type !== 'string') return `no string ${member} to look up`;
  }
  return out;
}

/**
 * A line that is not an object, or holds a backslash (an escape) or a non-ASCII character
 * (more bytes than code points: the reader has checked the UTF-8). Control characters need
 * no rule: both parsers refuse them raw, but for the whitespace around a line (below).
 */
const ODD_LINE = `NOT starts_with(json, '{') OR contains(json, '\\') OR strlen(json) <> length(json)`;

/** The reader's options: exactly newline-delimited JSON, no guessing from the path or the contents. */
const READER = `format = 'newline_delimited', compression = 'uncompressed', hive_partitioning = false`;

const [NEWLINE, SPACE, TAB, CR, VT, FF] = [0x0a, 0x20, 0x09, 0x0d, 0x0b, 0x0c];

/**
 * What the file's bytes say before DuckDB reads it: whether it holds a vertical tab or form
 * feed (DuckDB's reader trims them around a line, C's isspace; JSON.parse refuses them), and
 * how many lines are not blank. The reader must find exactly that many: a file that is one
 * digit and nothing else (`1`) reads as no records at all (DuckDB 1.5), where JSON.parse
 * sees a line that is no object.
 */
async function scanBytes(file: string): Promise<{ verticalTabOrFormFeed: boolean; lines: number }> {
  const handle = await open(file, 'r');
  let lines = 0;
  let lineHasContent = false;
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (chunk.indexOf(VT) !== -1 || chunk.indexOf(FF) !== -1) return { verticalTabOrFormFeed: true, lines };
      // Only the start of each line is looked at: whitespace up to its first other byte.
      for (let i = 0; i < chunk.length; ) {
        if (!lineHasContent) {
          const byte = chunk[i]!;
          if (byte === SPACE || byte === TAB || byte === CR) {
            i++;
            continue;
          }
          if (byte !== NEWLINE) lineHasContent = true;
        }
        const end = chunk.indexOf(NEWLINE, i);
        if (end === -1) break;
        if (lineHasContent) lines++;
        lineHasContent = false;
        i = end + 1;
      }
    }
  } finally {
    await handle.close();
  }
  return { verticalTabOrFormFeed: false, lines: lines + (lineHasContent ? 1 : 0) };
}

/** Why the careful path must read the file; a fault of the storage itself is no such reason, and is thrown. */
function why(err: unknown): string {
  if (err instanceof StorageFault) throw err;
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

/**
 * Stages the NDJSON file into `staging` (empty, with STAGING_COLUMNS) on `connection` if every
 * record passes the rules; otherwise leaves it empty and says why.
 */
/** How loading a file went: every record staged, or nothing staged and why the careful path must read it. */
export type FileLoad = { staged: number } | { careful: string };

export async function bulkLoadNdjson(connection: Sql, staging: string, file: string, rules: SessionRecordRules): Promise<FileLoad> {
  const p = plan(rules);
  if (typeof p === 'string') return { careful: p };
  // DuckDB expands glob characters in a path; a spool folder with them is read record by record.
  if (/[*?[\]{}]/.test(file)) return { careful: 'the spool path holds glob characters' };
  const order = await connection.one(`SELECT current_setting('preserve_insertion_order') AS preserved`);
  if (order?.preserved !== true) return { careful: 'the engine may reorder an insert (preserve_insertion_order is off)' };
  const bytes = await scanBytes(file);
  if (bytes.verticalTabOrFormFeed) return { careful: 'a vertical tab or form feed' };

  // First the lines as the reader cuts them (edge whitespace trimmed), for what only the raw
  // text shows; this also counts the records.
  const path = sqlText(file);
  let records: number;
  try {
    const row = (await connection.one(`SELECT count(*) AS records, count(*) FILTER (${ODD_LINE} OR regexp_matches(json, ${sqlText(p.oddLine)})) AS odd
      FROM read_json_objects(${path}, ${READER})`))!;
    if (Number(row.odd) > 0) return { careful: `${row.odd} line(s) with escapes, non-ASCII, lenient JSON, a mistyped member or no object` };
    records = Number(row.records);
  } catch (err) {
    return { careful: `the JSON reader: ${why(err)}` };
  }
  if (records !== bytes.lines) return { careful: `the reader found ${records} records in ${bytes.lines} lines that are not blank` };
  if (records === 0) return { staged: 0 };

  // Then one statement reads, checks and stages: the first record failing a check stops it
  // with error(), and a failed statement inserts nothing. The insert keeps the file's order
  // (DuckDB preserves insertion order), so a row's rowid is its place in the batch: `pos`.
  const gate = `CASE ${p.checks.map((c) => `WHEN NOT (${c.sql}) THEN error(${sqlText(`a record's ${c.member} needs the careful path`)})`).join(' ')} ELSE 0 END`;
  const read = `read_json(${path}, ${READER}, records = true, columns = ${p.columns})`;
  const insert = `INSERT INTO ${staging} (pos, ${STAGED.map((s) => s.column).join(', ')})
    SELECT ${gate}, ${p.values.join(', ')} FROM (SELECT ${['*', ...p.derived].join(', ')} FROM ${read})`;
  try {
    await connection.run(insert);
  } catch (err) {
    return { careful: why(err) };
  }
  try {
    await connection.run(`UPDATE ${staging} SET pos = rowid + 1`);
    const staged = Number((await connection.one(`SELECT count(*) AS n FROM ${staging}`))!.n);
    if (staged !== records) throw new Error(`the two reads of the file disagree (${records} and ${staged} records)`);
  } catch (err) {
    const careful = why(err);
    await connection.run(`DELETE FROM ${staging}`);
    return { careful };
  }
  return { staged: records };
}
