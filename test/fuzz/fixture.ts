// What a fuzz run's server holds before the first generated request: a farm with queues, a
// fleet, jobs, sessions and a finished aggregation for the API requests to name; a farm of
// parents for ingest batches (and another farm's queue and fleet, valid IDs but not its own);
// and a farm, queue and fleet that deletes may remove.
import { CreateQueueCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import { newId } from '../../src/domain/resources.js';
import { countSessions } from '../support/count-sessions.js';
import { http } from '../support/server.js';
import { farmWithParents, postSessions, sessionRecord, toNdjson } from '../support/session-records.js';

/** One farm's resources as the requests name them: `{farmId}` and the IDs below it. */
export interface FarmIds {
  farmId: string;
  queueIds: string[];
  fleetIds: string[];
  jobs: { queueId: string; jobId: string; sessionIds: string[] }[];
  aggregationIds: string[];
}

/** A session of the API fixture's farm, as an aggregation sees it. */
export interface FixtureSession {
  queueId: string;
  fleetId: string;
  startedAt: number;
  /** Absent while it runs. */
  endedAt?: number;
}

export interface ApiFixture {
  /** The farm most requests name: queues, a fleet, jobs, sessions, a finished aggregation. */
  farm: FarmIds;
  /** Its sessions, to know what an aggregation over them must count. */
  sessions: FixtureSession[];
  /** What deletes name, so the farm above keeps its resources for the other requests. */
  disposable: FarmIds;
}

export interface IngestFixture {
  farmId: string;
  queueIds: string[];
  fleetIds: string[];
  /** A queue and a fleet of another farm: well-formed, existing, but not this farm's. */
  foreignQueueId: string;
  foreignFleetId: string;
  /** Jobs already in the farm (each in one queue), for records that add sessions to them. */
  jobs: { jobId: string; queueId: string }[];
}

async function secondQueue(client: DeadlineClient, farmId: string): Promise<string> {
  return (await client.send(new CreateQueueCommand({ farmId, displayName: 'second queue' }))).queueId!;
}

export { countSessions };

export async function apiFixture(url: string, client: DeadlineClient): Promise<ApiFixture> {
  const main = await farmWithParents(client, 'fuzz api');
  const queueIds = [main.queueId, await secondQueue(client, main.farmId)];
  const jobs = queueIds.map((queueId) => ({ queueId, jobId: newId('job'), sessionIds: [] as string[] }));
  const records = Array.from({ length: 20 }, (_, i) => {
    const job = jobs[i % jobs.length]!;
    const record = sessionRecord({ ...main, queueId: job.queueId }, { jobId: job.jobId, startedAt: `2025-03-${String(1 + i).padStart(2, '0')}T10:00:00Z`, endedAt: i % 5 ? `2025-03-${String(1 + i).padStart(2, '0')}T12:00:00Z` : undefined });
    job.sessionIds.push(record.sessionId);
    return record;
  });
  const ingested = await postSessions(url, main.farmId, toNdjson(records));
  if (ingested.status !== 200) throw new Error(`the fixture's sessions were refused: ${ingested.text}`);
  const counted = await countSessions(client, main.farmId, queueIds);
  if (counted.count !== records.length) throw new Error(`the fixture farm holds ${counted.count} sessions, not ${records.length}`);
  const spare = await farmWithParents(client, 'fuzz disposable');
  return {
    farm: { farmId: main.farmId, queueIds, fleetIds: [main.fleetId], jobs, aggregationIds: [counted.aggregationId] },
    sessions: records.map((r) => ({ queueId: r.queueId, fleetId: r.fleetId, startedAt: Date.parse(r.startedAt), endedAt: r.endedAt === undefined ? undefined : Date.parse(r.endedAt) })),
    disposable: { farmId: spare.farmId, queueIds: [spare.queueId], fleetIds: [spare.fleetId], jobs: [], aggregationIds: [] },
  };
}

export async function ingestFixture(client: DeadlineClient): Promise<IngestFixture> {
  const main = await farmWithParents(client, 'fuzz ingest');
  const foreign = await farmWithParents(client, 'fuzz foreign');
  const queueIds = [main.queueId, await secondQueue(client, main.farmId)];
  return {
    farmId: main.farmId,
    queueIds,
    fleetIds: [main.fleetId],
    foreignQueueId: foreign.queueId,
    foreignFleetId: foreign.fleetId,
    jobs: Array.from({ length: 4 }, (_, i) => ({ jobId: newId('job'), queueId: queueIds[i % queueIds.length]! })),
  };
}

/** The server answers a plain ListFarms: the liveness probe after each case. */
export async function answersListFarms(url: string): Promise<string | undefined> {
  try {
    const res = await http(url, 'GET', '/2023-10-12/farms?maxResults=1');
    return res.status === 200 ? undefined : `ListFarms answered ${res.status}: ${res.text.slice(0, 300)}`;
  } catch (err) {
    return `ListFarms failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
