// Session ingest on the cluster: a batch becomes visible all at once, or never.
// 1. Batch numbers are allocated and committed in PostgreSQL as `writing` (every snapshot
//    taken from then on leaves them out).
// 2. In one PostgreSQL transaction: the farm's row is locked (the farm's batches take turns),
//    the versions the batches replace are read from ClickHouse (through the snapshot of what
//    is published), the batches are planned (batch-plan.ts), the queues and fleets they name
//    are checked, their rows and superseded marks are written to each shard's local tables,
//    their jobs and session counts are written, and they are published. Commit = visible.
// 3. Anything failing on the way leaves the batches unpublished: they are abandoned (or,
//    should that fail too, once their lease expires), and the sweeper (index.ts) removes their
//    rows from the shards. docs/DECISIONS.md, "Past one machine".
//
// Group commit: a turn costs about the same for one small batch as for many (the farm's lock,
// a key lookup and four inserts per shard, the publish), so small batches wait per farm on
// this server, and the first one's turn takes every batch of the farm waiting by then (up to
// store/group-commit.ts's bounds) and commits them together, each with its own number and
// counts, each planned after the ones before it. A batch naming a queue or fleet that is gone
// is refused alone; should the group fail for any reason but a storage fault, each batch is
// tried again alone, so one bad batch cannot sink the others. Large (staged) batches and
// deletions take turns of their own.
import type { SessionRecord } from '../../domain/resources.js';
import type { Lease } from '../aggregation-store.js';
import type { Shards } from '../clickhouse/shards.js';
import { SLICE, yieldToLoop } from '../event-loop.js';
import { MAX_WAITING_RECORDS, takeGroup } from '../group-commit.js';
import { type BatchWritten, type IngestCounts, MissingParentsError, StorageFault, type StagedSessions, WriterBusyError } from '../store.js';
import { type GroupMember, type GroupPlan, latestRecords, planGroup } from './batch-plan.js';
import type { ClusterState, StateTx } from './cluster-state.js';
import { respans, storedVersions, toJobSessionRow, toKeyRow } from './session-keys.js';
import { toSessionRow, type Snapshot } from './session-rows.js';

/** Writes new versions (with their keys and job rows) and superseded marks to the shards they belong on. */
export async function writeRows(shards: Shards, farmId: string, plan: Pick<GroupPlan, 'writes' | 'superseded'>): Promise<void> {
  const perShard = Array.from({ length: shards.count }, () => ({ sessions: [] as Record<string, unknown>[], keys: [] as Record<string, unknown>[], jobs: [] as Record<string, unknown>[], superseded: [] as Record<string, unknown>[] }));
  for (const [i, { record, seq, nowMs }] of plan.writes.entries()) {
    if (i > 0 && i % SLICE === 0) await yieldToLoop();
    const rows = perShard[shards.shardOf(farmId, record.sessionId)]!;
    rows.sessions.push(toSessionRow(farmId, record, nowMs, seq));
    rows.keys.push(toKeyRow(farmId, record, seq));
    rows.jobs.push(toJobSessionRow(farmId, record, seq));
  }
  for (const old of plan.superseded) {
    perShard[shards.shardOf(farmId, old.sessionId)]!.superseded.push({ farm_id: farmId, session_id: old.sessionId, batch_seq: old.batchSeq, by_seq: old.bySeq });
  }
  await Promise.all(
    perShard.map(async (rows, shard) => {
      await Promise.all([shards.insert(shard, 'sessions_local', rows.sessions), shards.insert(shard, 'session_keys_local', rows.keys), shards.insert(shard, 'job_sessions_local', rows.jobs)]);
      await shards.insert(shard, 'superseded_local', rows.superseded);
    }),
  );
}

/** The snapshot as it will be once batches `seqs` are published: what the batches' own reads of their result see. */
export const withBatches = (snapshot: Snapshot, seqs: readonly number[]): Snapshot => ({
  upTo: Math.max(snapshot.upTo, ...seqs),
  excluded: snapshot.excluded.filter((s) => !seqs.includes(s)),
});

type Counts = Omit<IngestCounts, 'received'>;

/** A small batch waiting for its farm's turn on this server. */
interface Waiting {
  records: readonly SessionRecord[];
  nowMs: number;
  resolve(written: BatchWritten): void;
  reject(err: unknown): void;
}

export class ClusterIngest {
  /** Each farm's last turn on this server: the next one waits for it, so a server's batches of a farm count in the order they arrived. */
  private readonly lastOfFarm = new Map<string, Promise<unknown>>();
  /** Small batches per farm that no turn has taken yet (a turn is on its way for each farm listed). */
  private readonly waiting = new Map<string, Waiting[]>();
  private waitingRecords = 0;

