// A seeded generator of NDJSON ingest batches for the fast path's differential test: valid
// records written many ways (key order, whitespace, escapes, CRLF, blank lines, a BOM, gzip,
// re-sent and repeated sessions), and records and lines that are wrong in small ways (JSON
// types, nulls, patterns and lengths at their limits, non-ASCII, timestamps in many forms,
// endedAt before startedAt, unknown and repeated members, lenient JSON, control bytes).
// Each batch says whether it is `plain`: valid records only, in forms the fast path takes
// (canonical JSON, or any key order and spacing, CRLF, blank lines), which it must stage itself.
import { gzipSync } from 'node:zlib';
import { SESSION_RECORD_FIELDS } from '../../src/domain/session-record.js';

export interface FuzzParents {
  queueIds: readonly string[];
  fleetIds: readonly string[];
  /** A queue and a fleet of another farm: valid IDs, but not this farm's. */
  foreignQueueId: string;
  foreignFleetId: string;
}

export interface FuzzBatch {
  label: string;
  body: Buffer;
  gzip: boolean;
  /** Valid records only, in forms the fast path takes (canonical, or any key order, spacing, CRLF, blank lines): it must stage them itself. */
  plain: boolean;
}

/** mulberry32: small, seeded, good enough to pick test cases. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Random = ReturnType<typeof random>;

const hex = (r: Random, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[r.int(16)]).join('');
const PRINTABLE = ' !#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const text = (r: Random, n: number, alphabet = PRINTABLE) => Array.from({ length: n }, () => alphabet[r.int(alphabet.length)]).join('');
const NAMES = ['shot_010 comp', 'KITE_sq120_sh0250_light_v002', 'lookdev', 'fx sim v3', 'a', 'render: final', 'Nuke, comp', 'sq[01]', 'info', 'banana'];
/** Names whose text looks like lenient JSON to the fast path's raw check (it then leaves the batch to the careful path). */
const TRICKY_NAMES = ['x,}y', 'in:Nuke', 'a,]', 'v:-inf', '[NaN]'];
const USERS = ['ana', 'ben.chen', 'grace.alvarez', 'u', 'ops@studio', 'N/A'];
const PRODUCTS = ['maya', 'nuke', 'houdini', 'arnold', 'redshift', 'katana', 'a', 'b,c', 'x]y'];
const INSTANCES = ['c5.4xlarge', 'r5.8xlarge', 'blade-xeon-64c', 'g4dn.xlarge'];

/** A session record as the tests send it: member name to JS value (strings, lists), JSON-serialized later. */
export type FuzzRecord = Record<string, unknown>;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * An instant written as ISO 8601 in one of the forms the API accepts (offsets, fraction
 * digits, separators); `plain` leaves out lower-case `t` and `z`, which DuckDB does not read.
 */
