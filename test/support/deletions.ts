// Tools of the deletion tests: the extension's requests over plain HTTP (the SDK has no
// operation for them), session records made to order, and what a farm holds as a client
// reads it: sessions counted per queue by an aggregation through the SDK.
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { newId } from '../../src/domain/resources.js';
import { http, type RawResponse } from './server.js';
import type { FarmParents, IngestRecord } from './session-records.js';
import { runAggregation } from './statistics-farm.js';

export const HOUR = 3_600_000;
/** Where the tests' sessions start (whole hours after it). */
export const T0 = Date.UTC(2025, 2, 1);
export const at = (ms: number) => new Date(ms).toISOString();

/** POST /ingest/v1/farms/{farmId}/sessions/delete with a JSON body. */
export function deleteSessions(url: string, farmId: string, body: object, headers: Record<string, string> = {}): Promise<RawResponse> {
  return http(url, 'POST', `/ingest/v1/farms/${farmId}/sessions/delete`, { body: JSON.stringify(body), headers });
}

/** POST /ingest/v1/farms/{farmId}/users/{userId}/forget. */
export function forgetUser(url: string, farmId: string, userId: string): Promise<RawResponse> {
  return http(url, 'POST', `/ingest/v1/farms/${farmId}/users/${encodeURIComponent(userId)}/forget`, { body: '{}' });
}

/** A session of `parents`' farm starting `hour` hours after T0, an hour long (or running). */
export function sessionAt(parents: FarmParents, hour: number, overrides: Partial<IngestRecord> & { running?: boolean } = {}): IngestRecord {
  const { running, ...rest } = overrides;
  const startedAt = T0 + hour * HOUR;
  return {
    sessionId: newId('session'),
    queueId: parents.queueId,
    jobId: newId('job'),
    jobName: 'shot_020 light',
    userId: 'ana',
    fleetId: parents.fleetId,
    workerId: newId('worker'),
    instanceType: 'c5.4xlarge',
    startedAt: at(startedAt),
    ...(running ? {} : { endedAt: at(startedAt + HOUR) }),
    ...rest,
  };
}

/**
 * How many sessions each of the queues holds, as the statistics API counts them (one COMPUTE
 * record a session, over 2000..2030); 0 for a queue it finds none in.
 */
export async function sessionsPerQueue(client: DeadlineClient, farmId: string, queueIds: string[]): Promise<Record<string, number>> {
  const result = await runAggregation(client, {
    farmId, resourceIds: { queueIds }, startTime: new Date('2000-01-01T00:00:00Z'), endTime: new Date('2030-01-01T00:00:00Z'),
    groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM'],
  });
  if (result.status !== 'COMPLETED') throw new Error(`counting ended ${result.status}: ${result.statusMessage}`);
  const counts: Record<string, number> = Object.fromEntries(queueIds.map((q) => [q, 0]));
  for (const row of result.rows as unknown as { queueId: string; usageType: string; count: number }[]) if (row.usageType === 'COMPUTE') counts[row.queueId]! += row.count;
  return counts;
}

/** The same count from the records a test sent and kept: the expected answer. */
export function expectedPerQueue(records: readonly IngestRecord[], queueIds: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(queueIds.map((q) => [q, 0]));
  for (const r of records) counts[r.queueId]! += 1;
  return counts;
}
