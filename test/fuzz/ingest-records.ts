// Session records for ingest fuzzing, as fast-check arbitraries (so a failure shrinks to a
// small batch): valid records with fresh session IDs in 2025, and records one step from
// valid, each labelled with what the server must do with it: refuse the batch (`invalid`),
// or either (`either`: unknown members, far timestamps, odd text). `timeSafe` is false when
// the record's time span may fall outside what the counting aggregation sees.
import fc from 'fast-check';
import type { IngestFixture } from './fixture.js';
import { INVALID_UTF8 } from './json-text.js';
import { notAnInstant } from './shape-values.js';

export type Verdict = 'valid' | 'invalid' | 'either';

export interface FuzzRecord {
  /** Members as JSON values. */
  members: Record<string, unknown>;
  /** Members written as raw text after the others (wrong JSON types, numbers no float holds, a key twice). */
  raw: [string, string][];
  /** Bytes that replace `"\u0001bytes\u0001"` in the line: invalid UTF-8 inside a string. */
  bytes?: Buffer;
  verdict: Verdict;
  timeSafe: boolean;
  note: string;
}

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
const NAMES = ['shot_010 comp', 'KITE_sq120_sh0250_light_v002', 'lookdev', 'fx sim v3', 'render: final', 'Nuke, comp', 'say "hi"', 'back\\slash', 'Ñandú', '日本語'];
const PRODUCTS = ['maya', 'nuke', 'houdini', 'arnold', 'redshift', 'katana', 'vray'];
const START_MIN = Date.UTC(2025, 0, 1);
const START_MAX = Date.UTC(2025, 11, 1);

/** An instant as ISO 8601: mostly `Z`, sometimes an offset or fraction digits (all forms the API takes). */
function iso(ms: number, form: number): string {
  const utc = new Date(ms).toISOString();
  switch (form % 4) {
    case 1:
      return utc.replace('.000Z', 'Z').replace(/\.(\d{3})Z$/, '.$1000Z');
    case 2: {
      const local = new Date(ms + 330 * 60_000).toISOString();
      return `${local.slice(0, 23)}+05:30`;
    }
    case 3:
      return `${utc.slice(0, 19)}Z`;
    default:
      return utc;
  }
}

export function validRecord(parents: IngestFixture): fc.Arbitrary<FuzzRecord> {
  const job = fc.oneof(
    fc.constantFrom(...parents.jobs),
    fc.tuple(hex32, fc.constantFrom(...parents.queueIds)).map(([h, queueId]) => ({ jobId: `job-${h}`, queueId })),
  );
  const text = (max: number) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NAMES) }, { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: max }) }, { weight: 1, arbitrary: fc.constant('x'.repeat(max)) });
  return fc
    .record(
      {
        sessionId: hex32.map((h) => `session-${h}`),
        job,
        jobName: text(128),
        userId: text(128),
        fleetId: fc.constantFrom(...parents.fleetIds),
        workerId: hex32.map((h) => `worker-${h}`),
        instanceType: fc.constantFrom('c5.4xlarge', 'r5.8xlarge', 'blade-xeon-64c', 'g4dn.xlarge'),
        start: fc.integer({ min: START_MIN, max: START_MAX }),
        length: fc.option(fc.integer({ min: 1000, max: 43_200_000 }), { freq: 6 }),
        form: fc.nat(7),
        licenseProducts: fc.uniqueArray(fc.constantFrom(...PRODUCTS), { maxLength: 3 }),
      },
      { requiredKeys: ['sessionId', 'job', 'jobName', 'userId', 'fleetId', 'workerId', 'start', 'length', 'form'] },
    )
    .map(({ job: { jobId, queueId }, start, length, form, ...rest }) => {
      const members: Record<string, unknown> = { sessionId: rest.sessionId, queueId, jobId, jobName: rest.jobName, userId: rest.userId, fleetId: rest.fleetId, workerId: rest.workerId };
      if (rest.instanceType !== undefined) members.instanceType = rest.instanceType;
      members.startedAt = iso(start, form);
      if (length !== null) members.endedAt = iso(start + length, form);
      if (rest.licenseProducts !== undefined) members.licenseProducts = rest.licenseProducts;
      return { members, raw: [], verdict: 'valid' as Verdict, timeSafe: true, note: 'valid' };
    });
}

const REQUIRED = ['sessionId', 'queueId', 'jobId', 'jobName', 'userId', 'fleetId', 'workerId', 'startedAt'];
const IDS = ['sessionId', 'queueId', 'jobId', 'fleetId', 'workerId'];

