// The writer of session records: what it keeps in memory about the stored sessions (the
// next seq, the key index, the value codes, the farms' span bounds), and group commit for
// small batches.
//
// Group commit: a small batch is queued here, not on the database's write queue; the first
// waiting batch puts one turn on the write queue, and when that turn comes it takes every
// batch queued by then (up to MAX_GROUP_*) and merges them in one transaction
// (session-group-merge.ts). Each is answered only after that COMMIT, so an answer still
// means durable. Each batch stays all or nothing on its own: its checks ran before it was
// queued, a batch naming a queue or fleet deleted meanwhile is refused alone inside the
// merge, and if the group's transaction fails for any other reason each batch is retried
// in a transaction of its own, so one bad batch cannot sink the others. A storage fault
// fails them all with the retryable error it carries.
//
// Bulk batches (session-ingest.ts) merge in SQL on the same write queue; the writer gives
// them their first seq and reads back what they added to the key index and codes.
//
// Every batch, small or bulk, gets a batch ID when its turn comes, which the sessions it
// creates or changes carry (batch_id) and its answer names. IDs come from a counter kept
// here and reserved ahead in `meta` ('batch-ids-reserved', BATCH_ID_BLOCK at a time) by
// the transaction that first uses an ID past the reservation: a batch is committed only with
// a reservation covering its ID, so after a restart (the counter starts at the reservation)
// no ID is given twice, even when the sessions that carried it are gone.
//
// Deletions (and a user's pseudonym) change stored sessions outside any batch: `exclusive`
// runs each as one transaction in a turn of the write queue, ordered with every batch, and
// in that same turn reads the writer's memory again from the tables (the key index, running
// sessions, per-job counts, codes), as at open: a few seconds at 10 M sessions, for work an
// operator does now and then, where keeping each structure right by hand would be a second
// copy of every merge rule.
import type { SessionRecord } from '../../domain/resources.js';
import type { SessionChange, SessionsChanged } from '../budget-usage-store.js';
import { MAX_WAITING_RECORDS, takeGroup } from '../group-commit.js';
import { MissingParentsError, StorageFault, WriterBusyError, type BatchWritten } from '../store.js';
import type { Row, Sql, WriterSql } from './connections.js';
import type { Database } from './database.js';
import { farmOfSessionId, jobKeyOfRunning, mergeGroup, sessionIdOf, type BatchCounts, type GroupBatch, type GroupEffects, type JobRow, type StoredSession } from './session-group-merge.js';
import { toSession } from './session-columns.js';
import { KEY_BLOCK, SessionKeyIndex } from './session-key-index.js';
import { ValueCodeCache } from './value-code-cache.js';
import { probing, type StatementProbe } from './statement-probe.js';

/** Job rows held at most; past them the writer starts again from none (each is read again when next touched). */
const MAX_HELD_JOBS = 100_000;
/** Batch IDs reserved in meta at a time: one small write per this many batches. */
const BATCH_ID_BLOCK = 1000;
const BATCH_IDS_RESERVED = 'batch-ids-reserved';

type Turn = Parameters<Parameters<Database['writerTurn']>[0]>[0];

interface Queued extends Omit<GroupBatch, 'batchId'> {
  /** Given when the batch's turn comes (kept if it is then merged again alone). */
  batchId?: number;
  resolve(written: BatchWritten): void;
  reject(err: unknown): void;
}

export class SessionWriter {
  private queue: Queued[] = [];
  private turnTaken = false;
  /** Every running session as stored (complete: read at open, kept by every merge). */
  private running = new Map<string, StoredSession>();
  private runningPerJob = new Map<string, number>();
  /** Job rows the writer has written lately (partial; forgotten past MAX_HELD_JOBS and after a bulk merge). */
  private jobs = new Map<string, JobRow>();
  private readonly licenseSets = new Map<string, string>();
  /** The next batch ID to give, and the first not covered by the reservation committed in meta. */
  private nextBatchId = 1;
  private batchIdsReserved = 0;
  /** Whether the tables were read once (at open). */
  private opened = false;
  /** Set while memory may not match the tables (a reload after a deletion failed): read them again before the next merge. */
  private stale = false;
  /** Moves with every committed write to `sessions` (Store.sessionsVersion); the listeners hear each move. */
  private version = 0;
  private readonly listeners = new Set<(event: SessionsChanged) => void>();