function isoForm(r: Random, ms: number, plain = false): string {
  const offsetMin = r.chance(0.5) ? 0 : (r.chance(0.5) ? 1 : -1) * (r.int(24) * 60 + r.pick([0, 30, 45, r.int(60)]));
  const local = new Date(ms + offsetMin * 60_000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const digits = r.pick([0, 0, 1, 2, 3, 3, 4, 6, 9, 12]);
  const millis = pad(local.getUTCMilliseconds(), 3);
  const fraction = digits === 0 ? '' : `.${(millis + hex(r, 12).replace(/[a-f]/g, '7')).slice(0, digits)}`;
  const zone = offsetMin === 0 ? r.pick(plain ? ['Z', '+00:00', '-00:00'] : ['Z', 'Z', 'Z', 'z', '+00:00', '-00:00']) : `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return `${date}${r.pick(plain ? ['T', 'T', ' '] : ['T', 'T', 'T', 't', ' '])}${time}${fraction}${zone}`;
}

/** Timestamp texts at and past the edges of what parseIsoTimestamp accepts. */
const ODD_TIMESTAMPS = [
  '2025-02-29T00:00:00Z', '2024-02-29T23:59:59.999Z', '2025-13-01T00:00:00Z', '2025-00-10T00:00:00Z', '2025-04-31T00:00:00Z',
  '2025-01-01T24:00:00Z', '2025-01-01T23:60:00Z', '2025-01-01T23:59:60Z', '2025-01-01T10:00:00+24:00', '2025-01-01T10:00:00+23:59',
  '2025-01-01T10:00:00-23:60', '0999-12-31T23:59:59Z', '1000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '1969-12-31T23:59:59.9995Z',
  '2025-01-01T10:00:00', '2025-01-01T10:00Z', '2025-01-01', '2025-1-01T10:00:00Z', '2025-01-01T10:00:00.Z', '2025-01-01T10:00:00+0100',
  '2025-01-01T10:00:00+01', ' 2025-01-01T10:00:00Z', '2025-01-01T10:00:00Z ', '2025-01-01_10:00:00Z', '２０２５-01-01T10:00:00Z',
  '2025-01-01T10:00:00.123456789012345678901234567890Z', '2025-06-15 12:30:45.5-07:00',
];

export class FuzzRecords {
  private sessions: { record: FuzzRecord; startMs: number; plain: boolean }[] = [];
  private jobs: { jobId: string; queueId: string }[] = [];

  constructor(
    private readonly r: Random,
    private readonly parents: FuzzParents,
  ) {}

  /** A valid record: a new session, or now and then one sent before (same facts, or changed). `plain`: nothing the fast path leaves to the careful one. */
  valid(plain = false): FuzzRecord {
    const { r } = this;
    const sessions = plain ? this.sessions.filter((s) => s.plain) : this.sessions;
    if (sessions.length && r.chance(0.15)) {
      const sent = r.pick(sessions);
      const again = { ...sent.record };
      if (r.chance(0.5)) again.endedAt = isoForm(r, sent.startMs + 3_600_000 + r.int(1000), plain);
      if (r.chance(0.3)) again.licenseProducts = [...((again.licenseProducts as string[]) ?? []), r.pick(PRODUCTS)].reverse();
      // Now and then to another job (its old one may be left without sessions).
      if (this.jobs.length > 1 && r.chance(0.1)) Object.assign(again, r.pick(this.jobs));
      return again;
    }
    if (!this.jobs.length || r.chance(0.3)) this.jobs.push({ jobId: `job-${hex(r, 32)}`, queueId: r.pick(this.parents.queueIds) });
    const job = r.pick(this.jobs);
    const start = Date.UTC(2025, 0, 1) + r.int(365 * 86_400_000);
    const record: FuzzRecord = {
      sessionId: `session-${hex(r, 32)}`,
      queueId: job.queueId,
      jobId: job.jobId,
      jobName: r.chance(0.8) ? r.pick(NAMES) : plain ? text(r, 1 + r.int(40), 'abcXYZ019 _-.') : r.chance(0.5) ? r.pick(TRICKY_NAMES) : text(r, 1 + r.int(40)),
      userId: r.pick(USERS),
      fleetId: r.pick(this.parents.fleetIds),
      workerId: `worker-${hex(r, 32)}`,
      startedAt: isoForm(r, start, plain),
    };
    if (r.chance(0.8)) record.instanceType = r.pick(INSTANCES);
    // Fewer fraction digits can put an end within a second of its start before it (dropped
    // digits); plain records keep a second apart.
    if (r.chance(0.8)) record.endedAt = isoForm(r, start + r.pick(plain ? [1000, 60_000, 1000 + r.int(43_200_000)] : [0, 1, 60_000, r.int(43_200_000)]), plain);
    if (r.chance(0.3)) record.licenseProducts = Array.from({ length: r.int(4) }, () => r.pick(plain ? PRODUCTS.slice(0, 7) : PRODUCTS));
    this.sessions.push({ record, startMs: start, plain });
    return record;
  }

  /** A record one small step from valid (or, for some steps, still valid in an unusual way). */
  mutant(): { record: FuzzRecord; raw?: Record<string, string> } {
    const { r } = this;
    const record = { ...this.valid() };
    const member = r.pick(SESSION_RECORD_FIELDS);
    const raw: Record<string, string> = {};
    // Weighted toward what only the SQL checks can catch (patterns, lengths, products, timestamps).
    switch (r.pick([0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])) {
      case 0: // another JSON type
        raw[member] = r.pick(['1740000000', '0', '-1.5e3', 'true', 'false', '{}', '{"a":"b"}', '["x"]', '[]', '[1]', '""', '1e999']);
        break;
      case 1: // null or missing
        if (r.chance(0.5)) record[member] = null;
        else delete record[member];
        break;
      case 2: // patterns at their edges
        record[member] = r.pick([
          `session-${hex(r, 31)}`, `session-${hex(r, 33)}`, `session-${hex(r, 32).toUpperCase()}`, `queue-${hex(r, 32)}`, ` session-${hex(r, 32)}`,
          `worker-${hex(r, 32)}\u0000`, `fleet-${hex(r, 32)}`, `job-${hex(r, 32)}`, `job-${hex(r, 32)}x`, 'job-', '',
        ]);
        break;
      case 3: // lengths at their limits, in code points (an emoji is one code point, two UTF-16 units)
        record[r.pick(['jobName', 'userId', 'instanceType'])] = r.pick(['', 'x', 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(128), 'x'.repeat(129), '😀'.repeat(64), '😀'.repeat(100), '😀'.repeat(101), '😀'.repeat(128), '😀'.repeat(129), 'é'.repeat(128), 'é'.repeat(129)]);
        break;
      case 4: // license products: empty, repeated, at the list and item limits, not strings
        record.licenseProducts = r.pick([[], ['maya', 'maya'], [''], ['x'.repeat(100)], ['x'.repeat(101)], Array.from({ length: 100 }, (_, i) => `p${i}`), Array.from({ length: 101 }, (_, i) => `p${i}`), ['nuke', 'Maya', 'maya', 'a b'], ['ü'], ['😀', '\uffff']]);
        if (r.chance(0.3)) raw.licenseProducts = r.pick(['["maya",1]', '["maya",null]', '"maya"', '[["maya"]]', '["maya",{}]', '[ "maya" , "nuke" ]', '["a]b",2]', '[true]']);
        break;
      case 5: // timestamps in odd forms
        record[r.pick(['startedAt', 'endedAt'])] = r.pick(ODD_TIMESTAMPS);
        break;
      case 6: { // endedAt before, at, or (after truncation) equal to startedAt
        const start = Date.UTC(2025, 5, 1, 12);
        record.startedAt = new Date(start).toISOString();
        record.endedAt = r.pick([new Date(start - 1).toISOString(), new Date(start).toISOString(), '2025-06-01T12:00:00.0009Z', '2025-06-01T11:59:59.9999Z', '2025-06-01T13:00:00.000+01:00', '2025-06-01T12:59:59.999+01:00']);
        if (r.chance(0.3)) record.startedAt = '2025-06-01T12:00:00.0001Z';
        break;
      }
      case 7: // unknown members of every kind (as raw text: `__proto__` is a plain key to JSON.parse)
        raw[r.pick(['lifecycleStatus', 'extra', '__proto__', 'sessionid', 'notes'])] = JSON.stringify(r.pick(['ENDED', 5, null, true, [1, 2], { jobName: 5 }, { deep: { deeper: [1, { x: 'y' }] } }, 'ü']));
        break;
      case 8: // the farm's parents: another farm's, or none at all
        if (r.chance(0.5)) record.queueId = r.chance(0.5) ? this.parents.foreignQueueId : `queue-${hex(r, 32)}`;
        else record.fleetId = r.chance(0.5) ? this.parents.foreignFleetId : `fleet-${hex(r, 32)}`;
        break;
      case 9: // non-ASCII and control characters that are valid
        record[r.pick(['jobName', 'userId'])] = r.pick(['Ñandú', 'shot "final"', 'back\\slash', 'tab\there', 'line\nbreak', '日本語', '😀', 'é', '\u2028', 'nul\u0000']);
        break;
      case 10: // lenient JSON DuckDB takes and JSON.parse refuses
        raw[r.pick(['extra', 'licenseProducts', member])] = r.pick(['NaN', 'Infinity', '-Infinity', 'nan', 'inf', '-inf', 'NAN', '["maya",]', '{"a":1,}', '[1,]']);
        break;
      case 11: // numbers where text is expected, text that looks like numbers
        record[member] = r.pick(['123', '1740000000', 'true', 'null']);
        break;
      case 12: // a key written with an escape (same key for JSON.parse)
        raw['\\u0073essionId'] = JSON.stringify(record.sessionId);
        delete record.sessionId;
        break;
      case 13: { // a member twice: JSON.parse keeps the last
        const value = record[member] ?? 'x';
        raw[`${member}#2`] = r.pick([JSON.stringify(value), JSON.stringify(record.jobName), '5', 'null', JSON.stringify(`session-${hex(r, 32)}`)]);
        if (r.chance(0.3)) raw['extra#1'] = '1';
        if (r.chance(0.3)) raw['extra#2'] = '2';
        break;
      }
      case 14: // a member's name in another case is another (unknown) member
        record[member.toLowerCase() === member ? member.toUpperCase() : member.toLowerCase()] = record[member] ?? 'x';
        delete record[member];
        break;
      default: // unknown member holding a known member's name, nested
        raw.extra = r.pick(['{"jobName": 5}', '{"licenseProducts": [1]}', '["startedAt", 1]']);
    }
    return { record, raw };
  }
}

