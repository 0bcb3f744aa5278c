// Two API servers on one cluster, as an operator runs them: `farmtally migrate` once, then
// two `farmtally serve --engine clickhouse` on the same shards and PostgreSQL (a scratch
// database of this run's own on the test cluster), talked to through the SDK. What one
// server writes the other reads; a farm runs one aggregation whichever server is asked; a
// result and its page tokens read the same through either; and the numbers over HTTP agree
// with the reference (test/reference/) for every period, zone kind and group-by field.
// Skipped with the reason where there is no cluster (test/support/cluster.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, DeleteQueueCommand, GetFarmCommand, GetFleetCommand, GetJobCommand, GetQueueCommand,
  GetSessionCommand, GetSessionsStatisticsAggregationCommand, ListFarmsCommand, ListJobsCommand, ListQueuesCommand, ListSessionsCommand,
  StartSessionsStatisticsAggregationCommand, ThrottlingException, UpdateFarmCommand, type DeadlineClient, type StartSessionsStatisticsAggregationCommandInput,
} from '@aws-sdk/client-deadline';
import { newId } from '../src/domain/resources.js';
import { generateFarm, referenceAggregate, type GeneratedFarm, type RefGroupBy, type RefPeriod } from './reference/aggregate-reference.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { migrateScratch, startClusterServer } from './support/cluster-servers.js';
import { countSessions } from './support/count-sessions.js';
import { assertSameRows } from './support/same-rows.js';
import type { Farmtally } from './support/server.js';
import { rejectsNotFound } from './support/service-errors.js';
import { answerCounts, farmWithParents, postSessions, sessionRecord, toNdjson } from './support/session-records.js';
import { checkWithReference, createGeneratedFarm, ingestGeneratedFarm, readAggregation, waitForAggregation, wireRow, type ReferenceCase } from './support/statistics-farm.js';

const { urls, skip } = await clusterForTests();
const DAY = 86_400_000;