  private constructor(
    private readonly db: Database,
    private keys: SessionKeyIndex,
    private codes: ValueCodeCache,
    private nextSeq: number,
    private longestClosed: Map<string, number>,
    /** Told each statement of a group's merge with the rows it read (tests; it slows every statement). */
    private readonly probe?: StatementProbe,
    /** Told each group's size and times (FARMTALLY_INGEST_TRACE). */
    private readonly trace?: (line: string) => void,
    private readonly maxWaiting = MAX_WAITING_RECORDS,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  static async open(
    db: Database,
    options: { log?: (message: string) => void; probe?: StatementProbe; trace?: (line: string) => void; maxWaitingRecords?: number } = {},
  ): Promise<SessionWriter> {
    const log = options.log ?? (() => undefined);
    const writer = new SessionWriter(db, new SessionKeyIndex(), new ValueCodeCache(), 0, new Map(), options.probe, options.trace, options.maxWaitingRecords, log);
    await writer.load(log);
    // After a reopen the file holds what was committed, which memory may not (a commit cut short): read it again.
    db.onReopen(async () => {
      await writer.load(log);
      writer.changed(undefined);
    });
    return writer;
  }

  /** Reads the key index, codes and next seq from the table (at open: a few seconds per 10 M sessions). */
  private async load(log: (message: string) => void): Promise<void> {
    const started = performance.now();
    const lease = await this.db.lease();
    try {
      const keys = new SessionKeyIndex();
      let n = 0;
      // Small integers, read from the vectors as they are: numbers cross into JS far faster than bigints.
      const result = await lease.stream(
        `SELECT (seq // ${KEY_BLOCK})::UINTEGER AS block, (session_key >> 32)::UINTEGER AS hi, (session_key & 4294967295)::UINTEGER AS lo FROM sessions`,
      );
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const [blocks, his, los] = [0, 1, 2].map((i) => chunk.getColumnVector(i)) as { getItem(i: number): number | null }[];
        for (let i = 0; i < chunk.rowCount; i++) keys.add(blocks!.getItem(i)! * KEY_BLOCK, his!.getItem(i)!, los!.getItem(i)!);
        n += chunk.rowCount;
      }
      const next = await lease.one(`SELECT coalesce(max(seq) + 1, 0) AS seq, coalesce(max(batch_id) + 1, 1) AS batch FROM sessions`);
      const reserved = Number((await lease.one(`SELECT value FROM meta WHERE key = '${BATCH_IDS_RESERVED}'`))?.value ?? 0);
      this.keys = keys;
      // Never back: a deletion may have taken the last sessions, whose seq and batch stay used.
      // At open the batch IDs go on from the reservation, past any the last run may have given.
      this.nextSeq = Math.max(this.nextSeq, Number(next!.seq));
      this.nextBatchId = Math.max(this.nextBatchId, this.opened ? 0 : reserved, Number(next!.batch));
      this.batchIdsReserved = reserved;
      this.opened = true;
      this.codes = await ValueCodeCache.load(lease);
      this.longestClosed = new Map();
      this.jobs = new Map();
      this.running = new Map();
      for (const row of await lease.all(`SELECT s.seq, s.* FROM running_sessions r JOIN sessions s ON s.farm_id = r.farm_id AND s.session_id = r.session_id`)) {
        this.holdRunning(row);
      }
      this.countRunningPerJob();
      if (n >= 1_000_000) log(`read the keys of ${n} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s (${(keys.bytes / 2 ** 20).toFixed(1)} MiB)`);
    } finally {
      lease.close();
    }
  }

  /** The sessions' version now (Store.sessionsVersion): this process's own count of writes. */
  get sessionsVersion(): string {
    return String(this.version);
  }