export interface Style {
  shuffle: boolean;
  /** compact, Python's json.dumps, or random spaces and tabs around tokens. */
  spacing: 'compact' | 'python' | 'random';
  /** Write some characters as \u escapes (valid JSON, same values). */
  escapes: boolean;
}

function stringify(r: Random, value: unknown, style: Style): string {
  const json = JSON.stringify(value);
  if (!style.escapes || typeof value !== 'string') return json;
  // Every k-th letter: one draw whatever the text, so the same seed gives the same batches (IDs differ per run).
  const k = 2 + r.int(5);
  let n = 0;
  return json.replace(/[a-z]/g, (c) => (++n % k === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c));
}

/**
 * One record's line: members (JSON values) and raw members (text used as is; `name#2` is
 * `name` written again after the first), in `style`.
 */
export function line(r: Random, record: FuzzRecord, raw: Record<string, string>, style: Style): string {
  const entries: [string, string][] = [
    ...Object.entries(record).filter(([k, v]) => v !== undefined && !(k in raw)).map(([k, v]) => [JSON.stringify(k), stringify(r, v, style)] as [string, string]),
    ...Object.entries(raw).map(([k, v]) => [`"${k.replace(/#.*$/, '')}"`, v] as [string, string]),
  ];
  if (style.shuffle) entries.sort(() => r.next() - 0.5);
  const space = () => (style.spacing === 'random' ? r.pick(['', '', ' ', '  ', '\t']) : '');
  const [colon, comma] = style.spacing === 'python' ? [': ', ', '] : [':', ','];
  return `${space()}{${space()}${entries.map(([k, v]) => `${k}${space()}${colon}${space()}${v}`).join(`${space()}${comma}${space()}`)}${space()}}${space()}`;
}

