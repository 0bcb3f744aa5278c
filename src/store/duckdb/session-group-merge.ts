// The merge of a group of small batches (session-writer.ts) in one transaction, with no
// statement that reads a whole table: what the SQL merge (session-merge.ts) finds by joins,
// this finds in memory (the key index, the value codes) or by keys DuckDB can look up
// (a session's seq, within one row group; a job's job_key, by its index).
//
// The group's batches are classified in arrival order, each against the stored sessions and
// the batches before it, so each batch's counts are what it would get alone at that moment;
// then the group's net effect is written: new sessions through the Appender, changed ones by
// seq, their running-session rows, the farm's span bound, and their jobs. A job's span is
// extended in memory when its sessions only grew; when an update may have shrunk it (a
// session moved to another job, started later, ended earlier, or runs again) it is
// recomputed from the job's sessions, the one read here that grows with a job's size.
import type { DuckDBAppender } from '@duckdb/node-api';
import type { Job, SessionRecord } from '../../domain/resources.js';
import { sameRecord, SESSION_RECORD_FIELDS } from '../../domain/session-record.js';
import { MissingParentsError } from '../store.js';
import type { WriterSql } from './connections.js';
import { appendSessionColumns, SESSION_COLUMN_LIST, SESSION_COLUMNS, SESSION_COLUMNS_DDL, toSession } from './session-columns.js';
import { sessionKeyOf, type SessionKey, type SessionKeyIndex } from './session-key-index.js';
import type { SessionChange } from '../budget-usage-store.js';
import type { CodeDraft, NewCode } from './value-code-cache.js';
import { CODED_COLUMNS } from './value-codes.js';

/** One request's batch: records in body order, validated against the farm's queues and fleets when it was read. */
export interface GroupBatch {
  farmId: string;
  records: readonly SessionRecord[];
  nowMs: number;
  /** The ID the sessions it creates or changes carry (batch_id). */
  batchId: number;
}

export interface BatchCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** What the writer keeps in memory and the merge reads. */
export interface WriterView {
  keys: SessionKeyIndex;
  nextSeq: number;
  /** The farm's bound on finished sessions' length, as stored (undefined: not read yet). */
  longestClosed: Map<string, number>;
  /** Every running session, as stored, by farm and session ID: a close (the feed's usual update) needs no lookup. */
  running: ReadonlyMap<string, StoredSession>;
  /** How many running sessions each job (farm/job key) has. */
  runningPerJob: ReadonlyMap<string, number>;
  /** Job rows as stored, for the jobs the writer has touched lately (not all of them). */
  jobs: ReadonlyMap<string, JobRow>;
  /** License sets' coded text (DuckDB's to_json), by their JSON.stringify form. */
  licenseSets: ReadonlyMap<string, string>;
}

/** A stored session: its seq and record. */
export interface StoredSession {
  seq: number;
  record: SessionRecord;
}

/** A job's row as the table holds it: the job, and its sessions' latest end (kept while one still runs). */
export type JobRow = Job & { lastEndedAt?: number };

/** What the group changed in the writer's memory, to keep once it commits. */
export interface GroupEffects {
  keys: { seq: number; key: SessionKey }[];
  codes: NewCode[];
  nextSeq: number;
  longestClosed: Map<string, number>;
  /** Sessions now running (set) or no longer (undefined), by farm and session ID. */
  running: Map<string, StoredSession | undefined>;
  /** Job rows written (set) or deleted (undefined), by job key. */
  jobs: Map<string, JobRow | undefined>;
  licenseSets: Map<string, string>;
  /** Each session the group changed, before and after (told to the writer's listeners once committed). */
  changes: SessionChange[];
}

/** The key the writer holds a session by (farm and session ID), and the farm again from it. */
export const sessionIdOf = (farmId: string, sessionId: string) => `${farmId}\n${sessionId}`;
export const farmOfSessionId = (id: string) => id.slice(0, id.indexOf('\n'));
/** A job's key, as the job_key column holds it (jobKeySql in session-merge.ts writes the same in SQL). */
export const jobKeyOf = (j: { farmId: string; jobId: string }) => `${j.farmId}/${j.jobId}`;
/** The job key of a running session held under `id`. */
export const jobKeyOfRunning = (id: string, s: StoredSession) => jobKeyOf({ farmId: farmOfSessionId(id), jobId: s.record.jobId });

