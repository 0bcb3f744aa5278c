// Requests for POST /ingest/v1/farms/{farmId}/sessions: NDJSON and CSV batches of valid and
// mutant records, lines that are no record (cut JSON, other JSON types, random bytes, nesting
// thousands deep, lines past the 64 KiB cap, blank lines), many records, and the body then
// gzipped, broken as gzip, cut short, or sent under another content-type or encoding. Each
// case says what the server must do with the batch (see Verdict) and how many records it holds.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { SESSION_RECORD_FIELDS } from '../../src/domain/session-record.js';
import { percentEncode } from './api-requests.js';
import type { IngestFixture } from './fixture.js';
import { framed, type FuzzRequest, type HazardChoice, type RequestParts } from './framing.js';
import { mutantRecord, ndjsonLine, validRecord, type FuzzRecord, type Verdict } from './ingest-records.js';

export interface IngestCase {
  request: FuzzRequest;
  /** valid: must be accepted whole; invalid: must be refused, nothing written; either: may go both ways. */
  verdict: Verdict;
  /** Records in the body (what `received` must say when accepted), when the body is whole. */
  records: number | undefined;
  /** Every record's span is one the counting aggregation sees (so the count grows by `created`). */
  timeSafe: boolean;
}

interface Batch {
  body: Buffer;
  verdict: Verdict;
  records: number | undefined;
  timeSafe: boolean;
  format: 'ndjson' | 'csv';
  notes: string[];
}

const worst = (verdicts: Verdict[]): Verdict => (verdicts.includes('invalid') ? 'invalid' : verdicts.includes('either') ? 'either' : 'valid');

type Line = { kind: 'record'; record: FuzzRecord } | { kind: 'odd'; bytes: Buffer; verdict: Verdict; note: string } | { kind: 'blank'; bytes: Buffer };

function oddLine(parents: IngestFixture): fc.Arbitrary<Line> {
  const odd = (bytes: Buffer | string, verdict: Verdict, note: string): Line => ({ kind: 'odd', bytes: Buffer.from(bytes), verdict, note });
  return fc.oneof(
    validRecord(parents).chain((r) => {
      const line = ndjsonLine(r).toString();
      return fc.integer({ min: 1, max: line.length - 1 }).map((n) => odd(line.slice(0, n), 'invalid', `a record cut after ${n} characters`));
    }),
    fc.constantFrom('null', '[]', '[{}]', '1', '"x"', 'true', '{}{}', '{"a":1} x', 'garbage', '{', '}', '{"a":1,}', 'NaN', '// comment').map((t) => odd(t, 'invalid', `the line ${t}`)),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => odd(Buffer.from(b.filter((x) => x !== 0x0a && x !== 0x0d)), 'either', 'random bytes')),
    fc.integer({ min: 100, max: 100_000 }).map((depth) => odd('['.repeat(depth) + ']'.repeat(depth), 'invalid', `arrays nested ${depth} deep`)),
    validRecord(parents).chain((r) =>
      fc.integer({ min: 65 * 1024, max: 300 * 1024 }).map((n) => odd(ndjsonLine({ ...r, raw: [['padding', JSON.stringify('p'.repeat(n))]] }), 'invalid', `a ${n}-byte line`)),
    ),
  );
}

const blankLine = fc.constantFrom('', ' ', '\t', '  \t ', '\r').map((t): Line => ({ kind: 'blank', bytes: Buffer.from(t) }));

/** Many valid records in one batch: one generated record, copied with fresh session IDs. */
function manyRecords(parents: IngestFixture): fc.Arbitrary<FuzzRecord[]> {
  return fc.tuple(validRecord(parents), fc.integer({ min: 1000, max: 4000 }), fc.stringMatching(/^[0-9a-f]{24}$/)).map(([r, n, prefix]) =>
    Array.from({ length: n }, (_, i) => ({ ...r, members: { ...r.members, sessionId: `session-${prefix}${i.toString(16).padStart(8, '0')}` } })),
  );
}

