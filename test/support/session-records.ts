// Session records for ingest tests: a farm with a queue and a fleet to name, records with
// fresh IDs, their NDJSON and CSV forms, and a POST to the ingest route.
import { CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import { newId } from '../../src/domain/resources.js';
import { SESSION_RECORD_FIELDS, type SessionRecordJson } from '../../src/domain/session-record.js';
import { http, type RawResponse } from './server.js';

export type IngestRecord = SessionRecordJson;

export interface FarmParents {
  farmId: string;
  queueId: string;
  fleetId: string;
}

export async function farmWithParents(client: DeadlineClient, name = 'ingest'): Promise<FarmParents> {
  const { farmId } = await client.send(new CreateFarmCommand({ displayName: name }));
  const { queueId } = await client.send(new CreateQueueCommand({ farmId, displayName: `${name} queue` }));
  const { fleetId } = await client.send(
      new CreateFleetCommand({
        farmId,
        displayName: `${name} fleet`,
        roleArn: 'arn:aws:iam::123456789012:role/FleetRole',
        maxWorkerCount: 4,
        configuration: {
          customerManaged: {
            mode: 'NO_SCALING',
            workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' },
          },
        },
      }),
  );
  return { farmId: farmId!, queueId: queueId!, fleetId: fleetId! };
}

/** A finished session with fresh session, job and worker IDs, unless overridden. */
export function sessionRecord(parents: FarmParents, overrides: Partial<IngestRecord> = {}): IngestRecord {
  return {
    sessionId: newId('session'),
    queueId: parents.queueId,
    jobId: newId('job'),
    jobName: 'shot_010 comp',
    userId: 'ana',
    fleetId: parents.fleetId,
    workerId: newId('worker'),
    instanceType: 'c5.4xlarge',
    startedAt: '2025-03-01T10:00:00Z',
    endedAt: '2025-03-01T11:00:00Z',
    ...overrides,
  };
}

/** The i-th of a numbered series: IDs derived from i, so a series can be regenerated. */
export function numberedRecord(parents: FarmParents, i: number, seed = 0): IngestRecord {
  const hex = (n: number) => n.toString(16).padStart(32, '0');
  const start = Date.UTC(2025, 0, 1) + i * 60_000;
  return {
    sessionId: `session-${hex(seed * 1e9 + i)}`,
    queueId: parents.queueId,
    jobId: `job-${hex(seed * 1e9 + Math.floor(i / 100))}`,
    jobName: `job ${Math.floor(i / 100)}`,
    userId: `user${i % 7}`,
    fleetId: parents.fleetId,
    workerId: `worker-${hex(i % 50)}`,
    instanceType: 'c5.4xlarge',
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + 3_600_000).toISOString(),
    ...(i % 3 === 0 ? { licenseProducts: ['maya'] } : {}),
  };
}

export const toNdjson = (records: readonly object[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

const CSV_COLUMNS = SESSION_RECORD_FIELDS;

function csvCell(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(';') : (value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(records: readonly IngestRecord[], columns: readonly string[] = CSV_COLUMNS, lineEnd = '\n'): string {
  const rows = records.map((r) => columns.map((c) => csvCell(r[c as keyof IngestRecord])).join(','));
  return [columns.join(','), ...rows].join(lineEnd) + lineEnd;
}

export interface IngestCounts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

/** An ingest answer's counts, once its batchId is seen to be there (a decimal number, as a string). */
export function answerCounts(body: unknown): IngestCounts {
  const { batchId, ...counts } = body as IngestCounts & { batchId?: unknown };
  if (typeof batchId !== 'string' || !/^[1-9][0-9]*$/.test(batchId)) throw new Error(`the ingest answer has no batchId: ${JSON.stringify(body)}`);
  return counts;
}

export function postSessions(url: string, farmId: string, body: string, contentType = 'application/x-ndjson'): Promise<RawResponse> {
  return http(url, 'POST', `/ingest/v1/farms/${farmId}/sessions`, { body, headers: { 'content-type': contentType } });
}