const GROUP_UPDATES = 'group_updates';

/** Strings as DuckDB stores them: a lone surrogate becomes U+FFFD on the way in, so compare and key by that form. */
const stored = (text: string) => (text as string & { toWellFormed(): string }).toWellFormed();
function asStored(r: SessionRecord): SessionRecord {
  const out: Record<string, unknown> = { ...r };
  for (const field of SESSION_RECORD_FIELDS) {
    const value = r[field];
    if (typeof value === 'string') out[field] = stored(value);
    else if (Array.isArray(value)) out[field] = value.map(stored);
  }
  return out as unknown as SessionRecord;
}

/** A session the group touches: as stored before the group (if it was), and as it stands after each batch so far. */
interface Touched {
  farmId: string;
  key: SessionKey;
  before?: StoredSession;
  /** The seq a session new to the store was given. */
  seq?: number;
  now?: SessionRecord;
  /** The clock of the batch whose record now stands (its updated_at). */
  nowMs: number;
  /** The batch whose record now stands (its batch_id). */
  batchId: number;
}

/** The last record of each session in a batch, in the order of those last records. */
function latestOfBatch(records: readonly SessionRecord[]): SessionRecord[] {
  const last = new Map<string, number>();
  records.forEach((r, i) => last.set(r.sessionId, i));
  return records.filter((r, i) => last.get(r.sessionId) === i);
}

const idOf = sessionIdOf;
/** A string as an SQL literal: the IDs and keys listed in IN (...) clauses, too many to pass as parameters each. */
const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Reads the stored sessions the key index cannot rule out, one seq block at a time (a zone-map read each). */
async function readStored(tx: WriterSql, touched: Map<string, Touched>, keys: SessionKeyIndex, running: ReadonlyMap<string, StoredSession>): Promise<void> {
  const byBlock = new Map<number, { from: number; to: number; keys: Set<bigint> }>();
  for (const [id, t] of touched) {
    const known = running.get(id);
    if (known) {
      t.before = known;
      continue;
    }
    for (const range of keys.candidates(t.key)) {
      let block = byBlock.get(range.from);
      if (!block) byBlock.set(range.from, (block = { ...range, keys: new Set() }));
      block.keys.add(t.key.key);
    }
  }
  if (byBlock.size === 0) return;
  // One SELECT per block, joined by UNION ALL: DuckDB prunes row groups by a single range, not by an OR of ranges.
  const selects = [...byBlock.values()].map(
    (b) => `SELECT seq, ${SESSION_COLUMN_LIST} FROM sessions WHERE seq BETWEEN ${b.from} AND ${b.to} AND session_key IN (${[...b.keys].join(', ')})`,
  );
  for (const row of await tx.all(selects.join(' UNION ALL '))) {
    const { farmId, updatedAt: _updated, ...record } = toSession(row);
    const t = touched.get(idOf(farmId, record.sessionId));
    if (t && !t.before) t.before = { seq: row.seq as number, record };
  }
}

/** Which of the group's farms lack a queue or fleet their batches name; those batches are refused alone. */
async function missingParents(tx: WriterSql, batches: readonly GroupBatch[]): Promise<(MissingParentsError | undefined)[]> {
  const farms = [...new Set(batches.map((b) => b.farmId))];
  const list = farms.map(sqlString).join(', ');
  const rows = await tx.all(
    `SELECT farm_id, queue_id AS id FROM queues WHERE farm_id IN (${list}) UNION ALL SELECT farm_id, fleet_id FROM fleets WHERE farm_id IN (${list})`,
  );
  const known = new Set(rows.map((r) => idOf(r.farm_id as string, r.id as string)));
  return batches.map((b) => {
    const queues = new Set<string>();
    const fleets = new Set<string>();
    for (const r of b.records) {
      if (!known.has(idOf(b.farmId, r.queueId))) queues.add(r.queueId);
      if (!known.has(idOf(b.farmId, r.fleetId))) fleets.add(r.fleetId);
    }
    return queues.size || fleets.size ? new MissingParentsError([...queues], [...fleets]) : undefined;
  });
}