describe('two API servers on one cluster', { skip }, () => {
  let scratch: ScratchCluster;
  let a: Farmtally;
  let b: Farmtally;
  let farm: GeneratedFarm;
  let pricingDir: string;

  before(async () => {
    scratch = await scratchCluster(urls!);
    await migrateScratch(scratch);
    // The rate card names fleets by the IDs the cluster gives them: create the farm first,
    // then start both servers with the card.
    const first = await startClusterServer(scratch);
    try {
      farm = await createGeneratedFarm(first.client, generateFarm(20260311, { sessions: 300 }));
    } finally {
      await first.stop();
    }
    pricingDir = mkdtempSync(join(tmpdir(), 'farmtally-pricing-'));
    const pricing = join(pricingDir, 'pricing.json');
    writeFileSync(pricing, JSON.stringify(farm.rateCard));
    [a, b] = await Promise.all([startClusterServer(scratch, { args: ['--pricing', pricing] }), startClusterServer(scratch, { args: ['--pricing', pricing] })]);
    await ingestGeneratedFarm(a.url, farm);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
    if (pricingDir) rmSync(pricingDir, { recursive: true, force: true });
  });

  test('farms, queues and fleets created on A are read, changed and deleted on B, and the change is seen on A', async () => {
    const { farmId } = await a.client.send(new CreateFarmCommand({ displayName: 'made on A', description: 'two servers' }));
    const { queueId } = await a.client.send(new CreateQueueCommand({ farmId, displayName: 'queue on A' }));
    const doomed = (await a.client.send(new CreateQueueCommand({ farmId, displayName: 'deleted on B' }))).queueId!;
    const { fleetId } = await a.client.send(
      new CreateFleetCommand({
        farmId, displayName: 'fleet on A', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 3,
        configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
      }),
    );
    const farmOnA = await a.client.send(new GetFarmCommand({ farmId }));
    const farmOnB = await b.client.send(new GetFarmCommand({ farmId }));
    assert.deepEqual({ ...farmOnB, $metadata: undefined }, { ...farmOnA, $metadata: undefined });
    assert.equal(farmOnB.displayName, 'made on A');
    assert.equal((await b.client.send(new GetQueueCommand({ farmId, queueId }))).displayName, 'queue on A');
    assert.equal((await b.client.send(new GetFleetCommand({ farmId, fleetId }))).displayName, 'fleet on A');
    const listed = await b.client.send(new ListQueuesCommand({ farmId }));
    assert.deepEqual(listed.queues?.map((q) => q.displayName).sort(), ['deleted on B', 'queue on A']);

    await b.client.send(new UpdateFarmCommand({ farmId, displayName: 'renamed on B' }));
    assert.equal((await a.client.send(new GetFarmCommand({ farmId }))).displayName, 'renamed on B');
    await b.client.send(new DeleteQueueCommand({ farmId, queueId: doomed }));
    await rejectsNotFound(a.client.send(new GetQueueCommand({ farmId, queueId: doomed })), 'queue', doomed);

    // A list token one server gave is good on the other: both read the key from the state.
    const firstPage = await a.client.send(new ListFarmsCommand({ maxResults: 1 }));
    assert.ok(firstPage.nextToken, 'two farms at least, so a second page');
    const secondPage = await b.client.send(new ListFarmsCommand({ maxResults: 1, nextToken: firstPage.nextToken }));
    assert.notEqual(secondPage.farms?.[0]?.farmId, firstPage.farms?.[0]?.farmId);
  });

  test('sessions ingested through A are listed, read, counted and aggregated through B; B counts a resend as unchanged', async () => {
    const parents = await farmWithParents(a.client, 'two servers');
    const jobs = [newId('job'), newId('job')];
    const records = Array.from({ length: 60 }, (_, i) =>
      sessionRecord(parents, { jobId: jobs[i % 2]!, jobName: `job ${i % 2}`, startedAt: new Date(Date.UTC(2025, 2, 1, 10) + i * 60_000).toISOString(), endedAt: new Date(Date.UTC(2025, 2, 1, 11) + i * 60_000).toISOString() }),
    );
    const sent = await postSessions(a.url, parents.farmId, toNdjson(records));
    assert.equal(sent.status, 200, sent.text);
    assert.deepEqual(answerCounts(sent.body), { received: 60, created: 60, updated: 0, unchanged: 0 });

    const { jobs: listedJobs } = await b.client.send(new ListJobsCommand({ farmId: parents.farmId, queueId: parents.queueId }));
    assert.deepEqual(listedJobs?.map((j) => j.jobId).sort(), [...jobs].sort());
    assert.equal((await b.client.send(new GetJobCommand({ farmId: parents.farmId, queueId: parents.queueId, jobId: jobs[0] }))).name, 'job 0');
    // Every session of a job, in pages whose tokens alternate between the servers.
    const seen: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; ; page++) {
      const client = page % 2 ? a.client : b.client;
      const answer = await client.send(new ListSessionsCommand({ farmId: parents.farmId, queueId: parents.queueId, jobId: jobs[1], maxResults: 7, nextToken }));
      seen.push(...(answer.sessions ?? []).map((s) => s.sessionId!));
      nextToken = answer.nextToken;
      if (!nextToken) break;
    }
    assert.deepEqual(seen.sort(), records.filter((r) => r.jobId === jobs[1]).map((r) => r.sessionId).sort());
    const one = records[3]!;
    const got = await b.client.send(new GetSessionCommand({ farmId: parents.farmId, queueId: parents.queueId, jobId: one.jobId, sessionId: one.sessionId }));
    assert.equal(got.startedAt?.toISOString(), new Date(one.startedAt).toISOString());
    assert.equal(got.endedAt?.toISOString(), new Date(one.endedAt!).toISOString());
    assert.equal((await countSessions(b.client, parents.farmId, [parents.queueId])).count, 60);

    // The same batch again through B: nothing new; one session changed through B is seen on A.
    const again = await postSessions(b.url, parents.farmId, toNdjson(records));
    assert.deepEqual(answerCounts(again.body), { received: 60, created: 0, updated: 0, unchanged: 60 });
    const changed = { ...one, endedAt: '2025-03-02T00:00:00.000Z' };
    assert.deepEqual(answerCounts((await postSessions(b.url, parents.farmId, toNdjson([changed]))).body), { received: 1, created: 0, updated: 1, unchanged: 0 });
    const onA = await a.client.send(new GetSessionCommand({ farmId: parents.farmId, queueId: parents.queueId, jobId: one.jobId, sessionId: one.sessionId }));
    assert.equal(onA.endedAt?.toISOString(), changed.endedAt);
    assert.equal((await countSessions(a.client, parents.farmId, [parents.queueId])).count, 60);
  });

  test('Starts on one farm through both servers at once: one runs, the others are throttled naming it; its pages and tokens read the same through either', async () => {
    // HOURLY by job over two months: tens of thousands of rows, a second or more to run and
    // store, so every Start arrives while the first one's aggregation holds the farm.
    const range = { startMs: farm.spanStartMs, endMs: farm.spanStartMs + 60 * DAY };
    const input: StartSessionsStatisticsAggregationCommandInput = {
      farmId: farm.farmId,
      resourceIds: { queueIds: farm.queues.map((q) => q.queueId) },
      startTime: new Date(range.startMs),
      endTime: new Date(range.endMs),
      period: 'HOURLY',
      groupBy: ['JOB_ID', 'USAGE_TYPE'],
      statistics: ['SUM', 'MIN', 'MAX', 'AVG'],
    };
    const clients: DeadlineClient[] = [a.client, b.client, a.client, b.client, a.client, b.client, a.client, b.client];
    const starts = await Promise.allSettled(clients.map((c) => c.send(new StartSessionsStatisticsAggregationCommand(input))));
    const started = starts.filter((s) => s.status === 'fulfilled').map((s) => s.value.aggregationId!);
    assert.equal(started.length, 1, `exactly one Start runs: ${JSON.stringify(starts.map((s) => (s.status === 'fulfilled' ? s.value.aggregationId : String(s.reason))))}`);
    const [aggregationId] = started as [string];
    for (const s of starts) {
      if (s.status === 'fulfilled') continue;
      assert.ok(s.reason instanceof ThrottlingException, `a refused Start is throttled: ${String(s.reason)}`);
      assert.match(s.reason.message, new RegExp(`Aggregation ${aggregationId} is still running for farm ${farm.farmId}`));
    }

    const throughA = await readAggregation(a.client, farm.farmId, aggregationId, 1000);
    assert.equal(throughA.status, 'COMPLETED', throughA.statusMessage);
    assert.ok(throughA.rows.length > 3000, `several pages of 1000: ${throughA.rows.length} rows`);
    const expected = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, {
      ...range, period: 'HOURLY', groupBy: ['JOB_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'], queueIds: farm.queues.map((q) => q.queueId), asOfMs: Date.now(),
    });
    assertSameRows(throughA.rows, expected.rows, 'the raced aggregation');

    // Page by page, each asked of the other server with the token the last one gave; and
    // B's first page of 7 rows, then A's next, from B's token.
    const mixed = [];
    let nextToken: string | undefined;
    for (let page = 0; ; page++) {
      const client = page % 2 ? a.client : b.client;
      const answer = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId, maxResults: 1000, nextToken }));
      assert.equal(answer.status, 'COMPLETED');
      mixed.push(...(answer.statistics ?? []).map(wireRow));
      nextToken = answer.nextToken;
      if (!nextToken) break;
    }
    assert.deepEqual(mixed, throughA.rows);
    const first = await b.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId, maxResults: 7 }));
    const second = await a.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId, maxResults: 7, nextToken: first.nextToken }));
    assert.deepEqual([...first.statistics!, ...second.statistics!].map(wireRow), throughA.rows.slice(0, 14));

    // The farm is free again, through either server.
    const { aggregationId: next } = await b.client.send(new StartSessionsStatisticsAggregationCommand({ ...input, period: 'MONTHLY' }));
    assert.equal((await waitForAggregation(a.client, farm.farmId, next!)).status, 'COMPLETED');
  });

  test('the reference, over HTTP on cluster servers: every period, a half-hour offset, an IANA zone, each group-by field', async () => {
    const fields: RefGroupBy[] = ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'];
    const periods: (RefPeriod | undefined)[] = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', undefined];
    const zones: (string | undefined)[] = [undefined, 'UTC+05:30', 'America/New_York', 'UTC-03:30'];
    // Ranges that cut buckets; HOURLY over ten days, the rest over most of the span.
    const from = farm.spanStartMs + 3 * DAY + 17 * 60_000 + 1234;
    const cases: ReferenceCase[] = fields.map((field, i) => {
      const period = periods[i % periods.length];
      return {
        period,
        timezone: zones[i % zones.length],
        groupBy: [field],
        statistics: i % 2 ? ['SUM', 'AVG'] : ['SUM', 'MIN', 'MAX', 'AVG'],
        startMs: from,
        endMs: period === 'HOURLY' ? from + 10 * DAY : farm.spanEndMs - 5 * DAY - 41 * 60_000,
      };
    });
    // Two fields, and every zone kind for the periods the first pass gave one zone each.
    cases.push({ period: 'WEEKLY', timezone: 'UTC+05:30', groupBy: ['USAGE_TYPE', 'FLEET_ID'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'], startMs: from, endMs: farm.spanEndMs });
    cases.push({ period: 'MONTHLY', timezone: 'America/New_York', groupBy: ['LICENSE_PRODUCT', 'QUEUE_ID'], statistics: ['SUM', 'MAX'], startMs: farm.spanStartMs, endMs: farm.spanEndMs });
    cases.push({ period: 'HOURLY', timezone: 'America/New_York', groupBy: ['USER_ID'], statistics: ['SUM'], startMs: Date.UTC(2024, 10, 2, 12), endMs: Date.UTC(2024, 10, 4, 12) });
    cases.push({ period: 'DAILY', timezone: 'UTC+05:30', groupBy: ['INSTANCE_TYPE', 'JOB_ID'], statistics: ['MIN', 'MAX'], startMs: from, endMs: farm.spanEndMs });
    for (const [i, c] of cases.entries()) await checkWithReference(i % 2 ? b.client : a.client, farm, c);
  });
});