function ndjsonBatch(parents: IngestFixture): fc.Arbitrary<Batch> {
  const line = fc.oneof(
    { weight: 16, arbitrary: validRecord(parents).map((record): Line => ({ kind: 'record', record })) },
    { weight: 4, arbitrary: mutantRecord(parents).map((record): Line => ({ kind: 'record', record })) },
    { weight: 2, arbitrary: blankLine },
    { weight: 2, arbitrary: oddLine(parents) },
  );
  const lines = fc.oneof(
    { weight: 12, arbitrary: fc.array(line, { maxLength: 30 }) },
    { weight: 1, arbitrary: manyRecords(parents).map((rs) => rs.map((record): Line => ({ kind: 'record', record }))) },
  );
  return fc.record({ lines, crlf: fc.nat(5), lastNewline: fc.nat(9), bom: fc.nat(29) }).map(({ lines: ls, crlf, lastNewline, bom }) => {
    const seen = new Set<unknown>();
    const kept = ls.filter((l) => l.kind !== 'record' || l.record.members.sessionId === undefined || (!seen.has(l.record.members.sessionId) && seen.add(l.record.members.sessionId)));
    const eol = crlf === 0 ? '\r\n' : '\n';
    const parts = kept.map((l) => (l.kind === 'record' ? ndjsonLine(l.record) : l.bytes));
    let body = Buffer.concat(parts.flatMap((p, i) => (i < parts.length - 1 || lastNewline > 0 ? [p, Buffer.from(eol)] : [p])));
    const notes = kept.filter((l) => l.kind !== 'blank').map((l) => (l.kind === 'record' ? l.record.note : l.note)).filter((n) => n !== 'valid');
    const verdicts = kept.map((l) => (l.kind === 'record' ? l.record.verdict : l.kind === 'odd' ? l.verdict : 'valid'));
    if (bom === 0) {
      body = Buffer.concat([Buffer.from('\ufeff'), body]);
      verdicts.push('either');
      notes.push('a byte-order mark first');
    }
    const records = kept.filter((l) => l.kind !== 'blank').length;
    return {
      body,
      verdict: worst(verdicts),
      records,
      timeSafe: kept.every((l) => l.kind !== 'record' || l.record.timeSafe),
      format: 'ndjson' as const,
      notes: [`NDJSON, ${records} records${eol === '\r\n' ? ', CRLF' : ''}`, ...notes.slice(0, 6), ...(notes.length > 6 ? [`${notes.length - 6} more`] : [])],
    };
  });
}

function csvCell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(';') : value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV batch of valid records (no NDJSON mutants: CSV cells are all text), broken the ways CSV breaks. */
function csvBatch(parents: IngestFixture): fc.Arbitrary<Batch> {
  const required = ['sessionId', 'queueId', 'jobId', 'jobName', 'userId', 'fleetId', 'workerId', 'startedAt'];
  return fc
    .record({
      records: fc.oneof({ weight: 10, arbitrary: fc.array(validRecord(parents), { maxLength: 25 }) }, { weight: 1, arbitrary: manyRecords(parents) }),
      columns: fc.shuffledSubarray<string>([...SESSION_RECORD_FIELDS], { minLength: SESSION_RECORD_FIELDS.length }),
      crlf: fc.boolean(),
      breakage: fc.nat(14),
      which: fc.nat(),
      blankLines: fc.nat(4),
    })
    .map(({ records, columns, crlf, breakage, which, blankLines }) => {
      // Products named with a separator or spaces around them would not come back alike; the generator names none.
      const cols = [...columns];
      let rows = records.map((r) => cols.map((c) => csvCell(r.members[c])));
      let verdict: Verdict = 'valid';
      let note = 'valid';
      const pick = <T>(xs: readonly T[]): T => xs[which % xs.length]!;
      switch (breakage) {
        case 0: {
          const gone = pick(required);
          const at = cols.indexOf(gone);
          cols.splice(at, 1);
          rows = rows.map((row) => row.filter((_, i) => i !== at));
          [verdict, note] = ['invalid', `no ${gone} column`];
          break;
        }
        case 1:
          cols.push('notes');
          rows = rows.map((row) => [...row, 'x']);
          [verdict, note] = ['invalid', 'an unknown column'];
          break;
        case 2:
          cols.push(cols[0]!);
          rows = rows.map((row) => [...row, row[0]!]);
          [verdict, note] = ['invalid', 'a column twice'];
          break;
        case 3:
          if (rows.length) {
            rows[which % rows.length]!.push('extra');
            [verdict, note] = ['invalid', 'a row with a cell too many'];
          }
          break;
        case 4:
          if (rows.length) {
            rows[which % rows.length]!.pop();
            [verdict, note] = ['invalid', 'a row with a cell too few'];
          }
          break;
        case 5:
          if (rows.length) {
            const row = rows[which % rows.length]!;
            const column = pick(required);
            const col = cols.indexOf(column);
            // A value its column cannot take: any text is a name, but not an ID or an instant.
            const broken = column === 'jobName' || column === 'userId' ? ['', 'x'.repeat(129)] : column === 'startedAt' ? ['', 'nope', '2025-13-01T00:00:00Z'] : ['', 'nope', 'session-XYZ', `${row[col]}0`];
            row[col] = pick(broken);
            [verdict, note] = ['invalid', `${column} '${row[col]!.slice(0, 40)}' in a row`];
          }
          break;
        case 6:
          if (rows.length) {
            rows[rows.length - 1]![0] = `"${rows[rows.length - 1]![0]}`;
            [verdict, note] = ['invalid', 'a quote left open in the last row'];
          }
          break;
        case 7:
          if (rows.length) {
            rows[which % rows.length]![cols.indexOf('jobName')] = csvCell(pick(['a, b', 'say "hi"', 'two\nlines', ' padded ', '"', ',']));
            note = 'a quoted jobName';
          }
          break;
        default:
          break;
      }
      const eol = crlf ? '\r\n' : '\n';
      const lines = [cols.join(','), ...rows.map((r) => r.join(','))];
      for (let i = 0; i < blankLines && lines.length > 1; i++) lines.splice(1 + ((which + i) % (lines.length - 1)), 0, '');
      return {
        body: Buffer.from(lines.join(eol) + eol),
        verdict,
        records: records.length,
        timeSafe: true,
        format: 'csv' as const,
        notes: [`CSV, ${records.length} records${crlf ? ', CRLF' : ''}`, ...(note === 'valid' ? [] : [note])],
      };
    });
}

