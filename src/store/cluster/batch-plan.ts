// What one batch does to a farm's stored sessions on the cluster, worked out in memory from
// the batch and the versions it replaces, before anything is written: the same rules as the
// DuckDB merge (store/duckdb/session-merge.ts), whose contract both engines pass. Sessions
// are never changed in place on ClickHouse: a changed session is a new version (the batch's
// rows), and the version it replaces is marked superseded by the batch (docs/DECISIONS.md,
// "Ingest on a cluster").
import type { SessionRecord } from '../../domain/resources.js';
import { recordFingerprint } from './record-fingerprint.js';

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

export interface BatchPlan {
  counts: { created: number; updated: number; unchanged: number };
  /** New versions to write: the latest record of each created or updated session. */
  writes: SessionRecord[];
  /** Versions the updates replace. */
  superseded: { sessionId: string; batchSeq: number }[];
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

export function planBatch(records: readonly SessionRecord[], stored: ReadonlyMap<string, StoredVersion>): BatchPlan {
  const plan: BatchPlan = { counts: { created: 0, updated: 0, unchanged: 0 }, writes: [], superseded: [], sessionDeltas: new Map(), namedJobs: [], respanJobs: [] };
  const shift = (kind: 'queue' | 'fleet', id: string, by: number) => plan.sessionDeltas.set(`${kind}:${id}`, (plan.sessionDeltas.get(`${kind}:${id}`) ?? 0) + by);
  const jobs = new Map<string, NamedJob>();
  const respan = new Set<string>();
  for (const record of latestRecords(records)) {
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
      plan.superseded.push({ sessionId: record.sessionId, batchSeq: before.batchSeq });
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
