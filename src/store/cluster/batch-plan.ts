// What one batch does to a farm's stored sessions on the cluster, worked out in memory from
// the batch and the versions it replaces, before anything is written: the same rules as the
// DuckDB merge (store/duckdb/session-merge.ts), whose contract both engines pass. Sessions
// are never changed in place on ClickHouse: a changed session is a new version (the batch's
// rows), and the version it replaces is marked superseded by the batch (docs/DECISIONS.md,
// "Ingest on a cluster").
//
// A group of small batches committed together (session-ingest.ts) is planned batch by batch
// in arrival order, each against the stored versions and the batches before it, so each
// gets the counts it would get alone at that moment; then only the group's net effect is
// written: a session's last version in the group, carrying the number of the batch that
// wrote it, and one mark on the version stored before the group.
import type { SessionRecord } from '../../domain/resources.js';
import { SLICE, yieldToLoop } from '../event-loop.js';
import { recordFingerprint } from './record-fingerprint.js';

type Counts = { created: number; updated: number; unchanged: number };

/**
 * A session as stored: what ingest needs of its latest visible version (session-keys.ts),
 * and the batch that wrote it. A record is the same as the version when its fingerprint and
 * user are (the fields sameRecord compares).
 */
export interface StoredVersion {
  batchSeq: number;
  /** recordFingerprint of the version's record. */
  fingerprint: string;
  userId: string;
  queueId: string;
  fleetId: string;
  jobId: string;
}

/** A job the batch's changed records name: from its last record, and the span they add. */
export interface NamedJob {
  jobId: string;
  queueId: string;
  name: string;
  userId: string;
  startedAt: number;
  /** The latest end among the batch's records of it, or undefined when one of them still runs. */
  endedAt?: number;
  allEnded: boolean;
}

/** What one batch does on its own, against the versions before it (planGroup keeps the versions it replaces). */
interface BatchPlan {
  counts: Counts;
  /** New versions to write: the latest record of each created or updated session. */
  writes: SessionRecord[];
  /** How many more (or fewer) sessions name each queue and fleet, by `queue:ID` / `fleet:ID`. */
  sessionDeltas: Map<string, number>;
  /** Jobs the changed records name. */
  namedJobs: NamedJob[];
  /** Jobs an update names or leaves: their spans are recomputed from their sessions. */
  respanJobs: string[];
}

/** The last record of each session, in the order of those last records in the batch. */
export function latestRecords(records: readonly SessionRecord[]): SessionRecord[] {
  const latest = new Map<string, SessionRecord>();
  for (const r of records) {
    latest.delete(r.sessionId);
    latest.set(r.sessionId, r);
  }
  return [...latest.values()];
}

async function planBatch(records: readonly SessionRecord[], stored: ReadonlyMap<string, StoredVersion>): Promise<BatchPlan> {
  const plan: BatchPlan = { counts: { created: 0, updated: 0, unchanged: 0 }, writes: [], sessionDeltas: new Map(), namedJobs: [], respanJobs: [] };
  const shift = (kind: 'queue' | 'fleet', id: string, by: number) => plan.sessionDeltas.set(`${kind}:${id}`, (plan.sessionDeltas.get(`${kind}:${id}`) ?? 0) + by);
  const jobs = new Map<string, NamedJob>();
  const respan = new Set<string>();
  let n = 0;
  for (const record of latestRecords(records)) {
    if (++n % SLICE === 0) await yieldToLoop();
    const before = stored.get(record.sessionId);
    if (before && before.fingerprint === recordFingerprint(record) && before.userId === record.userId) {
      plan.counts.unchanged++;
      continue;
    }
    plan.writes.push(record);
    shift('queue', record.queueId, 1);
    shift('fleet', record.fleetId, 1);
    if (before) {
      plan.counts.updated++;
      shift('queue', before.queueId, -1);
      shift('fleet', before.fleetId, -1);
      respan.add(record.jobId).add(before.jobId);
    } else {
      plan.counts.created++;
    }
    const job = jobs.get(record.jobId);
    const ended = record.endedAt !== undefined;
    jobs.set(record.jobId, {
      jobId: record.jobId,
      queueId: record.queueId,
      name: record.jobName,
      userId: record.userId,
      startedAt: Math.min(job?.startedAt ?? Infinity, record.startedAt),
      endedAt: ended ? Math.max(job?.endedAt ?? -Infinity, record.endedAt!) : job?.endedAt,
      allEnded: (job?.allEnded ?? true) && ended,
    });
  }
  for (const [key, delta] of plan.sessionDeltas) if (delta === 0) plan.sessionDeltas.delete(key);
  plan.namedJobs = [...jobs.values()];
  plan.respanJobs = [...respan];
  return plan;
}

