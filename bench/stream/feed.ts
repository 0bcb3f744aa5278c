// What one streaming client sends: a render farm's continuous feed of session records, cut
// into small batches, each with the counts its answer must hold. Most records are new
// sessions, some sent while still running; a share closes a session this client sent earlier
// as running (the same record, now with endedAt: `updated`); a few are exact re-sends of a
// record already acknowledged (a retry: `unchanged`). Sessions look like the demo studio's
// (src/demo): its departments' weights, fleets, instance types, lengths and licenses, but
// happening now rather than in 2025.
//
// A session is named at most once per batch and is never in two batches in flight at once,
// so every batch's counts are known before it is sent whatever order the server commits
// concurrent batches in. Closes and re-sends only pick sessions whose last batch was
// acknowledged.
import type { IngestCounts } from '../../src/domain/ingest-protocol.js';
import type { SessionRecordJson } from '../../src/domain/session-record.js';
import { DEMO_FLEETS, DEMO_QUEUES } from '../../src/demo/farm.js';
import type { DemoIds } from '../../src/demo/generate.js';
import { Random, WeightedPicker } from '../../src/demo/random.js';

export interface FeedMix {
  recordsMin: number;
  recordsMax: number;
  /** Share of records (0..1) that close a session sent earlier as running. */
  closeShare: number;
  /** Share of records (0..1) that re-send one already acknowledged, unchanged. */
  resendShare: number;
}

/**
 * Of the new sessions, the share sent while running: as many as are closed later, so the
 * running sessions neither run out nor pile up (closes = running new ones).
 */
export function runningShareOfNew(mix: FeedMix): number {
  return Math.min(1, mix.closeShare / (1 - mix.closeShare - mix.resendShare));
}

/** A session this client has sent, as the server last acknowledged it. */
interface SentSession {
  record: SessionRecordJson;
  /** The acknowledged record's NDJSON line (a re-send sends exactly these bytes). */
  line: string;
  running: boolean;
  /** In a batch not yet answered, or lost to one whose fate is unknown: picked for nothing. */
  busy: boolean;
}

export type RecordKind = 'newRunning' | 'newFinished' | 'close' | 'resend';

export interface FeedBatch {
  body: string;
  records: number;
  /** What the answer must say: created per new session, updated per close, unchanged per re-send. */
  expected: IngestCounts;
  kinds: Record<RecordKind, number>;
  opened: SentSession[];
  closes: { session: SentSession; record: SessionRecordJson; line: string }[];
  resent: SentSession[];
}

/** Sessions the server has acknowledged, and those whose batch's fate is unknown (a 5xx, no answer). */
export interface FeedTotals {
  /** Sessions acknowledged as created: what the store must hold from this feed. */
  sessions: number;
  /** Of those, how many were acknowledged running and not (yet) acknowledged closed. */
  running: number;
  /** Sessions new in a batch with no clear answer: stored or not, nobody knows. */
  uncertainSessions: number;
  /** Running sessions whose state such a batch leaves unknown (opened or closed in it). */
  uncertainRunning: number;
}

interface Job {
  jobId: string;
  jobName: string;
  queue: number;
  userId: string;
  sessionsLeft: number;
}

const MINUTE = 60_000;
/** Re-sends pick from this client's last so many acknowledged sessions: a retry is of something recent. */
const RECENT = 512;
const JOBS_AT_ONCE = 4;
const USERS = ['ana.garcia', 'ben.chen', 'chloe.dubois', 'dev.ito', 'elif.okafor', 'felix.weber', 'grace.silva', 'hiro.tanaka'];

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);

export class Feed {
  readonly totals: FeedTotals = { sessions: 0, running: 0, uncertainSessions: 0, uncertainRunning: 0 };
  private readonly rnd: Random;
  private readonly queuePicker = new WeightedPicker(DEMO_QUEUES.map((q) => q.weight));
  private readonly fleetPickers = DEMO_QUEUES.map((q) => new WeightedPicker(q.fleets.map(([, w]) => w)));
  private readonly typePickers = DEMO_FLEETS.map((f) => new WeightedPicker(f.instanceTypes.map(([, w]) => w)));
  private readonly runningShare: number;
  private readonly running: SentSession[] = [];
  private readonly recent: SentSession[] = [];
  private recentNext = 0;
  private readonly jobs: Job[] = [];
  private sessionCount = 0;
  private jobCount = 0;

  /** `prefix`: 12 hex digits of the run and client, so no two clients (or runs) make the same ID. */
  constructor(
    private readonly ids: DemoIds,
    private readonly mix: FeedMix,
    private readonly prefix: string,
    seed: number,
  ) {
    this.rnd = new Random(seed, 0x5743);
    this.runningShare = runningShareOfNew(mix);
  }

  private id(kind: string, n: number): string {
    return `${kind}-${this.prefix}${hex(n, 20)}`;
  }

  private job(): Job {
    const i = this.rnd.int(JOBS_AT_ONCE);
    let job = this.jobs[i];
    if (!job || job.sessionsLeft <= 0) {
      const queue = this.queuePicker.pick(this.rnd);
      const n = this.jobCount++;
      // Job sizes as the demo's: most a few dozen frames, a long tail of big ones.
      job = { jobId: this.id('job', n), jobName: `${DEMO_QUEUES[queue]!.displayName.toLowerCase()} feed ${n}`, queue, userId: USERS[this.rnd.int(USERS.length)]!, sessionsLeft: Math.ceil(this.rnd.lognormal(40, 1)) };
      this.jobs[i] = job;
    }
    job.sessionsLeft--;
    return job;
  }

