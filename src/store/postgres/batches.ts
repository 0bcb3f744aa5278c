// Ingest batches on a cluster, as PostgreSQL knows them. A batch's rows carry its sequence
// number into the ClickHouse shards; the batch is published here once every shard has them,
// and an aggregation reads only the batches published before it started (its snapshot):
// never a batch in part. A server that dies mid-batch leaves it 'writing'; once its lease
// expires another server finds it (expiredBatches) and abandons it; a batch that failed is
// abandoned by its own server. Writing and abandoned batches stay out of every snapshot until
// their rows are gone from every shard (`removed`): then they leave the excluded list, which
// stays as short as the batches in flight or being cleaned up.
//   writing ──publish──▶ published
//      └──abandon──▶ abandoned ──(no row left on any shard)──▶ removed
// Published and removed batches are pruned once they are an hour old (store/cluster/index.ts).
//
// Numbers come from batch_counter in the inserting transaction (schema.ts): every number up
// to the counter's committed value is a committed batch, so a snapshot is the counter and
// the unpublished batches below it, read in one statement, from the small partial index.
import type { IngestCounts } from '../store.js';
import type { Lease } from '../aggregation-store.js';
import type { PgDatabase, Sql } from './connection.js';
import { leaseEnd } from './leases.js';

export type BatchCounts = Omit<IngestCounts, 'received'>;

/** What an aggregation may read: batches numbered up to `upTo`, except those in `excluded` (not published). */
export interface BatchSnapshot {
  upTo: number;
  excluded: number[];
}

export interface StateBatches {
  /** Numbers a new batch of the farm, 'writing' under `lease` (renewed with the owner's other leases). */
  openBatch(farmId: string, lease: Lease): Promise<number>;
  /** Numbers `count` new batches of the farm at once (a group of small batches, session-ingest.ts), in ascending order. */
  openBatches(farmId: string, lease: Lease, count: number): Promise<number[]>;
  /**
   * Publishes the batch with its counts, in `tx` (the ingest's transaction that also writes
   * its jobs and session counts) or on its own: only while it is 'writing' and its lease has
   * not expired; answers whether it did. Refused, the batch's rows are never read and are
   * removed as an expired batch's.
   */
  publishBatch(tx: Sql | undefined, seq: number, counts: BatchCounts): Promise<boolean>;
  /** Publishes several batches in `tx` in one statement: answers whether every one of them was (if not, roll `tx` back). */
  publishBatches(tx: Sql, published: readonly { seq: number; counts: BatchCounts }[]): Promise<boolean>;
  /** A 'writing' batch is given up (its rows are being or have been removed): answers whether it was still writing. */
  abandonBatch(seq: number): Promise<boolean>;
  /** Gives up those of the batches that are still 'writing'. */
  abandonBatches(seqs: readonly number[]): Promise<void>;
  /** What an aggregation starting now may read. */
  snapshot(): Promise<BatchSnapshot>;
  /** Abandoned batches, oldest first: their rows may still be on the shards. */
  abandonedBatches(): Promise<number[]>;
  /** An abandoned batch's rows are gone from every shard: it leaves every snapshot's excluded list. */
  markRemoved(seq: number): Promise<void>;
  /**
   * Writing batches whose lease expired (their server died or was cut off), oldest first: the
   * caller removes their rows from the shards, then abandons them. A batch whose publish is
   * committing at that moment is not among them (its row is locked: skipped), and once its
   * lease has expired it cannot be published any more, nor renewed.
   */
  expiredBatches(): Promise<{ seq: number; farmId: string }[]>;
  /**
   * Deletes up to `limit` published and removed batches numbered below `belowSeq`: once no
   * snapshot needs them they are history (a feed publishes hundreds a second). Answers how
   * many it deleted.
   */
  pruneBatches(belowSeq: number, limit?: number): Promise<number>;
}

