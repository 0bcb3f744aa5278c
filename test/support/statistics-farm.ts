// Puts a generated farm (test/reference/generate-farm.ts) into a running server through the
// SDK and the ingest route, and runs aggregations to their last page through the SDK.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, GetSessionsStatisticsAggregationCommand,
  StartSessionsStatisticsAggregationCommand, type DeadlineClient, type GetSessionsStatisticsAggregationResponse,
  type StartSessionsStatisticsAggregationCommandInput, type Statistics,
} from '@aws-sdk/client-deadline';
import assert from 'node:assert/strict';
import { referenceAggregate, type GeneratedFarm, type RefGroupBy, type RefPeriod, type RefRow, type RefSession, type RefStatistic } from '../reference/aggregate-reference.js';
import { assertSameRows } from './same-rows.js';
import { startFarmtally, type Farmtally } from './server.js';
import { answerCounts } from './session-records.js';

const ROLE = 'arn:aws:iam::123456789012:role/FleetRole';
const CAPS = { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 } };

function fleetConfiguration(kind: 'customerManaged' | 'serviceManagedEc2') {
  return kind === 'customerManaged'
    ? { customerManaged: { mode: 'NO_SCALING' as const, workerCapabilities: { ...CAPS, osFamily: 'LINUX' as const, cpuArchitectureType: 'x86_64' as const } } }
    : {
        serviceManagedEc2: {
          instanceCapabilities: { ...CAPS, osFamily: 'LINUX' as const, cpuArchitectureType: 'x86_64' as const },
          instanceMarketOptions: { type: 'spot' as const },
        },
      };
}