/** Whole lines that are not records, or records with something odd around them. */
const ODD_LINES = [
  '', '   ', '\t', '\r', '\v', '\f', '\u00a0', 'null', '[]', '[1,2]', '"x"', '1', '{}', '{"sessionId":', '{"a":1} {"a":2}', '{"a":1}/*c*/', '// comment',
  '\ufeff', '{"a":1,}',
];

export function* fuzzBatches(seed: number, parents: FuzzParents, count: number): Generator<FuzzBatch> {
  const r = random(seed);
  const records = new FuzzRecords(r, parents);
  for (let b = 0; b < count; b++) {
    const size = r.pick([1, 2, 5, 20, 50, 200]);
    // Plain: canonical JSON of valid records; styled: valid records written any way; else some records or lines go wrong.
    const kind = r.pick(['plain', 'plain', 'styled', 'wrong', 'wrong'] as const);
    const plain = kind === 'plain';
    const style: Style = plain ? { shuffle: false, spacing: 'compact', escapes: false } : { shuffle: r.chance(0.5), spacing: r.pick(['compact', 'python', 'random'] as const), escapes: kind === 'wrong' && r.chance(0.3) };
    const lines: string[] = [];
    const labels: string[] = [];
    // A wrong batch has one wrong record or line among valid ones, or now and then several.
    const one = r.int(size);
    const several = r.chance(0.3);
    const wrongAt = (i: number) => kind === 'wrong' && (several ? r.chance(2 / size) : i === one);
    for (let i = 0; i < size; i++) {
      if (!wrongAt(i)) {
        const record = records.valid(kind !== 'wrong' || !several);
        lines.push(line(r, record, {}, style));
        // A session repeated within the batch: the last copy wins.
        if (r.chance(0.05)) lines.push(line(r, { ...record, endedAt: undefined }, {}, style));
        continue;
      }
      if (r.chance(0.75)) {
        const { record, raw } = records.mutant();
        lines.push(line(r, record, raw ?? {}, style));
        labels.push('mutant');
      } else {
        const odd = r.pick(ODD_LINES);
        const around = r.int(3);
        const valid = line(r, records.valid(), {}, style);
        lines.push(around === 0 ? odd : around === 1 ? `${odd}${valid}` : `${valid}${odd}`);
        labels.push(`line ${JSON.stringify(odd)}`);
      }
    }
    let text = lines.join('\n') + (r.chance(0.9) ? '\n' : '');
    if (kind === 'styled') {
      // What the fast path takes as it is: CRLF line ends, blank lines of JSON whitespace.
      if (r.chance(0.3)) text = text.replace(/\n/g, '\r\n');
      if (r.chance(0.3)) text = text.replace(/\n/, '\n\n  \n\t\r\n');
    }
    if (kind === 'wrong') {
      if (r.chance(0.1)) text = text.replace(/\n/g, '\r\n');
      if (r.chance(0.1)) text = text.replace(/\n/, '\n\n  \n');
      if (r.chance(0.05)) text = `\ufeff${text}`;
      if (r.chance(0.03)) text = `${text}${line(r, { ...records.valid(), extra: 'x'.repeat(70_000) }, {}, style)}\n`;
    }
    const gzip = r.chance(0.1);
    const bytes = Buffer.from(text);
    yield { label: `batch ${b}: ${size} records, ${kind}${labels.length ? `, ${labels.join(', ')}` : ''}${gzip ? ', gzip' : ''}`, body: gzip ? gzipSync(bytes) : bytes, gzip, plain: kind !== 'wrong' };
  }
}
