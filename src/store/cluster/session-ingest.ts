// Session ingest on the cluster: a batch becomes visible all at once, or never.
// 1. A batch number is allocated and committed in PostgreSQL as `writing` (every snapshot
//    taken from then on leaves it out).
// 2. In one PostgreSQL transaction: the farm's row is locked (the farm's batches take turns),
//    the versions the batch replaces are read from ClickHouse (through the snapshot of what
//    is published), the batch is planned (batch-plan.ts), the queues and fleets it names are
//    checked, its rows and superseded marks are written to each shard's local tables, its
//    jobs and session counts are written, and it is published. Commit = visible.
// 3. Anything failing on the way leaves the batch unpublished: it is abandoned (or, should
//    that fail too, once its lease expires), and the sweeper (index.ts) removes its rows from
//    the shards. docs/DECISIONS.md, "Past one machine".
import type { SessionRecord } from '../../domain/resources.js';
import type { Lease } from '../aggregation-store.js';
import type { Shards } from '../clickhouse/shards.js';
import { type BatchWritten, type IngestCounts, MissingParentsError, StorageFault, type StagedSessions } from '../store.js';
import { latestRecords, planBatch, type BatchPlan } from './batch-plan.js';
import type { ClusterState, StateTx } from './cluster-state.js';
import { respans, storedVersions, toJobSessionRow, toKeyRow } from './session-keys.js';
import { toSessionRow, type Snapshot } from './session-rows.js';

/** Writes new versions (with their keys and job rows) and superseded marks to the shards they belong on. */
export async function writeRows(shards: Shards, farmId: string, seq: number, plan: Pick<BatchPlan, 'writes' | 'superseded'>, nowMs: number): Promise<void> {
  const perShard = Array.from({ length: shards.count }, () => ({ sessions: [] as Record<string, unknown>[], keys: [] as Record<string, unknown>[], jobs: [] as Record<string, unknown>[], superseded: [] as Record<string, unknown>[] }));
  for (const record of plan.writes) {
    const rows = perShard[shards.shardOf(farmId, record.sessionId)]!;
    rows.sessions.push(toSessionRow(farmId, record, nowMs, seq));
    rows.keys.push(toKeyRow(farmId, record, seq));
    rows.jobs.push(toJobSessionRow(farmId, record, seq));
  }
  for (const old of plan.superseded) {
    perShard[shards.shardOf(farmId, old.sessionId)]!.superseded.push({ farm_id: farmId, session_id: old.sessionId, batch_seq: old.batchSeq, by_seq: seq });
  }
  await Promise.all(
    perShard.map(async (rows, shard) => {
      await Promise.all([shards.insert(shard, 'sessions_local', rows.sessions), shards.insert(shard, 'session_keys_local', rows.keys), shards.insert(shard, 'job_sessions_local', rows.jobs)]);
      await shards.insert(shard, 'superseded_local', rows.superseded);
    }),
  );
}

/** The snapshot as it will be once batch `seq` is published: what the batch's own reads of its result see. */
export const withBatch = (snapshot: Snapshot, seq: number): Snapshot => ({ upTo: Math.max(snapshot.upTo, seq), excluded: snapshot.excluded.filter((s) => s !== seq) });

export class ClusterIngest {
  /** Each farm's last batch on this server: the next one waits for it, so a server's batches of a farm count in the order they arrived. */
  private readonly lastOfFarm = new Map<string, Promise<unknown>>();

  constructor(
    private readonly state: ClusterState,
    private readonly shards: Shards,
    private readonly lease: Lease,
  ) {}

  /**
   * Runs `work` as one batch of the farm: allocated, in the farm's turn, with the snapshot
   * of everything published before it, and published at the end with `counts`; all or
   * nothing (see the top of this file). Deletions are batches too (session-deletions.ts).
   */
  async batch<T>(farmId: string, work: (tx: StateTx, seq: number, snapshot: Snapshot) => Promise<{ result: T; counts: Omit<IngestCounts, 'received'> }>): Promise<T & { seq: number }> {
    const before = this.lastOfFarm.get(farmId);
    const mine = (async () => {
      await before?.catch(() => undefined);
      return this.batchInTurn(farmId, work);
    })();
    this.lastOfFarm.set(farmId, mine);
    try {
      return await mine;
    } finally {
      if (this.lastOfFarm.get(farmId) === mine) this.lastOfFarm.delete(farmId);
    }
  }

  private async batchInTurn<T>(farmId: string, work: (tx: StateTx, seq: number, snapshot: Snapshot) => Promise<{ result: T; counts: Omit<IngestCounts, 'received'> }>): Promise<T & { seq: number }> {
    const seq = await this.state.openBatch(farmId, this.lease);
    try {
      return await this.state.transaction(async (tx) => {
        await tx.lockFarm(farmId);
        // After the lock: every earlier batch of the farm is published or abandoned now.
        const { result, counts } = await work(tx, seq, await tx.snapshot());
        if (!(await tx.publishBatch(seq, counts))) {
          throw new StorageFault('unavailable', `batch ${seq} lost its lease before it could be published (this server was cut off from PostgreSQL too long); nothing of it was written. Send it again.`);
        }
        return { ...result, seq };
      });
    } catch (err) {
      await this.abandon(seq);
      throw err;
    }
  }

  /** Writes one batch of records. */
  async write(farmId: string, records: readonly SessionRecord[], nowMs: number): Promise<BatchWritten> {
    const { seq, ...counts } = await this.batch(farmId, async (tx, seq, snapshot) => {
      const stored = await storedVersions(this.shards, farmId, latestRecords(records).map((r) => r.sessionId), snapshot);
      const plan = planBatch(records, stored);
      if (plan.writes.length > 0) await this.apply(tx, farmId, seq, plan, snapshot, nowMs);
      return { result: plan.counts, counts: plan.counts };
    });
    return { ...counts, batchId: String(seq) };
  }

  /** Writes a planned batch's rows, marks, jobs and counts (its parents checked first). */
  async apply(tx: StateTx, farmId: string, seq: number, plan: BatchPlan, snapshot: Snapshot, nowMs: number): Promise<void> {
    const named = (kind: 'queue' | 'fleet') => [...new Set(plan.writes.map((r) => (kind === 'queue' ? r.queueId : r.fleetId)))];
    const missing = await tx.missingParents(farmId, named('queue'), named('fleet'));
    if (missing.queueIds.length || missing.fleetIds.length) throw new MissingParentsError(missing.queueIds, missing.fleetIds);
    await writeRows(this.shards, farmId, seq, plan, nowMs);
    // Spans of jobs an update touched, over what is visible once this batch is published.
    await tx.writeJobs(farmId, nowMs, plan.namedJobs, await respans(this.shards, farmId, plan.respanJobs, withBatch(snapshot, seq)));
    await tx.adjustSessionCounts(farmId, plan.sessionDeltas);
  }

  /** Gives the batch up: the sweeper removes its rows (index.ts). Should even this fail, the batch is abandoned once its lease expires. */
  private async abandon(seq: number): Promise<void> {
    await this.state.abandonBatch(seq).catch(() => undefined);
  }

  /** Opens a large batch: its records are held in memory until commit (bounded by --max-batch-records). */
  stage(farmId: string): StagedSessions {
    let records: SessionRecord[] = [];
    return {
      append: async (more) => void records.push(...more),
      commit: async (nowMs) => {
        try {
          return await this.write(farmId, records, nowMs);
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