  private newRecord(running: boolean, now: number): SessionRecordJson {
    const job = this.job();
    const queue = DEMO_QUEUES[job.queue]!;
    const fleet = queue.fleets[this.fleetPickers[job.queue]!.pick(this.rnd)]![0];
    const length = Math.min(12 * 60 * MINUTE, Math.max(MINUTE, this.rnd.lognormal(queue.medianMinutes * MINUTE, 0.8)));
    // A running session began at least a minute ago, so its close (endedAt = then) lasts a minute or more;
    // a finished one ended in the last half minute.
    const ended = now - this.rnd.int(30_000);
    const started = running ? now - MINUTE - this.rnd.int(5 * MINUTE) : ended - length;
    const record: SessionRecordJson = {
      sessionId: this.id('session', this.sessionCount++),
      queueId: this.ids.queueIds[job.queue]!,
      jobId: job.jobId,
      jobName: job.jobName,
      userId: job.userId,
      fleetId: this.ids.fleetIds[fleet]!,
      workerId: this.id('worker', this.rnd.int(DEMO_FLEETS[fleet]!.workers)),
      instanceType: DEMO_FLEETS[fleet]!.instanceTypes[this.typePickers[fleet]!.pick(this.rnd)]![0],
      startedAt: new Date(started).toISOString(),
    };
    if (!running) record.endedAt = new Date(ended).toISOString();
    if (this.rnd.chance(0.2)) record.licenseProducts = [queue.products[0]!];
    return record;
  }

  /**
   * A running session acknowledged and not in flight, taken out of the running ones. One
   * being re-sent is busy but stays running: it is left in place and another tried.
   */
  private takeRunning(): SentSession | undefined {
    for (let tries = 0; tries < 4 && this.running.length; tries++) {
      const i = this.rnd.int(this.running.length);
      const session = this.running[i]!;
      if (session.busy) continue;
      this.running[i] = this.running[this.running.length - 1]!;
      this.running.pop();
      return session;
    }
    return undefined;
  }

  /** A recently acknowledged session not in flight, or none (then the record is a new session instead). */
  private pickRecent(): SentSession | undefined {
    const session = this.recent[this.rnd.int(Math.max(this.recent.length, 1))];
    return session && !session.busy ? session : undefined;
  }

  /** The next batch, from what the server has acknowledged so far; its sessions are busy until its answer. */
  next(now = Date.now()): FeedBatch {
    const { recordsMin, recordsMax, closeShare, resendShare } = this.mix;
    const size = recordsMin + this.rnd.int(recordsMax - recordsMin + 1);
    const batch: FeedBatch = { body: '', records: size, expected: { received: size, created: 0, updated: 0, unchanged: 0 }, kinds: { newRunning: 0, newFinished: 0, close: 0, resend: 0 }, opened: [], closes: [], resent: [] };
    const lines: string[] = [];
    for (let i = 0; i < size; i++) {
      const roll = this.rnd.next();
      const closing = roll < closeShare ? this.takeRunning() : undefined;
      const resending = !closing && roll >= closeShare && roll < closeShare + resendShare ? this.pickRecent() : undefined;
      if (closing) {
        closing.busy = true;
        const record = { ...closing.record, endedAt: new Date(now).toISOString() };
        const line = JSON.stringify(record);
        batch.closes.push({ session: closing, record, line });
        batch.kinds.close++;
        batch.expected.updated++;
        lines.push(line);
      } else if (resending) {
        resending.busy = true;
        batch.resent.push(resending);
        batch.kinds.resend++;
        batch.expected.unchanged++;
        lines.push(resending.line);
      } else {
        // A close or re-send with nothing to pick (the feed's first batches) is a new session,
        // running when it was to be a close, so that the closes catch up.
        const running = roll < closeShare || this.rnd.chance(this.runningShare);
        const record = this.newRecord(running, now);
        const line = JSON.stringify(record);
        batch.opened.push({ record, line, running, busy: true });
        batch.kinds[running ? 'newRunning' : 'newFinished']++;
        batch.expected.created++;
        lines.push(line);
      }
    }
    batch.body = `${lines.join('\n')}\n`;
    return batch;
  }

  private remember(session: SentSession): void {
    if (this.recent.length < RECENT) this.recent.push(session);
    else this.recent[this.recentNext++ % RECENT] = session;
  }

  /** The server committed the batch (a 200): its sessions are as sent. */
  acknowledged(batch: FeedBatch): void {
    for (const session of batch.opened) {
      session.busy = false;
      this.totals.sessions++;
      if (session.running) {
        this.totals.running++;
        this.running.push(session);
      }
      this.remember(session);
    }
    for (const { session, record, line } of batch.closes) {
      Object.assign(session, { record, line, running: false, busy: false });
      this.totals.running--;
    }
    for (const session of batch.resent) session.busy = false;
  }

  /** The server wrote nothing of the batch (a 4xx, throttling): its new sessions never were, its closes are still to do. */
  refused(batch: FeedBatch): void {
    for (const { session } of batch.closes) {
      session.busy = false;
      this.running.push(session);
    }
    for (const session of batch.resent) session.busy = false;
  }

  /**
   * No clear answer (a 5xx, a broken connection): its new and closed sessions may or may not
   * be stored as sent, so they stay busy for good; a re-sent one is as it was either way.
   */
  unknown(batch: FeedBatch): void {
    this.totals.uncertainSessions += batch.opened.length;
    this.totals.uncertainRunning += batch.opened.filter((s) => s.running).length + batch.closes.length;
    for (const session of batch.resent) session.busy = false;
  }
}