  /** Listens to every committed write (Store.onSessionsChanged); answers the unsubscribe. */
  onChanged(listener: (event: SessionsChanged) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `read` in a turn of the write queue, with no write committing meanwhile: what it
   * reads (on other connections) is the sessions at the version it is given.
   */
  atRest<T>(read: (version: string) => Promise<T>): Promise<T> {
    return this.db.writerTurn(async () => {
      await this.fresh();
      return read(this.sessionsVersion);
    });
  }

  /** After each commit to `sessions`: the version moves and the listeners hear it (`changes` undefined: not listed). */
  private changed(changes: SessionChange[] | undefined): void {
    const from = String(this.version++);
    const event: SessionsChanged = { from, to: String(this.version), ...(changes && { changes }) };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log(`a listener to committed sessions failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Memory the key index takes (bytes). */
  get keyIndexBytes(): number {
    return this.keys.bytes;
  }

  /** Writes one small batch with whatever else is queued: resolves once durable, with the batch's counts. */
  write(farmId: string, records: readonly SessionRecord[], nowMs: number): Promise<BatchWritten> {
    const waiting = this.queue.reduce((n, b) => n + b.records.length, 0);
    if (waiting + records.length > this.maxWaiting && this.queue.length > 0) return Promise.reject(new WriterBusyError(waiting));
    return new Promise((resolve, reject) => {
      this.queue.push({ farmId, records, nowMs, resolve, reject });
      this.takeTurn();
    });
  }

  /**
   * A bulk batch's merge (`merge` runs the SQL in the transaction, given the first seq its
   * new sessions take), on the same write queue; the key index and codes learn what it added.
   */
  async mergeBulk<T>(
    farmId: string,
    merge: (tx: WriterSql, firstSeq: number, batchId: number) => Promise<{ counts: T; runningUpdated: readonly Row[] }>,
  ): Promise<{ result: T; batchId: number }> {
    let effects: GroupEffects | undefined;
    let running: Map<string, StoredSession> | undefined;
    let reserved: number | undefined;
    let batchId = 0;
    const inTransaction = async (tx: WriterSql) => {
      const firstSeq = this.nextSeq;
      batchId = this.nextBatchId++;
      reserved = await this.reserveBatchIds(tx, batchId);
      const out = await merge(tx, firstSeq, batchId);
      effects = await this.bulkEffects(tx, firstSeq);
      running = await this.runningAfterBulk(tx, farmId, firstSeq, out.runningUpdated);
      return out.counts;
    };
    const result = await this.db.writerTurn(async (turn) => {
      await this.fresh();
      return turn.transaction(inTransaction);
    });
    this.adoptReservation(reserved);
    this.adopt(effects!);
    this.running = running!;
    this.countRunningPerJob();
    // The batch may have changed any of its jobs: they are read again when next touched.
    this.jobs.clear();
    this.changed(undefined);
    return { result, batchId };
  }

  /**
   * Runs `work` as one transaction in a turn of the write queue (ordered with every batch),
   * then, in the same turn, reads what the writer holds again from the tables: for writes
   * that change stored sessions outside a batch (deletions, pseudonyms). `what` names it in
   * the trace.
   */
  async exclusive<T>(what: string, work: (tx: WriterSql) => Promise<T>): Promise<T> {
    return this.db.writerTurn(async (turn) => {
      await this.fresh();
      this.trace?.(`${what}: began`);
      const t0 = performance.now();
      const result = await turn.transaction(work);
      const t1 = performance.now();
      this.changed(undefined);
      this.stale = true;
      try {
        await this.load(this.log);
        this.stale = false;
      } catch (err) {
        // Committed all the same: the next merge reads the tables first (fresh), or fails saying why.
        this.log(`after ${what}: reading the stored sessions again failed (${err instanceof Error ? err.message : String(err)}); the next write will read them first`);
      }
      this.trace?.(`${what}: committed in ${(t1 - t0).toFixed(1)} ms; the writer's memory read again in ${(performance.now() - t1).toFixed(1)} ms`);
      return result;
    });
  }

  /** Reads the tables again first when memory may not match them. */
  private async fresh(): Promise<void> {
    if (!this.stale) return;
    await this.load(this.log);
    this.stale = false;
  }

