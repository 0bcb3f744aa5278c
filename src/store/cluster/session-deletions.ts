// Deletions on the cluster, each one batch (session-ingest.ts `batch`): the versions it
// removes are marked superseded by the batch, so they vanish from every read at once when
// it is published, and their jobs and counts change in the same PostgreSQL transaction. A
// user given a pseudonym gets new versions under it, and the old rows are then removed from
// the shards for good (a mutation on each shard; invisible from the publish on).
import type { SessionRecord } from '../../domain/resources.js';
import type { Shards } from '../clickhouse/shards.js';
import { int64, integer, stringLiteral } from '../clickhouse/sql-text.js';
import type { DeletedSessions, DeletionStore, SessionSelection } from '../store.js';
import { planGroup, type StoredVersion, storedVersionOf } from './batch-plan.js';
import type { ClusterState, Snapshot, StateTx } from './cluster-state.js';
import { type ClusterIngest, withBatches, writeRows } from './session-ingest.js';
import { respans } from './session-keys.js';
import { fromSessionRow, readVisible } from './session-rows.js';

/** A selection as a condition on the session's columns. */
function selectionSql(selection: SessionSelection): string {
  if ('batchId' in selection) return `batch_seq = ${integer(Math.trunc(Number(selection.batchId)))}`;
  if ('queueId' in selection) return `queue_id = ${stringLiteral(selection.queueId)}`;
  return `started_at >= ${int64(selection.startedFrom)} AND started_at < ${int64(selection.startedBefore)}`;
}

const ENDED_BEFORE = (ms: number) => `ended_at IS NOT NULL AND ended_at < ${int64(ms)}`;

/** Marks every visible session matching `where` superseded by batch `seq`; moves jobs and counts to match. */
async function removeWhere(shards: Shards, tx: StateTx, farmId: string, seq: number, snapshot: Snapshot, where: string, nowMs: number): Promise<DeletedSessions> {
  const rows = await readVisible(shards, farmId, snapshot, { where, select: 'session_id, batch_seq, queue_id, fleet_id, job_id' });
  if (rows.length === 0) return { sessions: 0, jobs: 0 };
  const deltas = new Map<string, number>();
  for (const r of rows) {
    for (const key of [`queue:${r.queue_id as string}`, `fleet:${r.fleet_id as string}`]) deltas.set(key, (deltas.get(key) ?? 0) - 1);
  }
  await writeRows(shards, farmId, { writes: [], superseded: rows.map((r) => ({ sessionId: r.session_id as string, batchSeq: Number(r.batch_seq), bySeq: seq })) });
  const jobs = await respans(shards, farmId, [...new Set(rows.map((r) => r.job_id as string))], withBatches(snapshot, [seq]));
  await tx.writeJobs(farmId, nowMs, [], jobs);
  await tx.adjustSessionCounts(farmId, deltas);
  return { sessions: rows.length, jobs: jobs.filter((j) => !j.span).length };
}

const NO_COUNTS = { created: 0, updated: 0, unchanged: 0 };

export function clusterDeletions(state: ClusterState, shards: Shards, ingest: ClusterIngest, snapshotNow: () => Promise<Snapshot>): DeletionStore {
  const deleteWhere = async (farmId: string, where: string) =>
    ingest.batch(farmId, async (tx, seq, snapshot) => ({ result: await removeWhere(shards, tx, farmId, seq, snapshot, where, Date.now()), counts: NO_COUNTS }));
  const strip = ({ seq: _seq, ...deleted }: DeletedSessions & { seq: number }): DeletedSessions => deleted;

  return {
    async countSessions(farmId, selection) {
      const [row] = await readVisible(shards, farmId, await snapshotNow(), { where: selectionSql(selection), select: 'count() AS n' });
      return Number(row?.n ?? 0);
    },
    deleteSessions: async (farmId, selection) => strip(await deleteWhere(farmId, selectionSql(selection))),
    async deleteSessionsEndedBefore(endedBeforeMs) {
      const total = { sessions: 0, jobs: 0 };
      for (const farmId of await state.farmIds()) {
        const deleted = await deleteWhere(farmId, ENDED_BEFORE(endedBeforeMs));
        total.sessions += deleted.sessions;
        total.jobs += deleted.jobs;
      }
      return total;
    },
    async deleteWithSessions(resource) {
      const where = resource.kind === 'farm' ? '1' : `${resource.kind}_id = ${stringLiteral(resource.id)}`;
      const done = await ingest.batch(resource.farmId, async (tx, seq, snapshot) => {
        const deleted = await removeWhere(shards, tx, resource.farmId, seq, snapshot, where, Date.now());
        return { result: { deleted: (await tx.deleteResource(resource)) ? deleted : undefined }, counts: NO_COUNTS };
      });
      return done.deleted;
    },
    async forgetUser(farmId, userId, pseudonym) {
      const done = await ingest.batch(farmId, async (tx, seq, snapshot) => {
        const rows = await readVisible(shards, farmId, snapshot, { where: `user_id = ${stringLiteral(userId)}` });
        const records = rows.map(fromSessionRow);
        const stored = new Map<string, StoredVersion>(records.map((record, i) => [record.sessionId, storedVersionOf(record, Number(rows[i]!.batch_seq))]));
        const renamed: SessionRecord[] = records.map((record) => ({ ...record, userId: pseudonym }));
        const nowMs = Date.now();
        const plan = await planGroup([{ records: renamed, seq, nowMs }], stored, { queueIds: [], fleetIds: [] });
        await ingest.apply(tx, farmId, plan, withBatches(snapshot, [seq]), nowMs);
        await tx.renameUserInResults(farmId, userId, pseudonym);
        return { result: { sessions: rows.length }, counts: NO_COUNTS };
      });
      // The old versions (and their keys) still hold the ID on disk: gone for good once each shard's mutations run.
      await shards.onEach(`ALTER TABLE sessions_local DELETE WHERE farm_id = ${stringLiteral(farmId)} AND user_id = ${stringLiteral(userId)}`);
      await shards.onEach(`ALTER TABLE session_keys_local DELETE WHERE farm_id = ${stringLiteral(farmId)} AND user_id = ${stringLiteral(userId)}`);
      return { sessions: done.sessions };
    },
  };
}