  constructor(
    private readonly state: ClusterState,
    private readonly shards: Shards,
    private readonly lease: Lease,
    private readonly options: { maxWaitingRecords?: number; /** Told each group's size and time. */ trace?: (line: string) => void } = {},
  ) {}

  /** Runs `turn` after the farm's turns before it on this server. */
  private inTurn<T>(farmId: string, turn: () => Promise<T>): Promise<T> {
    const before = this.lastOfFarm.get(farmId);
    const mine = (async () => {
      await before?.catch(() => undefined);
      return turn();
    })();
    this.lastOfFarm.set(farmId, mine);
    void mine
      .catch(() => undefined)
      .finally(() => {
        if (this.lastOfFarm.get(farmId) === mine) this.lastOfFarm.delete(farmId);
      });
    return mine;
  }

  /**
   * Runs `work` as `count` batches of the farm in one turn: numbered, in the farm's turn
   * across servers, with the snapshot of everything published before them, and published
   * at the end with the counts `work` gives each (a batch with none is abandoned: it wrote
   * nothing); all or nothing (see the top of this file).
   */
  private async batchesInTurn<T>(
    farmId: string,
    count: number,
    work: (tx: StateTx, seqs: number[], snapshot: Snapshot) => Promise<{ result: T; counts: (Counts | undefined)[] }>,
  ): Promise<{ result: T; seqs: number[] }> {
    const seqs = await this.state.openBatches(farmId, this.lease, count);
    let unpublished = seqs;
    try {
      const { result, refused } = await this.state.transaction(async (tx) => {
        await tx.lockFarm(farmId);
        // After the lock: every earlier batch of the farm is published or abandoned now.
        const { result, counts } = await work(tx, seqs, await tx.snapshot());
        const published = seqs.flatMap((seq, i) => (counts[i] ? [{ seq, counts: counts[i] }] : []));
        if (!(await tx.publishBatches(published))) {
          throw new StorageFault('unavailable', `batches ${seqs.join(', ')} lost their lease before they could be published (this server was cut off from PostgreSQL too long); nothing of them was written. Send them again.`);
        }
        return { result, refused: seqs.filter((_, i) => !counts[i]) };
      });
      unpublished = refused;
      return { result, seqs };
    } finally {
      // Given up: the sweeper removes their rows, if any (index.ts). Should even this fail, they are abandoned once their lease expires.
      if (unpublished.length) await this.state.abandonBatches(unpublished).catch(() => undefined);
    }
  }

  /** Runs `work` as one batch of the farm, in its own turn (deletions, session-deletions.ts). */
  async batch<T>(farmId: string, work: (tx: StateTx, seq: number, snapshot: Snapshot) => Promise<{ result: T; counts: Counts }>): Promise<T & { seq: number }> {
    const { result, seqs } = await this.inTurn(farmId, () =>
      this.batchesInTurn(farmId, 1, async (tx, [seq], snapshot) => {
        const done = await work(tx, seq!, snapshot);
        return { result: done.result, counts: [done.counts] };
      }),
    );
    return { ...result, seq: seqs[0]! };
  }

  /** Writes one small batch with whatever else of the farm is waiting: resolves once published, with the batch's counts. */
  write(farmId: string, records: readonly SessionRecord[], nowMs: number): Promise<BatchWritten> {
    if (this.waitingRecords + records.length > (this.options.maxWaitingRecords ?? MAX_WAITING_RECORDS) && this.waitingRecords > 0) return Promise.reject(new WriterBusyError(this.waitingRecords));
    return new Promise((resolve, reject) => {
      this.waitingRecords += records.length;
      const queue = this.waiting.get(farmId);
      if (queue) return void queue.push({ records, nowMs, resolve, reject });
      this.waiting.set(farmId, [{ records, nowMs, resolve, reject }]);
      void this.inTurn(farmId, () => this.groupTurn(farmId));
    });
  }