const NDJSON_TYPES = ['application/x-ndjson', 'application/x-ndjson; charset=utf-8', 'Application/X-NDJSON'];
const CSV_TYPES = ['text/csv', 'text/csv; charset=utf-8', 'TEXT/CSV; header=present'];

/** How the batch travels: content-type, content-encoding, gzip or not, whole or cut. */
interface Packed {
  body: Buffer;
  headers: [string, string][];
  verdict: Verdict;
  records: number | undefined;
  timeSafe: boolean;
  notes: string[];
}

function packed(batch: Batch): fc.Arbitrary<Packed> {
  const own = batch.format === 'ndjson' ? NDJSON_TYPES : CSV_TYPES;
  const empty = batch.records === 0;
  // `whole: false` for a body cut short: how many records it holds is then unknown.
  const as = (body: Buffer, headers: [string, string][], verdict: Verdict, note: string, whole = true): Packed => ({
    records: whole ? batch.records : undefined,
    body, headers, verdict, timeSafe: batch.timeSafe, notes: [...batch.notes, ...(note ? [note] : [])],
  });
  return fc.constantFrom(...own).chain((type) => {
    const ct: [string, string] = ['content-type', type];
    return fc.oneof(
      { weight: 16, arbitrary: fc.constant(as(batch.body, [ct], batch.verdict, '')) },
      { weight: 5, arbitrary: fc.constantFrom('gzip', 'GZIP', ' gzip ').map((enc) => as(gzipSync(batch.body), [ct, ['content-encoding', enc]], batch.verdict, `gzip (content-encoding '${enc}')`)) },
      { weight: 1, arbitrary: fc.constant(as(batch.body, [ct, ['content-encoding', 'identity']], batch.verdict, 'content-encoding identity')) },
      { weight: 1, arbitrary: fc.constantFrom('br', 'deflate', 'x-gzip', 'gzip, gzip', 'compress', 'gzip;q=1').map((enc) => as(batch.body, [ct, ['content-encoding', enc]], 'invalid', `content-encoding '${enc}'`)) },
      { weight: 1, arbitrary: fc.constant(as(batch.body, [ct, ['content-encoding', 'gzip']], batch.body.length ? 'invalid' : 'either', 'declared gzip, sent plain')) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => as(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), b]), [ct, ['content-encoding', 'gzip']], 'invalid', 'a gzip header, then garbage')) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 1, max: 40 }).map((cut) => {
          const zipped = gzipSync(batch.body);
          return as(zipped.subarray(0, Math.max(1, zipped.length - cut)), [ct, ['content-encoding', 'gzip']], 'invalid', `gzip cut ${cut} bytes short`);
        }),
      },
      { weight: 1, arbitrary: fc.constant(as(gzipSync(gzipSync(batch.body)), [ct, ['content-encoding', 'gzip']], 'invalid', 'gzip of gzip, declared once')) },
      { weight: 1, arbitrary: fc.constant(as(gzipSync(batch.body), [ct], 'invalid', 'gzip without content-encoding')) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: Math.max(0, batch.body.length - 1) }).map((n) => as(batch.body.subarray(0, n), [ct], 'either', `the body cut after ${n} bytes`, false)) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', batch.format === 'ndjson' ? 'text/csv' : 'application/x-ndjson', 'multipart/form-data; boundary=x').map((other) =>
          as(batch.body, other ? [['content-type', other]] : [], empty && other !== undefined && /csv|ndjson/.test(other) ? 'either' : 'invalid', `sent as ${other ?? 'no content-type'}`),
        ),
      },
    );
  });
}