type Step = (r: FuzzRecord) => fc.Arbitrary<FuzzRecord>;
const change = (r: FuzzRecord, verdict: Verdict, note: string, edit: (m: Record<string, unknown>) => void, extra: Partial<FuzzRecord> = {}): FuzzRecord => {
  const members = { ...r.members };
  edit(members);
  return { ...r, members, verdict, note, ...extra };
};

/** One step from valid, with the verdict it must get. */
function steps(parents: IngestFixture): Step[] {
  return [
    (r) => fc.constantFrom(...REQUIRED).map((k) => change(r, 'invalid', `no ${k}`, (m) => delete m[k])),
    (r) => fc.constantFrom(...REQUIRED).map((k) => change(r, 'invalid', `${k} null`, (m) => (m[k] = null))),
    (r) => fc.constantFrom('endedAt', 'instanceType', 'licenseProducts').map((k) => change(r, 'either', `${k} null`, (m) => (m[k] = null))),
    (r) =>
      fc.tuple(fc.constantFrom(...REQUIRED, 'instanceType'), fc.constantFrom('5', 'true', '{}', '[]', '["x"]', '1e400', '-0', '1740000000')).map(([k, raw]) => ({
        ...change(r, 'invalid', `${k}: ${raw}`, (m) => delete m[k]),
        raw: [[k, raw]],
      })),
    (r) =>
      fc.tuple(fc.constantFrom(...IDS), hex32, fc.nat(4)).map(([k, h, how]) => {
        const prefix = k.replace(/Id$/, '');
        const broken = [`${prefix}-${h.slice(1)}`, `${prefix}-${h.toUpperCase()}`, `${prefix}-${h} `, `${prefix}-${h}\u0000`, `${prefix === 'job' ? 'queue' : 'job'}-${h}`][how]!;
        // Upper case hex is only wrong when the hex has a letter in it.
        return change(r, broken === `${prefix}-${h}` ? 'valid' : 'invalid', `${k} '${broken}'`, (m) => (m[k] = broken));
      }),
    (r) => fc.tuple(fc.constantFrom('jobName', 'userId'), fc.constantFrom('', 'x'.repeat(129), '😀'.repeat(129))).map(([k, v]) => change(r, 'invalid', `${k} of ${[...v].length} characters`, (m) => (m[k] = v))),
    (r) => fc.constantFrom('', 'x'.repeat(101)).map((v) => change(r, 'invalid', `instanceType of ${v.length} characters`, (m) => (m.instanceType = v))),
    (r) =>
      fc.constantFrom<unknown>('maya', [1], [''], ['x'.repeat(101)], Array.from({ length: 101 }, (_, i) => `p${i}`), [null], [['maya']]).map((v) =>
        change(r, 'invalid', `licenseProducts ${JSON.stringify(v).slice(0, 40)}`, (m) => (m.licenseProducts = v)),
      ),
    (r) => fc.tuple(fc.constantFrom('startedAt', 'endedAt'), notAnInstant).map(([k, v]) => change(r, 'invalid', `${k} '${v}'`, (m) => (m[k] = v))),
    (r) =>
      fc.integer({ min: 1000, max: 86_400_000 }).map((back) =>
        change(r, 'invalid', `endedAt ${back} ms before startedAt`, (m) => (m.endedAt = new Date(Date.parse(m.startedAt as string) - back).toISOString())),
      ),
    (r) =>
      fc.tuple(fc.constantFrom('queueId', 'fleetId'), hex32, fc.boolean()).map(([k, h, foreign]) => {
        const id = foreign ? (k === 'queueId' ? parents.foreignQueueId : parents.foreignFleetId) : `${k.replace(/Id$/, '')}-${h}`;
        return change(r, 'invalid', `${k} of ${foreign ? 'another farm' : 'no farm'}`, (m) => (m[k] = id));
      }),
    (r) =>
      fc.tuple(fc.constantFrom('lifecycleStatus', 'extra', '__proto__', 'sessionid', 'notes', 'deep'), fc.jsonValue({ maxDepth: 3 })).map(([k, v]) => ({
        ...r,
        raw: [[k, k === 'deep' ? '['.repeat(3000) + ']'.repeat(3000) : JSON.stringify(v) ?? 'null']],
        verdict: 'either' as Verdict,
        note: `unknown member ${k}`,
      })),
    (r) =>
      fc.constantFrom('2099-01-01T00:00:00Z', '2100-06-01T00:00:00Z', '9999-12-31T00:00:00Z', '1000-01-01T00:00:00Z', '1969-12-31T23:00:00Z').map((start) =>
        change(r, 'either', `startedAt ${start}`, (m) => {
          m.startedAt = start;
          if (m.endedAt !== undefined) m.endedAt = new Date(Date.parse(start) + 3_600_000).toISOString();
        }, { timeSafe: false }),
      ),
    (r) => fc.constant(change(r, 'either', 'endedAt equal to startedAt', (m) => (m.endedAt = m.startedAt), { timeSafe: false })),
    (r) => fc.constantFrom('tab\there', 'nul\u0000', 'line\nbreak', '\u2028', '😀'.repeat(64), 'é'.repeat(128)).map((v) => change(r, 'either', `jobName ${JSON.stringify(v).slice(0, 30)}`, (m) => (m.jobName = v))),
    (r) => withLoneSurrogate(r),
    (r) =>
      fc.tuple(fc.constantFrom('jobName', 'userId'), fc.constantFrom(...INVALID_UTF8)).map(([k, bytes]) => ({
        ...change(r, 'either', `invalid UTF-8 in ${k}`, (m) => (m[k] = '\u0001bytes\u0001')),
        bytes: Buffer.concat([Buffer.from('ab'), Buffer.from(bytes), Buffer.from('cd')]),
      })),
    (r) => fc.constantFrom(...Object.keys(r.members)).map((k) => ({ ...r, raw: [[k, JSON.stringify(r.members[k])]], verdict: 'either' as Verdict, note: `${k} twice` })),
  ];
}