  /**
   * In the transaction that uses batch IDs up to `highest`: when that passes the reservation,
   * reserves the next block in meta (committed with the batch, or not at all). Answers the
   * new reservation, to adopt once the transaction has committed.
   */
  private async reserveBatchIds(tx: Sql, highest: number): Promise<number | undefined> {
    if (highest < this.batchIdsReserved) return undefined;
    const upTo = highest + BATCH_ID_BLOCK;
    await tx.run(`INSERT OR REPLACE INTO meta VALUES ('${BATCH_IDS_RESERVED}', $1)`, [String(upTo)]);
    return upTo;
  }

  private adoptReservation(upTo: number | undefined): void {
    if (upTo !== undefined) this.batchIdsReserved = Math.max(this.batchIdsReserved, upTo);
  }

  /**
   * The running sessions after a bulk merge into the farm: running_sessions names them
   * (a small table); those the batch created are its rows from `firstSeq` on (DuckDB skips
   * every older row group by seq), those it changed the merge read back, and the others are
   * as the writer held them. (A pass over the keys of `sessions` found them before: 140 to
   * 340 ms a batch at 10 M sessions.)
   */
  private async runningAfterBulk(tx: Sql, farmId: string, firstSeq: number, runningUpdated: readonly Row[]): Promise<Map<string, StoredSession>> {
    const ids = new Set((await tx.all(`SELECT session_id FROM running_sessions WHERE farm_id = $1`, [farmId])).map((r) => sessionIdOf(farmId, r.session_id as string)));
    const next = new Map([...this.running].filter(([id]) => farmOfSessionId(id) !== farmId));
    for (const id of ids) {
      const held = this.running.get(id);
      if (held) next.set(id, held);
    }
    const created = await tx.all(`SELECT seq, * FROM sessions WHERE seq >= ${Math.trunc(firstSeq)} AND farm_id = $1 AND ended_at IS NULL`, [farmId]);
    for (const row of [...created, ...runningUpdated]) {
      const { farmId: farm, updatedAt: _u, ...record } = toSession(row);
      const id = sessionIdOf(farm, record.sessionId);
      if (ids.has(id)) next.set(id, { seq: row.seq as number, record });
    }
    return next;
  }

  private holdRunning(row: Record<string, unknown>): void {
    const { farmId, updatedAt: _u, ...record } = toSession(row);
    this.running.set(sessionIdOf(farmId, record.sessionId), { seq: row.seq as number, record });
  }

  private countRunningPerJob(): void {
    this.runningPerJob = new Map();
    for (const [id, s] of this.running) {
      this.moveRunningCount(jobKeyOfRunning(id, s), 1);
    }
  }

  private async bulkEffects(tx: WriterSql, firstSeq: number): Promise<GroupEffects> {
    const effects: GroupEffects = { keys: [], codes: [], nextSeq: firstSeq, longestClosed: new Map(), running: new Map(), jobs: new Map(), licenseSets: new Map(), changes: [] };
    // As columns of plain numbers: 250 000 rows as objects took about 0.3 s of the Node thread a batch.
    const added = await tx.columns(
      `SELECT seq::DOUBLE AS seq, (session_key >> 32)::UINTEGER AS hi, (session_key & 4294967295)::UINTEGER AS lo FROM sessions WHERE seq >= ${Math.trunc(firstSeq)}`,
    );
    const [seqs, his, los] = [added.seq, added.hi, added.lo] as number[][];
    for (let i = 0; i < seqs!.length; i++) {
      const seq = seqs![i]!;
      effects.keys.push({ seq, key: { key: 0n, hi: his![i]!, lo: los![i]! } });
      if (seq >= effects.nextSeq) effects.nextSeq = seq + 1;
    }
    effects.codes = await this.codes.refresh(tx);
    // The span bound may have widened: read it again when next needed.
    this.longestClosed.clear();
    return effects;
  }

