// One load client: until the deadline, a random mix of ingesting a batch of fresh sessions
// (NDJSON over HTTP, as `farmtally import` does), listing farms, queues and sessions, and
// running an aggregation through the SDK (Start, then Get until it ends, every page).
// Every call is timed into the shared stats; sessions the server acknowledged as created
// are added to their farm's tally, to compare with what it stores at the end.
import {
  GetSessionsStatisticsAggregationCommand, ListFarmsCommand, ListQueuesCommand, ListSessionsCommand, StartSessionsStatisticsAggregationCommand, type DeadlineClient,
} from '@aws-sdk/client-deadline';
import type { random } from '../../test/support/ingest-fuzz.js';
import { ingestUrl } from '../../src/client/upload.js';
import type { LoadStats } from './stats.js';

export interface LoadFarm {
  farmId: string;
  queueIds: string[];
  fleetId: string;
}

export interface ClientPlan {
  /** Who this client is: part of every ID it makes, with the run's own prefix. */
  index: number;
  runId: string;
  url: string;
  sdk: DeadlineClient;
  farm: LoadFarm;
  deadline: number;
  batchMin: number;
  batchMax: number;
  rand: ReturnType<typeof random>;
  stats: LoadStats;
  /** Sessions acknowledged as created, by farm (shared by every client). */
  acknowledged: Map<string, number>;
}

/** An answer that is an error: `kind` is what the stats file it under. */
class CallError extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

function kindOf(err: unknown): string {
  if (err instanceof CallError) return err.kind;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (e.$metadata?.httpStatusCode) return `${e.$metadata.httpStatusCode} ${e.name}: ${e.message?.slice(0, 120)}`;
  return `${e.name ?? 'Error'}: ${e.message?.slice(0, 120) ?? String(err)}`;
}

async function timed<T>(stats: LoadStats, operation: string, call: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const value = await call();
    stats.ok(operation, performance.now() - started);
    return value;
  } catch (err) {
    const ms = performance.now() - started;
    if ((err as { name?: string }).name === 'ThrottlingException' || (err instanceof CallError && err.kind.includes('ThrottlingException'))) stats.throttled(operation, ms);
    else stats.error(operation, kindOf(err), ms);
    return undefined;
  }
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);

export async function runClient(plan: ClientPlan): Promise<void> {
  const { rand, stats, sdk, farm } = plan;
  const jobs: { queueId: string; jobId: string }[] = [];
  let jobCount = 0;
  const idOf = (kind: string, n: number) => `${kind}-${plan.runId}${hex(plan.index, 4)}${hex(n, 20)}`;
  let sessions = 0;

  const ingest = async () => {
    const size = plan.batchMin + rand.int(plan.batchMax - plan.batchMin + 1);
    // No more jobs than records: a job no record names is never stored, and ListSessions of it
    // would answer 404 (batches of 1 or 2 records, --batch-min 1).
    const batchJobs = Array.from({ length: Math.min(size, 1 + rand.int(3)) }, () => ({ queueId: rand.pick(farm.queueIds), jobId: idOf('job', jobCount++) }));
    const lines: string[] = [];
    for (let i = 0; i < size; i++) {
      const job = batchJobs[i % batchJobs.length]!;
      const start = Date.UTC(2025, 0, 1) + rand.int(360 * 86_400_000);
      lines.push(JSON.stringify({
        sessionId: idOf('session', sessions++), ...job, jobName: `load job ${job.jobId.slice(-6)}`, userId: `user${rand.int(20)}`, fleetId: farm.fleetId,
        workerId: idOf('worker', rand.int(64)), instanceType: 'c5.4xlarge', startedAt: new Date(start).toISOString(), endedAt: new Date(start + 60_000 + rand.int(7_200_000)).toISOString(),
      }));
    }
    const counts = await timed(stats, 'IngestSessions', async () => {
      const res = await fetch(ingestUrl(plan.url, farm.farmId), { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });
      const text = await res.text();
      if (res.status !== 200) throw new CallError(`${res.status} ${res.headers.get('x-amzn-errortype') ?? ''}: ${text.slice(0, 120)}`);
      const body = JSON.parse(text) as { received: number; created: number };
      // Every session is new: anything else means the server lost or mixed up records.
      if (body.received !== size || body.created !== size) throw new CallError(`answered ${text} for ${size} new sessions`);
      return body;
    });
    if (counts) {
      plan.acknowledged.set(farm.farmId, (plan.acknowledged.get(farm.farmId) ?? 0) + counts.created);
      jobs.push(...batchJobs);
    }
  };

  const aggregate = async () => {
    const started = await timed(stats, 'StartSessionsStatisticsAggregation', () =>
      sdk.send(new StartSessionsStatisticsAggregationCommand({
        farmId: farm.farmId,
        resourceIds: { queueIds: farm.queueIds },
        startTime: new Date('2025-01-01T00:00:00Z'),
        endTime: new Date('2026-01-01T00:00:00Z'),
        period: rand.pick(['DAILY', 'WEEKLY', 'MONTHLY', undefined] as const),
        timezone: rand.pick(['UTC', 'UTC+05:30', 'America/Los_Angeles']),
        groupBy: rand.pick([['QUEUE_ID', 'USAGE_TYPE'], ['USER_ID'], ['JOB_ID', 'USAGE_TYPE']] as const).slice(),
        statistics: ['SUM', 'AVG'],
      })),
    );
    if (!started?.aggregationId) return;
    let nextToken: string | undefined;
    for (;;) {
      const page = await timed(stats, 'GetSessionsStatisticsAggregation', async () => {
        const out = await sdk.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId: started.aggregationId, nextToken }));
        if (out.status !== 'IN_PROGRESS' && out.status !== 'COMPLETED') throw new CallError(`the aggregation ended ${out.status}: ${out.statusMessage}`);
        return out;
      });
      if (!page) return;
      if (page.status === 'IN_PROGRESS') continue;
      nextToken = page.nextToken;
      if (!nextToken) return;
    }
  };

  const listSessions = async () => {
    if (!jobs.length) return void (await timed(stats, 'ListQueues', () => sdk.send(new ListQueuesCommand({ farmId: farm.farmId }))));
    const { queueId, jobId } = rand.pick(jobs);
    await timed(stats, 'ListSessions', () => sdk.send(new ListSessionsCommand({ farmId: farm.farmId, queueId, jobId, maxResults: 100 })));
  };

  const actions: [number, () => Promise<void>][] = [
    [30, ingest],
    [15, async () => void (await timed(stats, 'ListFarms', () => sdk.send(new ListFarmsCommand({ maxResults: 100 }))))],
    [15, async () => void (await timed(stats, 'ListQueues', () => sdk.send(new ListQueuesCommand({ farmId: farm.farmId }))))],
    [15, listSessions],
    [25, aggregate],
  ];
  const total = actions.reduce((n, [w]) => n + w, 0);
  while (Date.now() < plan.deadline) {
    let roll = rand.int(total);
    const [, action] = actions.find(([w]) => (roll -= w) < 0)!;
    await action();
  }
}