export function postgresBatches(db: PgDatabase): StateBatches {
  const batches: StateBatches = {
    async openBatch(farmId, lease) {
      return (await batches.openBatches(farmId, lease, 1))[0]!;
    },

    async openBatches(farmId, lease, count) {
      const rows = await db.query<{ batch_seq: number }>(
        `WITH next AS (UPDATE batch_counter SET last_seq = last_seq + $4 RETURNING last_seq)
         INSERT INTO batches (batch_seq, farm_id, state, owner, expires_at)
         SELECT seq, $1, 'writing', $2, ${leaseEnd('$3')} FROM next, generate_series(next.last_seq - $4 + 1, next.last_seq) AS seq RETURNING batch_seq`,
        [farmId, lease.owner, lease.ttlMs, count],
      );
      return rows.map((r) => Number(r.batch_seq)).sort((a, b) => a - b);
    },

    async publishBatch(tx, seq, counts) {
      return batches.publishBatches(tx ?? db, [{ seq, counts }]);
    },

    async publishBatches(tx, published) {
      const column = (pick: (b: (typeof published)[number]) => number) => published.map(pick);
      const rows = await tx.query(
        `UPDATE batches b SET state = 'published', published_at = clock_timestamp(), created = p.created, updated = p.updated, unchanged = p.unchanged
         FROM unnest($1::bigint[], $2::integer[], $3::integer[], $4::integer[]) AS p(seq, created, updated, unchanged)
         WHERE b.batch_seq = p.seq AND b.state = 'writing' AND b.expires_at > clock_timestamp() RETURNING 1`,
        [column((b) => b.seq), column((b) => b.counts.created), column((b) => b.counts.updated), column((b) => b.counts.unchanged)],
      );
      return rows.length === published.length;
    },

    async abandonBatch(seq) {
      const abandoned = await db.query(`UPDATE batches SET state = 'abandoned' WHERE batch_seq = $1 AND state = 'writing' RETURNING 1`, [seq]);
      return abandoned.length > 0;
    },

    async abandonBatches(seqs) {
      if (seqs.length) await db.query(`UPDATE batches SET state = 'abandoned' WHERE batch_seq = ANY($1::bigint[]) AND state = 'writing'`, [seqs]);
    },

    async snapshot() {
      const r = await db.one<{ up_to: number; excluded: string[] }>(
        `SELECT c.last_seq AS up_to,
           ARRAY(SELECT b.batch_seq FROM batches b WHERE b.state IN ('writing', 'abandoned') AND b.batch_seq <= c.last_seq ORDER BY b.batch_seq) AS excluded
         FROM batch_counter c`,
      );
      return { upTo: r!.up_to, excluded: r!.excluded.map(Number) };
    },

    async expiredBatches() {
      const rows = await db.query<{ batch_seq: number; farm_id: string }>(
        `SELECT batch_seq, farm_id FROM batches WHERE state IN ('writing', 'abandoned') AND state = 'writing' AND expires_at <= clock_timestamp()
         ORDER BY batch_seq FOR UPDATE SKIP LOCKED`,
      );
      return rows.map((r) => ({ seq: r.batch_seq, farmId: r.farm_id }));
    },

    async abandonedBatches() {
      const rows = await db.query<{ batch_seq: number }>(`SELECT batch_seq FROM batches WHERE state IN ('writing', 'abandoned') AND state = 'abandoned' ORDER BY batch_seq`);
      return rows.map((r) => r.batch_seq);
    },

    async pruneBatches(belowSeq, limit = 100_000) {
      const r = await db.one<{ n: string }>(
        `WITH gone AS (
           DELETE FROM batches WHERE batch_seq IN (
             SELECT batch_seq FROM batches WHERE batch_seq < $1 AND state IN ('published', 'removed') ORDER BY batch_seq LIMIT $2 FOR UPDATE SKIP LOCKED
           ) RETURNING 1
         ) SELECT count(*) AS n FROM gone`,
        [belowSeq, limit],
      );
      return Number(r!.n);
    },

    async markRemoved(seq) {
      await db.query(`UPDATE batches SET state = 'removed' WHERE batch_seq = $1 AND state = 'abandoned'`, [seq]);
    },
  };
  return batches;
}