/** Posts the sessions as one NDJSON batch: the answer's counts (its batchId checked, then left out). */
export async function postSessions(url: string, farmId: string, sessions: readonly object[]): Promise<Record<string, number>> {
  const body = sessions.map((s) => JSON.stringify(s)).join('\n');
  const res = await fetch(`${url}/ingest/v1/farms/${farmId}/sessions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  const answer = (await res.json()) as Record<string, number>;
  if (res.status !== 200) throw new Error(`ingest failed (${res.status}): ${JSON.stringify(answer).slice(0, 2000)}`);
  return { ...answerCounts(answer) };
}

const toWire = (s: RefSession) => ({
  sessionId: s.sessionId,
  queueId: s.queueId,
  jobId: s.jobId,
  jobName: s.jobName,
  userId: s.userId,
  fleetId: s.fleetId,
  workerId: s.workerId,
  instanceType: s.instanceType,
  startedAt: new Date(s.startedAt).toISOString(),
  endedAt: s.endedAt === undefined ? undefined : new Date(s.endedAt).toISOString(),
  licenseProducts: s.licenseProducts,
});

/**
 * Creates the farm, its queues and fleets through `client` (IDs are the server's, so the
 * generated farm is rewritten to them): the farm as the server knows it, its rate card
 * keyed by the server's fleet IDs.
 */
export async function createGeneratedFarm(c: DeadlineClient, generated: GeneratedFarm): Promise<GeneratedFarm> {
  const { farmId } = await c.send(new CreateFarmCommand({ displayName: 'generated', costScaleFactor: generated.costScaleFactor }));
  const ids = new Map<string, string>();
  for (const q of generated.queues) ids.set(q.queueId, (await c.send(new CreateQueueCommand({ farmId, displayName: q.displayName }))).queueId!);
  for (const f of generated.fleets) {
    const created = await c.send(new CreateFleetCommand({ farmId, displayName: f.displayName, roleArn: ROLE, maxWorkerCount: 5, configuration: fleetConfiguration(f.kind) }));
    ids.set(f.fleetId, created.fleetId!);
  }
  const id = (x: string) => ids.get(x) ?? x;
  return {
    ...generated,
    farmId: farmId!,
    queues: generated.queues.map((q) => ({ ...q, queueId: id(q.queueId) })),
    fleets: generated.fleets.map((f) => ({ ...f, fleetId: id(f.fleetId) })),
    sessions: generated.sessions.map((s) => ({ ...s, queueId: id(s.queueId), fleetId: id(s.fleetId) })),
    rateCard: {
      ...generated.rateCard,
      customerManagedFleets: Object.fromEntries(Object.entries(generated.rateCard.customerManagedFleets).map(([k, v]) => [id(k), v])),
    },
  };
}

/** Ingests the farm's sessions through the server at `url`, as one batch. */
export async function ingestGeneratedFarm(url: string, farm: GeneratedFarm): Promise<Record<string, number>> {
  return postSessions(url, farm.farmId, farm.sessions.map(toWire));
}

/**
 * Creates the farm, its queues and fleets on a fresh server (createGeneratedFarm), writes
 * the rate card, restarts the server with it (`--pricing`), and ingests the sessions.
 * Returns the server and the rewritten farm.
 */
export async function serveGeneratedFarm(generated: GeneratedFarm, args: string[] = []): Promise<{ ft: Farmtally; farm: GeneratedFarm }> {
  const first = await startFarmtally();
  const farm = await createGeneratedFarm(first.client, generated);
  await first.stop(false);
  const pricing = join(first.dataDir, 'pricing.json');
  writeFileSync(pricing, JSON.stringify(farm.rateCard));
  const ft = await startFarmtally({ dataDir: first.dataDir, args: ['--pricing', pricing, ...args] });
  await ingestGeneratedFarm(ft.url, farm);
  return { ft, farm };
}

export interface AggregationResult {
  aggregationId: string;
  status: string;
  statusMessage?: string;
  rows: RefRow[];
  pages: number;
}

/** SDK rows as the wire carries them (ISO strings), for comparison with the reference. */
export function wireRow(s: Statistics): RefRow {
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined) row[k] = v instanceof Date ? v.toISOString() : v;
  return row as unknown as RefRow;
}

export async function runAggregation(client: DeadlineClient, input: StartSessionsStatisticsAggregationCommandInput, maxResults = 100): Promise<AggregationResult> {
  const { aggregationId } = await client.send(new StartSessionsStatisticsAggregationCommand(input));
  return readAggregation(client, input.farmId!, aggregationId!, maxResults);
}

/** Waits for the aggregation to finish; answers its first page. */
export async function waitForAggregation(client: DeadlineClient, farmId: string, aggregationId: string, maxResults = 100): Promise<GetSessionsStatisticsAggregationResponse> {
  for (;;) {
    const page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, maxResults }));
    if (page.status !== 'IN_PROGRESS') return page;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for the aggregation to finish, then reads every page from the first. */
export async function readAggregation(client: DeadlineClient, farmId: string, aggregationId: string, maxResults = 100): Promise<AggregationResult> {
  let page = await waitForAggregation(client, farmId, aggregationId, maxResults);
  const rows = (page.statistics ?? []).map(wireRow);
  let pages = 1;
  while (page.nextToken) {
    page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, maxResults, nextToken: page.nextToken }));
    // A page with no rows but another token would have the client read forever.
    if (!page.statistics?.length) throw new Error(`page ${pages + 1} of ${aggregationId} has no rows${page.nextToken ? ' but a nextToken' : ''}`);
    rows.push(...page.statistics.map(wireRow));
    pages++;
  }
  return { aggregationId, status: page.status!, statusMessage: page.statusMessage, rows, pages };
}

/** One aggregation to compare with the reference: queues and fleets by their index in the farm (all queues when neither is given). */
export interface ReferenceCase {
  period?: RefPeriod;
  timezone?: string;
  groupBy: RefGroupBy[];
  statistics: RefStatistic[];
  startMs: number;
  endMs: number;
  queues?: number[];
  fleets?: number[];
}

/**
 * Runs the case through the SDK (every page) and compares its rows field by field with the
 * reference's, and its status message with the rates the reference found missing; answers
 * the server's rows.
 */
export async function checkWithReference(client: DeadlineClient, farm: GeneratedFarm, c: ReferenceCase): Promise<RefRow[]> {
  const queueIds = c.queues?.map((i) => farm.queues[i]!.queueId);
  const fleetIds = c.fleets?.map((i) => farm.fleets[i]!.fleetId);
  const input: StartSessionsStatisticsAggregationCommandInput = {
    farmId: farm.farmId,
    resourceIds: fleetIds ? { fleetIds } : { queueIds: queueIds ?? farm.queues.map((q) => q.queueId) },
    startTime: new Date(c.startMs),
    endTime: new Date(c.endMs),
    timezone: c.timezone,
    period: c.period,
    groupBy: c.groupBy,
    statistics: c.statistics,
  };
  const got = await runAggregation(client, input);
  // The ranges end long before now, so running sessions count to the range's end either way.
  const expected = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, {
    ...c,
    queueIds: fleetIds ? undefined : (queueIds ?? farm.queues.map((q) => q.queueId)),
    fleetIds,
    asOfMs: Date.now(),
  });
  const what = JSON.stringify({ ...c, startMs: new Date(c.startMs).toISOString(), endMs: new Date(c.endMs).toISOString() });
  assert.equal(got.status, 'COMPLETED', `${what}: ${got.statusMessage}`);
  assert.ok(expected.rows.length > 0, `${what}: the case should have rows`);
  assertSameRows(got.rows, expected.rows, what);
  for (const missing of expected.missingRates) assert.ok(got.statusMessage?.includes(missing), `${what}: statusMessage should name ${missing}: ${got.statusMessage}`);
  if (!expected.missingRates.length) assert.equal(got.statusMessage, undefined, what);
  return got.rows;
}