/** A stored record as the version ingest compares a record with. */
export const storedVersionOf = (r: SessionRecord, batchSeq: number): StoredVersion => ({
  batchSeq,
  fingerprint: recordFingerprint(r),
  userId: r.userId,
  queueId: r.queueId,
  fleetId: r.fleetId,
  jobId: r.jobId,
});

/** One batch of a group: its records in body order, the number it was given, and when it arrived. */
export interface GroupMember {
  records: readonly SessionRecord[];
  seq: number;
  nowMs: number;
}

/** A batch refused alone: its changed records name queues or fleets the farm does not have. */
export interface MissingParents {
  queueIds: string[];
  fleetIds: string[];
}

/** What a group writes in all, and each batch's outcome. */
export interface GroupPlan {
  outcomes: ({ counts: Counts } | { missing: MissingParents })[];
  /** Each created or changed session's last version in the group, with the batch that wrote it. */
  writes: { record: SessionRecord; seq: number; nowMs: number }[];
  /** Versions stored before the group that it replaces, each marked by the batch whose version replaces it last. */
  superseded: { sessionId: string; batchSeq: number; bySeq: number }[];
  sessionDeltas: Map<string, number>;
  namedJobs: NamedJob[];
  respanJobs: string[];
}

/**
 * Plans a group of batches in arrival order (see the top of this file). `absent` holds the
 * queues and fleets, of those the group names, that the farm does not have: a batch whose
 * changed records name one is refused alone and leaves no trace on the batches after it.
 */
export async function planGroup(members: readonly GroupMember[], stored: ReadonlyMap<string, StoredVersion>, absent: MissingParents): Promise<GroupPlan> {
  const group: GroupPlan = { outcomes: [], writes: [], superseded: [], sessionDeltas: new Map(), namedJobs: [], respanJobs: [] };
  const current = new Map(stored);
  const writes = new Map<string, GroupPlan['writes'][number]>();
  const superseded = new Map<string, GroupPlan['superseded'][number]>();
  const jobs = new Map<string, NamedJob>();
  const respan = new Set<string>();
  const [absentQueues, absentFleets] = [new Set(absent.queueIds), new Set(absent.fleetIds)];
  for (const [m, member] of members.entries()) {
    const plan = await planBatch(member.records, current);
    // The batches after it compare their records with its versions (none after the last).
    const followed = m < members.length - 1;
    const missing = {
      queueIds: [...new Set(plan.writes.map((r) => r.queueId).filter((id) => absentQueues.has(id)))],
      fleetIds: [...new Set(plan.writes.map((r) => r.fleetId).filter((id) => absentFleets.has(id)))],
    };
    if (missing.queueIds.length || missing.fleetIds.length) {
      group.outcomes.push({ missing });
      continue;
    }
    group.outcomes.push({ counts: plan.counts });
    for (const record of plan.writes) {
      const before = stored.get(record.sessionId);
      if (before) superseded.set(record.sessionId, { sessionId: record.sessionId, batchSeq: before.batchSeq, bySeq: member.seq });
      writes.delete(record.sessionId);
      writes.set(record.sessionId, { record, seq: member.seq, nowMs: member.nowMs });
      if (followed) current.set(record.sessionId, storedVersionOf(record, member.seq));
    }
    for (const [key, delta] of plan.sessionDeltas) group.sessionDeltas.set(key, (group.sessionDeltas.get(key) ?? 0) + delta);
    for (const job of plan.namedJobs) jobs.set(job.jobId, mergeNamedJobs(jobs.get(job.jobId), job));
    for (const jobId of plan.respanJobs) respan.add(jobId);
  }
  for (const [key, delta] of group.sessionDeltas) if (delta === 0) group.sessionDeltas.delete(key);
  group.writes = [...writes.values()];
  group.superseded = [...superseded.values()];
  group.namedJobs = [...jobs.values()];
  group.respanJobs = [...respan];
  return group;
}

/** A job named by two batches: queue, name and user from the later one, the span over both. */
function mergeNamedJobs(earlier: NamedJob | undefined, later: NamedJob): NamedJob {
  if (!earlier) return later;
  const ends = [earlier.endedAt, later.endedAt].filter((t): t is number => t !== undefined);
  return { ...later, startedAt: Math.min(earlier.startedAt, later.startedAt), endedAt: ends.length ? Math.max(...ends) : undefined, allEnded: earlier.allEnded && later.allEnded };
}