/** Text with a lone surrogate: JSON.stringify writes it as its escape (`\ud800`), the only way a line can carry one. */
const LONE_SURROGATE_TEXTS = ['\ud800', 'a\udc00b', 'shot \udbff', '\udfff\ud800', '😀\ud83d', '\ud800\ud800\udc00'];

/** The record with a lone surrogate in one of its free-text members (a license product is one too): to be refused. */
function withLoneSurrogate(r: FuzzRecord): fc.Arbitrary<FuzzRecord> {
  return fc.tuple(fc.constantFrom('jobName', 'userId', 'instanceType', 'licenseProducts'), fc.constantFrom(...LONE_SURROGATE_TEXTS)).map(([k, text]) =>
    change(r, 'invalid', `a lone surrogate in ${k} (${JSON.stringify(text)})`, (m) => (m[k] = k === 'licenseProducts' ? ['maya', text] : text)),
  );
}

/** A valid record but for a lone surrogate escape (`\ud800`) in one of its text members. */
export function loneSurrogateRecord(parents: IngestFixture): fc.Arbitrary<FuzzRecord> {
  return validRecord(parents).chain(withLoneSurrogate);
}

/** A record one step from valid. */
export function mutantRecord(parents: IngestFixture): fc.Arbitrary<FuzzRecord> {
  const all = steps(parents);
  return fc.tuple(validRecord(parents), fc.nat(all.length - 1)).chain(([r, i]) => all[i]!(r));
}

/** The record as one NDJSON line (no line end). */
export function ndjsonLine(r: FuzzRecord): Buffer {
  let text = JSON.stringify(r.members);
  for (const [k, raw] of r.raw) text = `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${JSON.stringify(k)}:${raw}}`;
  if (!r.bytes) return Buffer.from(text);
  const at = text.indexOf('\\u0001bytes\\u0001');
  return Buffer.concat([Buffer.from(text.slice(0, at)), r.bytes, Buffer.from(text.slice(at + '\\u0001bytes\\u0001'.length))]);
}

/** A valid record whose session starts in a year no render farm has seen: 2099 and later, or before 1970. */
export function farTimestampRecord(parents: IngestFixture): fc.Arbitrary<FuzzRecord> {
  const far = fc.oneof(fc.integer({ min: Date.UTC(2099, 0, 1), max: Date.UTC(9999, 0, 1) }), fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(1969, 0, 1) }));
  return fc.tuple(validRecord(parents), far).map(([r, start]) => {
    const members: Record<string, unknown> = { ...r.members, startedAt: new Date(start).toISOString() };
    if (members.endedAt !== undefined) members.endedAt = new Date(start + 3_600_000).toISOString();
    return { ...r, members, verdict: 'invalid' as Verdict, timeSafe: false, note: `startedAt ${members.startedAt}` };
  });
}

/** A valid record with bytes that are not UTF-8 inside its jobName or userId. */
export function invalidUtf8Record(parents: IngestFixture): fc.Arbitrary<FuzzRecord> {
  return fc.tuple(validRecord(parents), fc.constantFrom('jobName', 'userId'), fc.constantFrom(...INVALID_UTF8)).map(([r, k, bytes]) => ({
    ...r,
    members: { ...r.members, [k]: '\u0001bytes\u0001' },
    bytes: Buffer.concat([Buffer.from('ab'), Buffer.from(bytes), Buffer.from('cd')]),
    verdict: 'invalid' as Verdict,
    note: `invalid UTF-8 (${bytes.map((b) => b.toString(16)).join(' ')}) in ${k}`,
  }));
}