interface JobChange {
  farmId: string;
  jobId: string;
  /** Queue, name and user from the last changed record naming the job; undefined for a job only left. */
  named?: { queueId: string; name: string; userId: string };
  startedAt?: number;
  lastEndedAt?: number;
  /** An update may have shrunk the span: recompute it from the job's sessions. */
  recompute: boolean;
}

function codesOf(r: SessionRecord, draft: CodeDraft, licenseSet: string | undefined): number[] {
  return [
    draft.code('queue', r.queueId),
    draft.code('fleet', r.fleetId),
    draft.code('job', r.jobId),
    draft.code('user', r.userId),
    r.instanceType === undefined ? NaN : draft.code('instance_type', r.instanceType),
    licenseSet === undefined ? NaN : draft.code('license_set', licenseSet),
  ];
}

const appendOptionalBigInt = (a: DuckDBAppender, v: number | undefined) => (v === undefined ? a.appendNull() : a.appendBigInt(BigInt(v)));
const appendOptionalInteger = (a: DuckDBAppender, v: number) => (Number.isNaN(v) ? a.appendNull() : a.appendInteger(v));

/** What an update writes: a session's columns but the keys it is found by, and its codes (in codesOf's order, CODED_COLUMNS'). */
const UPDATED_COLUMNS = SESSION_COLUMNS.filter((c) => c.field !== 'farmId' && c.field !== 'sessionId').map((c) => c.column);
const CODE_COLUMNS = CODED_COLUMNS.map((c) => c.code);

/**
 * Merges the group inside the caller's transaction. Answers each batch's counts, or the
 * MissingParentsError that refuses it alone, and what the writer's memory must keep once
 * the transaction commits.
 */