  /** A farm's turn for its waiting small batches: takes a group, leaves the rest to the next turn, answers each. */
  private async groupTurn(farmId: string): Promise<void> {
    const queue = this.waiting.get(farmId) ?? [];
    const group = takeGroup(queue);
    if (group.length === 0) return void this.waiting.delete(farmId);
    if (queue.length) void this.inTurn(farmId, () => this.groupTurn(farmId));
    else this.waiting.delete(farmId);
    const records = group.reduce((n, b) => n + b.records.length, 0);
    this.waitingRecords -= records;
    try {
      const t0 = performance.now();
      const answers = await this.commit(farmId, group);
      this.options.trace?.(`group commit of ${group.length} batch${group.length === 1 ? '' : 'es'} (${records} records) into ${farmId}: published in ${(performance.now() - t0).toFixed(1)} ms`);
      answers.forEach((answer, i) => (answer instanceof Error ? group[i]!.reject(answer) : group[i]!.resolve(answer)));
    } catch (err) {
      if (group.length === 1 || err instanceof StorageFault) return group.forEach((b) => b.reject(err));
      for (const alone of group) {
        await this.commit(farmId, [alone]).then(([answer]) => (answer instanceof Error ? alone.reject(answer) : alone.resolve(answer!)), alone.reject);
      }
    }
  }

  /** Commits batches as one group (see the top of this file): each one's answer, or the error refusing it alone. */
  private async commit(farmId: string, batches: readonly Pick<Waiting, 'records' | 'nowMs'>[]): Promise<(BatchWritten | MissingParentsError)[]> {
    const { result: outcomes, seqs } = await this.batchesInTurn(farmId, batches.length, async (tx, seqs, snapshot) => {
      const members: GroupMember[] = batches.map((b, i) => ({ records: b.records, nowMs: b.nowMs, seq: seqs[i]! }));
      const all = members.flatMap((m) => m.records);
      const stored = await storedVersions(this.shards, farmId, latestRecords(all).map((r) => r.sessionId), snapshot);
      const named = (pick: (r: SessionRecord) => string) => [...new Set(all.map(pick))];
      const absent = await tx.missingParents(farmId, named((r) => r.queueId), named((r) => r.fleetId));
      const plan = await planGroup(members, stored, absent);
      await this.apply(tx, farmId, plan, withBatches(snapshot, seqs), Math.max(...members.map((m) => m.nowMs)));
      return { result: plan.outcomes, counts: plan.outcomes.map((o) => ('counts' in o ? o.counts : undefined)) };
    });
    return outcomes.map((o, i) => ('counts' in o ? { ...o.counts, batchId: String(seqs[i]) } : new MissingParentsError(o.missing.queueIds, o.missing.fleetIds)));
  }

  /** Writes a planned group's rows, marks, jobs and counts; `after` is the snapshot once it is published. */
  async apply(tx: StateTx, farmId: string, plan: GroupPlan, after: Snapshot, nowMs: number): Promise<void> {
    if (plan.writes.length === 0) return;
    await writeRows(this.shards, farmId, plan);
    // Spans of jobs an update touched, over what is visible once the batches are published.
    await tx.writeJobs(farmId, nowMs, plan.namedJobs, await respans(this.shards, farmId, plan.respanJobs, after));
    await tx.adjustSessionCounts(farmId, plan.sessionDeltas);
  }

  /** Opens a large batch: its records are held in memory until commit (bounded by --max-batch-records), which takes a turn of its own. */
  stage(farmId: string): StagedSessions {
    let records: SessionRecord[] = [];
    return {
      append: async (more) => {
        for (const record of more) records.push(record);
      },
      commit: async (nowMs) => {
        try {
          const [answer] = await this.inTurn(farmId, () => this.commit(farmId, [{ records, nowMs }]));
          if (answer instanceof Error) throw answer;
          return answer!;
        } finally {
          records = [];
        }
      },
      discard: async () => void (records = []),
    };
  }
}

/** Every shard-local table a batch writes, and the column naming the batch in it. */
const BATCH_ROWS: [table: string, column: string][] = [
  ['sessions_local', 'batch_seq'],
  ['session_keys_local', 'batch_seq'],
  ['job_sessions_local', 'batch_seq'],
  ['superseded_local', 'by_seq'],
];

/** Asks every shard to remove a batch's rows, keys and marks (a mutation: asynchronous on the shard; the batch is invisible meanwhile). */
export async function removeBatchRows(shards: Shards, seq: number): Promise<void> {
  for (const [table, column] of BATCH_ROWS) await shards.onEach(`ALTER TABLE ${table} DELETE WHERE ${column} = ${Math.trunc(seq)}`);
}

/** How many of a batch's rows, keys and marks the shards still hold (a shard out of reach throws: then nobody can tell). */
export async function batchRowsLeft(shards: Shards, seq: number): Promise<number> {
  const sql = `SELECT ${BATCH_ROWS.map(([table, column]) => `(SELECT count() FROM ${table} WHERE ${column} = ${Math.trunc(seq)})`).join(' + ')} AS n`;
  const counts = await Promise.all(shards.urls.map(async (_, shard) => Number((await shards.rows(sql, { shard }))[0]!.n)));
  return counts.reduce((a, b) => a + b, 0);
}
