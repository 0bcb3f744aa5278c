// A session record's fields in one number, so that ingest can tell an unchanged record from
// the narrow key table (session-keys.ts) without reading the stored session.
// It stands for the record's fields but the session and user IDs: MD5 of a
// length-prefixed text of them, its first 8 bytes as a little-endian UInt64, the same in JS
// (recordFingerprint) and in SQL (FINGERPRINT_SQL, for keys made from stored sessions by
// `farmtally migrate`). Two different records share one with probability 2^-64.
import { createHash } from 'node:crypto';
import type { SessionRecord } from '../../domain/resources.js';

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