export async function mergeGroup(
  tx: WriterSql,
  batches: readonly GroupBatch[],
  view: WriterView,
  draft: CodeDraft,
  canonicalLicenseSet: (json: string) => Promise<string>,
): Promise<{ outcomes: (BatchCounts | MissingParentsError)[]; effects: GroupEffects }> {
  const refused = await missingParents(tx, batches);
  const touched = new Map<string, Touched>();
  const latest = batches.map((b, i) => (refused[i] ? [] : latestOfBatch(b.records.map(asStored))));
  latest.forEach((records, i) => {
    for (const r of records) {
      const id = idOf(batches[i]!.farmId, r.sessionId);
      if (!touched.has(id)) touched.set(id, { farmId: batches[i]!.farmId, key: sessionKeyOf(r.sessionId), nowMs: 0, batchId: 0 });
    }
  });
  await readStored(tx, touched, view.keys, view.running);
  for (const t of touched.values()) t.now = t.before?.record;

  // Classify in arrival order; the jobs each changed record names, as the SQL merge takes them.
  const jobs = new Map<string, JobChange>();
  const jobOf = (farmId: string, jobId: string) => {
    const id = idOf(farmId, jobId);
    let job = jobs.get(id);
    if (!job) jobs.set(id, (job = { farmId, jobId, recompute: false }));
    return job;
  };
  const longest = new Map<string, number>();
  const outcomes = batches.map((batch, i): BatchCounts | MissingParentsError => {
    if (refused[i]) return refused[i]!;
    const counts = { created: 0, updated: 0, unchanged: 0 };
    for (const r of latest[i]!) {
      const t = touched.get(idOf(batch.farmId, r.sessionId))!;
      if (t.now && sameRecord(t.now, r)) {
        counts.unchanged++;
        continue;
      }
      counts[t.now ? 'updated' : 'created']++;
      t.now = r;
      // The span bound widens by every record written, as batch by batch would, even one a later batch replaces.
      if (r.endedAt !== undefined) longest.set(batch.farmId, Math.max(longest.get(batch.farmId) ?? 0, r.endedAt - r.startedAt));
      t.nowMs = batch.nowMs;
      t.batchId = batch.batchId;
      jobOf(batch.farmId, r.jobId).named = { queueId: r.queueId, name: r.jobName, userId: r.userId };
    }
    return counts;
  });

  // The net effect: what each changed session now is, against what was stored.
  const inserts: Touched[] = [];
  const updates: Touched[] = [];
  for (const t of touched.values()) {
    if (!t.now || (t.before && sameRecord(t.before.record, t.now))) continue;
    (t.before ? updates : inserts).push(t);
  }
  const effects: GroupEffects = {
    keys: [], codes: draft.added, nextSeq: view.nextSeq, longestClosed: new Map(), running: new Map(), jobs: new Map(), licenseSets: new Map(),
    changes: [...inserts, ...updates].map((t) => ({ farmId: t.farmId, before: t.before?.record, after: t.now! })),
  };
  if (inserts.length === 0 && updates.length === 0) return { outcomes, effects };

  const licenseSets = new Map<string, string>();
  for (const t of [...inserts, ...updates]) {
    const products = t.now!.licenseProducts;
    if (!products) continue;
    const json = JSON.stringify(products);
    if (licenseSets.has(json)) continue;
    const known = view.licenseSets.get(json);
    const canonical = known ?? (await canonicalLicenseSet(json));
    licenseSets.set(json, canonical);
    if (!known) effects.licenseSets.set(json, canonical);
  }
  const codes = (r: SessionRecord) => codesOf(r, draft, r.licenseProducts && licenseSets.get(JSON.stringify(r.licenseProducts)));

  // New sessions, straight into the table.
  if (inserts.length) {
    const sessions = await tx.appender('sessions');
    for (const t of inserts) {
      const r = t.now!;
      const seq = effects.nextSeq++;
      appendSessionColumns(sessions, t.farmId, r, t.nowMs);
      sessions.appendUBigInt(t.key.key);
      for (const code of codes(r)) appendOptionalInteger(sessions, code);
      sessions.appendBigInt(BigInt(seq));
      sessions.appendBigInt(BigInt(t.batchId));
      sessions.endRow();
      effects.keys.push({ seq, key: t.key });
      t.seq = seq;
    }
    sessions.flushSync();
    sessions.closeSync();
  }

  // Changed sessions, found by seq: each in one row group, named by a constant list DuckDB prunes with.
  if (updates.length) {
    await tx.run(`CREATE TEMP TABLE IF NOT EXISTS ${GROUP_UPDATES} (seq BIGINT, ${SESSION_COLUMNS_DDL}, ${CODE_COLUMNS.map((c) => `${c} INTEGER`).join(', ')}, batch_id BIGINT)`);
    const rows = await tx.appender(GROUP_UPDATES, 'main', 'temp');
    for (const t of updates) {
      rows.appendBigInt(BigInt(t.before!.seq));
      appendSessionColumns(rows, t.farmId, t.now!, t.nowMs);
      for (const code of codes(t.now!)) appendOptionalInteger(rows, code);
      rows.appendBigInt(BigInt(t.batchId));
      rows.endRow();
    }
    rows.flushSync();
    rows.closeSync();
    const columns = [...UPDATED_COLUMNS, ...CODE_COLUMNS, 'batch_id'];
    await tx.run(`UPDATE sessions SET ${columns.map((c) => `${c} = u.${c}`).join(', ')} FROM temp.main.${GROUP_UPDATES} u
      WHERE sessions.seq = u.seq AND sessions.seq IN (${updates.map((t) => t.before!.seq).join(', ')})`);
    await tx.run(`DELETE FROM temp.main.${GROUP_UPDATES}`);
  }
  if (draft.added.length) {
    const values = await tx.appender('value_codes');
    for (const c of draft.added) {
      values.appendVarchar(c.kind);
      values.appendVarchar(c.value);
      values.appendInteger(c.code);
      values.endRow();
    }
    values.flushSync();
    values.closeSync();
  }

  await writeRunning(tx, updates, [...inserts, ...updates]);
  for (const t of [...inserts, ...updates]) {
    const seq = t.before?.seq ?? t.seq!;
    effects.running.set(idOf(t.farmId, t.now!.sessionId), t.now!.endedAt === undefined ? { seq, record: t.now! } : undefined);
  }
  await widenSpans(tx, longest, view, effects);

  // Jobs: those an update leaves, and how each update may have moved its job's span.
  for (const t of updates) {
    const was = t.before!.record;
    const now = t.now!;
    const old = jobOf(t.farmId, was.jobId);
    if (was.jobId !== now.jobId) old.recompute = true;
    else if (now.startedAt > was.startedAt || was.endedAt !== undefined && (now.endedAt === undefined || now.endedAt < was.endedAt)) old.recompute = true;
  }
  for (const t of [...inserts, ...updates]) {
    const job = jobOf(t.farmId, t.now!.jobId);
    job.startedAt = Math.min(job.startedAt ?? Infinity, t.now!.startedAt);
    if (t.now!.endedAt !== undefined) job.lastEndedAt = Math.max(job.lastEndedAt ?? -Infinity, t.now!.endedAt);
  }
  await writeJobs(tx, [...jobs.values()], draft, Math.max(...batches.map((b) => b.nowMs)), view, effects);
  return { outcomes, effects };
}

