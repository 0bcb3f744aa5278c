// What ingest needs of a session's visible version to classify a record (batch-plan.ts):
// read from each shard's session_keys_local (store/clickhouse/schema.ts) by session ID, the
// batch's IDs sent as an external table, one statement per shard whatever the batch's size.
// A key row is written with each version (session-ingest.ts writeRows) and read through the
// same snapshot and superseded marks as the version itself.
//
// The fingerprint stands for the record's fields but the session and user IDs: MD5 of a
// length-prefixed text of them, its first 8 bytes as a little-endian UInt64, the same in JS
// (recordFingerprint) and in SQL (FINGERPRINT_SQL, for keys made from stored sessions by
// `farmtally migrate`). Two different records share one with probability 2^-64.
import { createHash } from 'node:crypto';
import type { SessionRecord } from '../../domain/resources.js';
import { identifier } from '../clickhouse/schema.js';
import type { Shards } from '../clickhouse/shards.js';
import { integer, stringLiteral } from '../clickhouse/sql-text.js';
import type { StoredVersion } from './batch-plan.js';
import type { Snapshot } from './cluster-state.js';

const text = (s: string) => `${Buffer.byteLength(s)}:${s}`;

/** The record's fields but sessionId and userId, hashed: equal for records sameRecord finds equal (given those two). */
export function recordFingerprint(r: SessionRecord): string {
  const licenses = r.licenseProducts ?? [];
  const fields = [
    text(r.queueId),
    text(r.jobId),
    text(r.jobName),
    text(r.fleetId),
    text(r.workerId),
    r.instanceType === undefined ? '-' : text(r.instanceType),
    String(r.startedAt),
    r.endedAt === undefined ? '-' : String(r.endedAt),
    String(licenses.length),
    ...licenses.map(text),
  ];
  return createHash('md5').update(fields.join(';')).digest().readBigUInt64LE(0).toString();
}

const textSql = (column: string) => `concat(toString(length(${column})), ':', ${column})`;

/** recordFingerprint over a sessions_local row, in SQL (the same text, hashed the same way). */
export const FINGERPRINT_SQL = `reinterpretAsUInt64(MD5(concat(
  ${['queue_id', 'job_id', 'job_name', 'fleet_id', 'worker_id'].map(textSql).join(", ';',\n  ")}, ';',
  if(isNull(instance_type), '-', ${textSql('assumeNotNull(instance_type)')}), ';',
  toString(started_at), ';',
  if(isNull(ended_at), '-', toString(assumeNotNull(ended_at))), ';',
  toString(length(license_products)),
  arrayStringConcat(arrayMap(p -> concat(';', ${textSql('p')}), license_products)))))`;

/** Keys for the sessions already stored (a database migrated from before session_keys): one statement per shard. */
export const backfillKeysSql = (database: string): string => {
  const db = identifier(database);
  return `INSERT INTO ${db}.session_keys_local (farm_id, session_id, batch_seq, fingerprint, user_id, queue_id, fleet_id, job_id)
    SELECT farm_id, session_id, batch_seq, ${FINGERPRINT_SQL}, user_id, queue_id, fleet_id, job_id FROM ${db}.sessions_local`;
};

/** A record as a row of session_keys_local, written by batch `seq`. */
export const toKeyRow = (farmId: string, r: SessionRecord, seq: number): Record<string, unknown> => ({
  farm_id: farmId,
  session_id: r.sessionId,
  batch_seq: seq,
  fingerprint: recordFingerprint(r),
  user_id: r.userId,
  queue_id: r.queueId,
  fleet_id: r.fleetId,
  job_id: r.jobId,
});

/** A stored record as the version ingest compares a record with. */
export const storedVersionOf = (r: SessionRecord, batchSeq: number): StoredVersion => ({
  batchSeq,
  fingerprint: recordFingerprint(r),
  userId: r.userId,
  queueId: r.queueId,
  fleetId: r.fleetId,
  jobId: r.jobId,
});

/** The visible version of each session of `sessionIds` that has one in the snapshot. */
export async function storedVersions(shards: Shards, farmId: string, sessionIds: readonly string[], snapshot: Snapshot): Promise<Map<string, StoredVersion>> {
  const perShard = Array.from({ length: shards.count }, () => [] as string[][]);
  for (const id of sessionIds) perShard[shards.shardOf(farmId, id)]!.push([id]);
  const farm = stringLiteral(farmId);
  const upTo = integer(Math.trunc(snapshot.upTo));
  // Both lists as external tables: the statement stays short (it travels in the URL).
  const sql = `SELECT session_id, batch_seq, toString(fingerprint) AS fingerprint, user_id, queue_id, fleet_id, job_id
    FROM session_keys_local
    WHERE farm_id = ${farm} AND session_id IN ft_ids AND batch_seq <= ${upTo} AND batch_seq NOT IN ft_excluded
      AND (session_id, batch_seq) NOT IN (SELECT session_id, batch_seq FROM superseded_local
        WHERE farm_id = ${farm} AND session_id IN ft_ids AND by_seq <= ${upTo} AND by_seq NOT IN ft_excluded)`;
  // 0 is never a batch: the list is never empty.
  const excluded = { name: 'ft_excluded', structure: 'seq UInt64', rows: [0, ...snapshot.excluded].map((seq) => [Math.trunc(seq)]) };
  const found = new Map<string, StoredVersion>();
  await Promise.all(
    perShard.map(async (ids, shard) => {
      if (ids.length === 0) return;
      const rows = await shards.rows(sql, { shard, tables: [{ name: 'ft_ids', structure: 'session_id String', rows: ids }, excluded] });
      for (const r of rows) {
        found.set(r.session_id as string, {
          batchSeq: Number(r.batch_seq),
          fingerprint: r.fingerprint as string,
          userId: r.user_id as string,
          queueId: r.queue_id as string,
          fleetId: r.fleet_id as string,
          jobId: r.job_id as string,
        });
      }
    }),
  );
  return found;
}