/** A gzip body that inflates a hundredfold or more: blank lines (nothing to store) or empty objects (all bad). */
const inflating: fc.Arbitrary<Packed> = fc.oneof(
  fc.integer({ min: 10_000, max: 2_000_000 }).map((n) => ({ body: gzipSync(Buffer.alloc(n, 0x0a)), verdict: 'valid' as Verdict, records: 0, notes: [`gzip of ${n} blank lines`] })),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ body: gzipSync(Buffer.from('{}\n'.repeat(n))), verdict: 'invalid' as Verdict, records: n, notes: [`gzip of ${n} empty objects`] })),
).map((b) => ({ ...b, timeSafe: true, headers: [['content-type', 'application/x-ndjson'], ['content-encoding', 'gzip']] }));

/** Which farm the path names: the fixture's, one nobody has, or no farm ID at all. */
function farmPath(parents: IngestFixture): fc.Arbitrary<{ segment: string; verdict: Verdict; note: string }> {
  return fc.oneof(
    { weight: 20, arbitrary: fc.constant({ segment: parents.farmId, verdict: 'valid' as Verdict, note: '' }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => ({ segment: `farm-${h}`, verdict: 'invalid' as Verdict, note: 'a farm nobody has' })) },
    { weight: 1, arbitrary: fc.constantFrom(parents.farmId.toUpperCase(), `${parents.farmId}x`, 'farm-', '..', 'x'.repeat(512), '%00').map((s) => ({ segment: s === '%00' ? s : percentEncode(s), verdict: 'invalid' as Verdict, note: `the farm '${s.slice(0, 40)}'` })) },
  );
}

export function ingestCase(parents: IngestFixture, hazards: HazardChoice): fc.Arbitrary<IngestCase> {
  const batch = fc.oneof({ weight: 3, arbitrary: ndjsonBatch(parents) }, { weight: 1, arbitrary: csvBatch(parents) });
  const body = fc.oneof({ weight: 30, arbitrary: batch.chain(packed) }, { weight: 1, arbitrary: inflating });
  return fc
    .tuple(body, farmPath(parents), fc.constantFrom('', '', '', '?dryRun=true', '?a=%ZZ&b', '?format=csv'))
    .chain(([b, farm, query]) => {
      const parts: RequestParts = {
        method: 'POST',
        target: `/ingest/v1/farms/${farm.segment}/sessions${query}`,
        headers: b.headers,
        body: b.body,
        notes: [...b.notes, ...(farm.note ? [farm.note] : [])],
      };
      const verdict = worst([b.verdict, farm.verdict]);
      return framed(fc.constant(parts), hazards).map((request) => ({ request, verdict, records: b.records, timeSafe: b.timeSafe }));
    });
}

/** An NDJSON batch of valid records and one `defect` among them, which must have the batch refused. */
export function oneDefectCase(parents: IngestFixture, defect: fc.Arbitrary<FuzzRecord>, hazards: HazardChoice = { allowed: [] }): fc.Arbitrary<IngestCase> {
  return defectAmong(parents, fc.array(validRecord(parents), { maxLength: 10 }), defect, hazards);
}

/** Past the server's default --group-commit-bytes (1 MiB): such a body is offered to the store's bulk load first. */
const BULK_BODY_BYTES = 1.5 * 1024 * 1024;

/** As oneDefectCase, but with enough valid records (copies of one, fresh session IDs) that the body is offered to the bulk load. */
export function oneDefectInBulkCase(parents: IngestFixture, defect: fc.Arbitrary<FuzzRecord>): fc.Arbitrary<IngestCase> {
  const valid = fc.tuple(validRecord(parents), fc.stringMatching(/^[0-9a-f]{24}$/)).map(([r, prefix]) => {
    const copies = Math.ceil(BULK_BODY_BYTES / ndjsonLine(r).length);
    return Array.from({ length: copies }, (_, i) => ({ ...r, members: { ...r.members, sessionId: `session-${prefix}${i.toString(16).padStart(8, '0')}` } }));
  });
  return defectAmong(parents, valid, defect, { allowed: [] });
}

function defectAmong(parents: IngestFixture, valid: fc.Arbitrary<FuzzRecord[]>, defect: fc.Arbitrary<FuzzRecord>, hazards: HazardChoice): fc.Arbitrary<IngestCase> {
  return fc.tuple(valid, defect, fc.nat()).chain(([good, bad, at]) => {
    const records = [...good];
    records.splice(at % (good.length + 1), 0, bad);
    const parts: RequestParts = {
      method: 'POST',
      target: `/ingest/v1/farms/${parents.farmId}/sessions`,
      headers: [['content-type', 'application/x-ndjson']],
      body: Buffer.concat(records.flatMap((r) => [ndjsonLine(r), Buffer.from('\n')])),
      notes: [`NDJSON, ${records.length} records`, bad.note],
    };
    return framed(fc.constant(parts), hazards).map((request) => ({ request, verdict: 'invalid' as Verdict, records: records.length, timeSafe: true }));
  });
}