/** running_sessions: the changed sessions' rows replaced by theirs, if they still run. */
async function writeRunning(tx: WriterSql, updates: Touched[], changed: Touched[]): Promise<void> {
  const wasRunning = updates.filter((t) => t.before!.record.endedAt === undefined);
  if (wasRunning.length) {
    const byFarm = new Map<string, string[]>();
    for (const t of wasRunning) byFarm.set(t.farmId, [...(byFarm.get(t.farmId) ?? []), t.now!.sessionId]);
    for (const [farmId, ids] of byFarm) {
      await tx.run(`DELETE FROM running_sessions WHERE farm_id = ${sqlString(farmId)} AND session_id IN (${ids.map(sqlString).join(', ')})`);
    }
  }
  const running = changed.filter((t) => t.now!.endedAt === undefined);
  if (running.length === 0) return;
  const rows = await tx.appender('running_sessions');
  for (const t of running) {
    rows.appendVarchar(t.farmId);
    rows.appendVarchar(t.now!.sessionId);
    rows.appendBigInt(BigInt(t.now!.startedAt));
    rows.appendVarchar(t.now!.jobId);
    rows.endRow();
  }
  rows.flushSync();
  rows.closeSync();
}

/** farm_session_spans: widened (never narrowed) by the longest finished session each farm's batches wrote. */
async function widenSpans(tx: WriterSql, longest: Map<string, number>, view: WriterView, effects: GroupEffects): Promise<void> {
  for (const [farmId, ms] of longest) {
    let known = view.longestClosed.get(farmId);
    if (known === undefined) {
      const row = await tx.one(`SELECT longest_closed_ms FROM farm_session_spans WHERE farm_id = $1`, [farmId]);
      known = row ? (row.longest_closed_ms as number) : -1;
    }
    if (ms > known) {
      await tx.run(
        `INSERT INTO farm_session_spans VALUES ($1, $2) ON CONFLICT (farm_id) DO UPDATE SET longest_closed_ms = greatest(farm_session_spans.longest_closed_ms, excluded.longest_closed_ms)`,
        [farmId, ms],
      );
      known = ms;
    }
    effects.longestClosed.set(farmId, known);
  }
}

/**
 * jobs: read by job_key, the new span worked out here (or recomputed from the job's sessions
 * when an update may have shrunk it), written back as whole rows; a job left with no session
 * is removed.
 */