  private adopt(effects: GroupEffects): void {
    for (const { seq, key } of effects.keys) this.keys.add(seq, key.hi, key.lo);
    this.codes.adopt(effects.codes);
    this.nextSeq = Math.max(this.nextSeq, effects.nextSeq);
    for (const [farmId, ms] of effects.longestClosed) this.longestClosed.set(farmId, ms);
    for (const [json, text] of effects.licenseSets) this.licenseSets.set(json, text);
    for (const [id, now] of effects.running) {
      const before = this.running.get(id);
      if (before) this.moveRunningCount(jobKeyOfRunning(id, before), -1);
      if (now) {
        this.running.set(id, now);
        this.moveRunningCount(jobKeyOfRunning(id, now), 1);
      } else {
        this.running.delete(id);
      }
    }
    if (this.jobs.size + effects.jobs.size > MAX_HELD_JOBS) this.jobs.clear();
    for (const [key, row] of effects.jobs) {
      if (row) this.jobs.set(key, row);
      else this.jobs.delete(key);
    }
  }

  private moveRunningCount(key: string, by: number): void {
    const n = (this.runningPerJob.get(key) ?? 0) + by;
    if (n > 0) this.runningPerJob.set(key, n);
    else this.runningPerJob.delete(key);
  }

  private takeTurn(): void {
    if (this.turnTaken) return;
    this.turnTaken = true;
    void this.db.writerTurn((turn) => this.commitGroup(turn)).catch(() => undefined);
  }

  /** The writer's turn: takes what is queued and commits it as one group. */
  private async commitGroup(turn: Turn): Promise<void> {
    this.turnTaken = false;
    const group = takeGroup(this.queue);
    if (this.queue.length) this.takeTurn();
    if (group.length === 0) return;
    for (const batch of group) batch.batchId ??= this.nextBatchId++;
    try {
      this.settle(group, await this.mergeInTransaction(turn, group));
    } catch (err) {
      if (err instanceof StorageFault || group.length === 1) {
        for (const batch of group) batch.reject(err);
        return;
      }
      // One batch may have broken the group: each alone now, in arrival order.
      for (const batch of group) {
        try {
          this.settle([batch], await this.mergeInTransaction(turn, [batch]));
        } catch (alone) {
          batch.reject(alone);
        }
      }
    }
  }

  private async mergeInTransaction(turn: Turn, group: Queued[]): Promise<(BatchCounts | MissingParentsError)[]> {
    await this.fresh();
    let effects: GroupEffects | undefined;
    let reserved: number | undefined;
    const t0 = performance.now();
    let t1 = 0;
    const batches = group.map((b) => ({ ...b, batchId: b.batchId! }));
    const outcomes = await turn.transaction(async (tx) => {
      const view = {
        keys: this.keys, nextSeq: this.nextSeq, longestClosed: this.longestClosed, running: this.running, runningPerJob: this.runningPerJob, jobs: this.jobs, licenseSets: this.licenseSets,
      };
      const sql = this.probe ? probing(tx, this.probe) : tx;
      reserved = await this.reserveBatchIds(sql, Math.max(...batches.map((b) => b.batchId)));
      const merged = await mergeGroup(sql, batches, view, this.codes.draft(), (json) => canonicalLicenseSet(sql, json));
      effects = merged.effects;
      t1 = performance.now();
      return merged.outcomes;
    });
    this.trace?.(
      `group commit of ${group.length} batch${group.length === 1 ? '' : 'es'} (${group.reduce((n, b) => n + b.records.length, 0)} records): merged in ${(t1 - t0).toFixed(1)} ms, committed in ${(performance.now() - t1).toFixed(1)} ms`,
    );
    this.adoptReservation(reserved);
    this.adopt(effects!);
    if (effects!.changes.length) this.changed(effects!.changes);
    return outcomes;
  }

  private settle(group: Queued[], outcomes: (BatchCounts | MissingParentsError)[]): void {
    group.forEach((batch, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof MissingParentsError) batch.reject(outcome);
      else batch.resolve({ ...outcome, batchId: String(batch.batchId) });
    });
  }
}

/** A license set's coded value as DuckDB writes it (to_json), which the bulk merge's codes use. */
async function canonicalLicenseSet(tx: Sql, json: string): Promise<string> {
  return (await tx.one(`SELECT to_json(CAST($1 AS JSON)::VARCHAR[])::VARCHAR AS value`, [json]))!.value as string;
}

export { KEY_BLOCK };