async function writeJobs(tx: WriterSql, changes: JobChange[], draft: CodeDraft, nowMs: number, view: WriterView, effects: GroupEffects): Promise<void> {
  if (changes.length === 0) return;
  const keyOf = jobKeyOf;
  // Rows the writer holds need no lookup; the others are read by the job_key index.
  const storedJobs = new Map<string, JobRow>();
  const unknown: string[] = [];
  for (const job of changes) {
    const held = view.jobs.get(keyOf(job));
    if (held) storedJobs.set(keyOf(job), held);
    else unknown.push(keyOf(job));
  }
  if (unknown.length) {
    for (const r of await tx.all(`SELECT * FROM jobs WHERE job_key IN (${unknown.map(sqlString).join(', ')})`)) {
      storedJobs.set(r.job_key as string, {
        farmId: r.farm_id as string, queueId: r.queue_id as string, jobId: r.job_id as string, name: r.name as string, userId: r.user_id as string,
        createdAt: r.created_at as number, updatedAt: r.updated_at as number, startedAt: r.started_at as number,
        endedAt: (r.ended_at as number | null) ?? undefined, lastEndedAt: (r.last_ended_at as number | null) ?? undefined,
      });
    }
  }
  // Running sessions per job after this group: the writer's count, moved by the group's changes.
  const moved = new Map<string, number>();
  const move = (id: string, s: StoredSession | undefined, by: number) => {
    if (!s) return;
    const key = jobKeyOfRunning(id, s);
    moved.set(key, (moved.get(key) ?? 0) + by);
  };
  for (const [id, after] of effects.running) {
    move(id, view.running.get(id), -1);
    move(id, after, 1);
  }
  const runningNow = (key: string) => (view.runningPerJob.get(key) ?? 0) + (moved.get(key) ?? 0);
  const recomputed = new Map<string, { startedAt: number; lastEndedAt?: number } | null>();
  for (const job of changes.filter((j) => j.recompute)) {
    const code = draft.code('job', job.jobId);
    const span = await tx.one(`SELECT min(started_at) AS started_at, max(ended_at) AS last_ended_at, count(*) AS n FROM sessions WHERE farm_id = $1 AND job_code = $2`, [
      job.farmId,
      code,
    ]);
    recomputed.set(keyOf(job), Number(span?.n ?? 0) === 0 ? null : { startedAt: span!.started_at as number, lastEndedAt: (span!.last_ended_at as number | null) ?? undefined });
  }

  const rows: JobRow[] = [];
  for (const job of changes) {
    const key = keyOf(job);
    const before = storedJobs.get(key);
    const span = recomputed.has(key)
      ? recomputed.get(key)
      : { startedAt: Math.min(job.startedAt ?? Infinity, before?.startedAt ?? Infinity), lastEndedAt: maxOf(job.lastEndedAt, before?.lastEndedAt) };
    // Emptied (recomputed to nothing), or a job only a record this group moved on named: not written (again).
    if (!span || !Number.isFinite(span.startedAt)) {
      if (before) effects.jobs.set(key, undefined);
      continue;
    }
    const named = job.named ?? { queueId: before!.queueId, name: before!.name, userId: before!.userId };
    // A job not stored yet has no sessions but this group's; either way the count after the group says whether it runs.
    const running = runningNow(key) > 0;
    rows.push({
      farmId: job.farmId, queueId: named.queueId, jobId: job.jobId, name: named.name, userId: named.userId, createdAt: before?.createdAt ?? nowMs, updatedAt: nowMs,
      startedAt: span.startedAt, endedAt: running ? undefined : span.lastEndedAt, lastEndedAt: span.lastEndedAt,
    });
  }
  const replaced = changes.filter((j) => storedJobs.has(keyOf(j)));
  if (replaced.length) await tx.run(`DELETE FROM jobs WHERE job_key IN (${replaced.map((j) => sqlString(keyOf(j))).join(', ')})`);
  if (rows.length === 0) return;
  const appender = await tx.appender('jobs');
  for (const row of rows) {
    appender.appendVarchar(row.farmId);
    appender.appendVarchar(row.queueId);
    appender.appendVarchar(row.jobId);
    appender.appendVarchar(row.name);
    appender.appendVarchar(row.userId);
    appender.appendBigInt(BigInt(row.createdAt));
    appender.appendBigInt(BigInt(row.updatedAt));
    appender.appendBigInt(BigInt(row.startedAt));
    appendOptionalBigInt(appender, row.endedAt);
    appender.appendVarchar(keyOf(row));
    appendOptionalBigInt(appender, row.lastEndedAt);
    appender.endRow();
    effects.jobs.set(keyOf(row), row);
  }
  appender.flushSync();
  appender.closeSync();
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
