// The asynchronous life of an aggregation: one per farm at a time, results kept for a while,
// FAILED past the row cap, TIMEOUT past the time budget, FAILED after a crash, running
// sessions counted up to the Start call, and page tokens checked whatever the status.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, GetSessionsStatisticsAggregationCommand,
  StartSessionsStatisticsAggregationCommand, ThrottlingException, type StartSessionsStatisticsAggregationCommandInput,
} from '@aws-sdk/client-deadline';
import { mulberry32 } from './reference/generate-farm.js';
import { killHard } from './support/crash.js';
import { rejectsNaming, rejectsNotFound } from './support/service-errors.js';
import { http, readDataFile, startFarmtally, type Farmtally } from './support/server.js';
import { postSessions, readAggregation, waitForAggregation } from './support/statistics-farm.js';

const HOUR = 3_600_000;
const YEAR_START = Date.UTC(2025, 0, 1);
const hex = (rnd: () => number) => Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');

interface SmallFarm {
  farmId: string;
  queueId: string;
  fleetId: string;
}

async function createFarm(ft: Farmtally): Promise<SmallFarm> {
  const c = ft.client;
  const { farmId } = await c.send(new CreateFarmCommand({ displayName: 'lifecycle' }));
  const { queueId } = await c.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  const { fleetId } = await c.send(
    new CreateFleetCommand({
      farmId, displayName: 'f', roleArn: 'arn:aws:iam::123456789012:role/F', maxWorkerCount: 1,
      configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
    }),
  );
  return { farmId: farmId!, queueId: queueId!, fleetId: fleetId! };
}

/** `n` ended sessions over 2025 across `jobs` jobs: enough rows to keep an aggregation busy. */
function sessions(farm: SmallFarm, n: number, jobs: number, seed = 7) {
  const rnd = mulberry32(seed);
  const jobIds = Array.from({ length: jobs }, () => `job-${hex(rnd)}`);
  return Array.from({ length: n }, (_, i) => {
    const start = YEAR_START + Math.floor(rnd() * 360 * 24 * HOUR);
    return {
      sessionId: `session-${hex(rnd)}`, queueId: farm.queueId, fleetId: farm.fleetId, jobId: jobIds[i % jobs], jobName: `job ${i % jobs}`,
      userId: `user${i % 40}`, workerId: `worker-${hex(rnd)}`, startedAt: new Date(start).toISOString(),
      endedAt: new Date(start + Math.floor(rnd() * 6 * HOUR)).toISOString(),
    };
  });
}

function heavy(farm: SmallFarm): StartSessionsStatisticsAggregationCommandInput {
  return {
    farmId: farm.farmId, resourceIds: { queueIds: [farm.queueId] }, startTime: new Date(YEAR_START), endTime: new Date(YEAR_START + 365 * 24 * HOUR),
    period: 'HOURLY', groupBy: ['JOB_ID', 'USER_ID'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'],
  };
}

const startAgg = (ft: Farmtally, input: StartSessionsStatisticsAggregationCommandInput) => ft.client.send(new StartSessionsStatisticsAggregationCommand(input));

describe('one aggregation per farm, tokens, crashes', () => {
  let ft: Farmtally;
  let farm: SmallFarm;
  before(async () => {
    // The trace tells the crash test below whether its aggregation completed before the kill.
    ft = await startFarmtally({ env: { FARMTALLY_AGGREGATION_TRACE: '1' } });
    farm = await createFarm(ft);
    await postSessions(ft.url, farm.farmId, sessions(farm, 60_000, 3000));
  });
  after(async () => ft?.stop());

  test('while one runs, Start in the same farm is throttled with a Retry-After; another farm is not', async () => {
    const results = await Promise.allSettled([0, 1, 2, 3].map(() => startAgg(ft, heavy(farm))));
    const won = results.filter((r) => r.status === 'fulfilled');
    const throttled = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
    for (const r of throttled) {
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(err instanceof ThrottlingException, String(err));
      assert.ok(err.retryAfterSeconds! >= 1);
    }
    const raw = await http(ft.url, 'POST', `/2023-10-12/farms/${farm.farmId}/sessions-statistics-aggregation`, { body: JSON.stringify({ ...heavy(farm) }) });
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('x-amzn-errortype'), 'ThrottlingException');
    assert.match(raw.headers.get('retry-after')!, /^\d+$/);
    assert.match(raw.body.message, /still running/);

    const other = await createFarm(ft);
    const { aggregationId: otherId } = await startAgg(ft, { ...heavy(other), resourceIds: { queueIds: [other.queueId] } });
    assert.equal((await waitForAggregation(ft.client, other.farmId, otherId!)).status, 'COMPLETED');

    const id = (won[0] as PromiseFulfilledResult<{ aggregationId?: string }>).value.aggregationId!;
    const done = await waitForAggregation(ft.client, farm.farmId, id);
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.statistics!.length, 100);
    assert.ok(done.nextToken);
    // The slot is free again.
    const { aggregationId: next } = await startAgg(ft, { ...heavy(farm), period: 'MONTHLY' });
    assert.equal((await waitForAggregation(ft.client, farm.farmId, next!)).status, 'COMPLETED');
  });

  test('a nextToken is checked whatever the status, and is bound to its aggregation', async () => {
    const { aggregationId } = await startAgg(ft, heavy(farm));
    const get = (nextToken: string, id = aggregationId!) => ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId: id, nextToken, maxResults: 10 }));
    // Still running: a forged token is refused all the same.
    const first = await ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId }));
    assert.equal(first.status, 'IN_PROGRESS');
    await rejectsNaming(get('forged.token'), ['nextToken']);
    await waitForAggregation(ft.client, farm.farmId, aggregationId!);
    const page1 = await ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId, maxResults: 10 }));
    const token = page1.nextToken!;
    // A tampered token (one character changed) and another aggregation's token are refused.
    const flipped = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
    await rejectsNaming(get(flipped), ['nextToken']);
    const { aggregationId: otherId } = await startAgg(ft, { ...heavy(farm), period: 'MONTHLY' });
    await waitForAggregation(ft.client, farm.farmId, otherId!);
    await rejectsNaming(get(token, otherId!), ['nextToken']);
    // The genuine token reads page 2.
    const page2 = await get(token);
    assert.equal(page2.statistics!.length, 10);
    assert.notDeepEqual(page2.statistics, page1.statistics);
  });

  test('an aggregation cut short by a crash (kill -9 while IN_PROGRESS) is FAILED after restart, with what to do', async () => {
    const { aggregationId } = await startAgg(ft, heavy(farm));
    // Running when killed: the server says so just before, and its trace never said COMPLETED.
    const running = await ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId }));
    assert.equal(running.status, 'IN_PROGRESS');
    await killHard(ft);
    assert.doesNotMatch(ft.output(), new RegExp(`aggregation ${aggregationId}: COMPLETED`), 'the aggregation completed before the kill: nothing was cut short');
    ft = await startFarmtally({ dataDir: ft.dataDir, env: { FARMTALLY_AGGREGATION_TRACE: '1' } });
    const page = await ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId }));
    assert.equal(page.status, 'FAILED');
    assert.match(page.statusMessage!, /Start it again/);
    assert.equal(page.statistics, undefined);
    const { aggregationId: again } = await startAgg(ft, { ...heavy(farm), period: 'WEEKLY' });
    assert.equal((await waitForAggregation(ft.client, farm.farmId, again!)).status, 'COMPLETED');
  });
});

describe('limits: rows, time, retention', () => {
  test('more rows than --max-result-rows: FAILED saying what to reduce; results expire after --aggregation-ttl', async () => {
    const ft = await startFarmtally({ args: ['--max-result-rows', '20', '--aggregation-ttl', '1'] });
    try {
      const farm = await createFarm(ft);
      await postSessions(ft.url, farm.farmId, sessions(farm, 500, 50));
      const { aggregationId } = await startAgg(ft, { ...heavy(farm), period: 'DAILY', groupBy: ['JOB_ID'] });
      const failed = await readAggregation(ft.client, farm.farmId, aggregationId!);
      assert.equal(failed.status, 'FAILED');
      assert.match(failed.statusMessage!, /limit of 20/);
      assert.match(failed.statusMessage!, /Narrow the time range/);
      assert.deepEqual(failed.rows, []);

      const { aggregationId: small } = await startAgg(ft, { ...heavy(farm), period: undefined, groupBy: ['QUEUE_ID'] });
      const ok = await readAggregation(ft.client, farm.farmId, small!);
      assert.equal(ok.status, 'COMPLETED');
      assert.equal(ok.rows.length, 1);
      assert.equal(ok.rows[0]!.count, 500);
      await new Promise((r) => setTimeout(r, 1100));
      await rejectsNotFound(ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: farm.farmId, aggregationId: small })), 'aggregation', small!);
    } finally {
      await ft.stop();
    }
  });

  test('expired results are deleted from the data file: the record and its result rows', async () => {
    const ft = await startFarmtally({ args: ['--aggregation-ttl', '1'] });
    let aggregationId: string | undefined;
    try {
      const farm = await createFarm(ft);
      await postSessions(ft.url, farm.farmId, sessions(farm, 50, 5));
      ({ aggregationId } = await startAgg(ft, { ...heavy(farm), period: undefined, groupBy: ['QUEUE_ID'] }));
      const result = await readAggregation(ft.client, farm.farmId, aggregationId!);
      assert.equal(result.status, 'COMPLETED');
      assert.ok(result.rows.length > 0, 'the rows to be swept were stored');
      // Expired after 1 s; swept within a second after that.
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      await ft.stop(false);
    }
    const [rows, records] = await readDataFile(ft.dataDir, async (query) => [
      await query(`SELECT aggregation_id, count(*) AS n FROM aggregation_rows GROUP BY ALL`),
      await query(`SELECT aggregation_id FROM aggregations`),
    ]);
    rmSync(ft.dataDir, { recursive: true, force: true });
    assert.deepEqual(rows, [], `result rows left: ${JSON.stringify(rows)}`);
    assert.deepEqual(records, []);
  });

  test('FARMTALLY_AGGREGATION_TRACE logs each statement of an aggregation with its time, the total, then the storing', async () => {
    const ft = await startFarmtally({ env: { FARMTALLY_AGGREGATION_TRACE: '1' } });
    try {
      const farm = await createFarm(ft);
      await postSessions(ft.url, farm.farmId, sessions(farm, 50, 5));
      const { aggregationId } = await startAgg(ft, { ...heavy(farm), period: undefined, groupBy: ['QUEUE_ID'] });
      assert.equal((await readAggregation(ft.client, farm.farmId, aggregationId!)).status, 'COMPLETED');
      // The server's log is JSON lines; the trace is in their messages. The result is stored
      // after COMPLETED, so its line may follow the answer.
      const traced = () => ft.output().split('\n').filter((l) => l.includes(`aggregation ${aggregationId}: `)).map((l) => JSON.parse(l).msg as string);
      for (let waited = 0; waited < 5000 && !traced().some((l) => /: stored in/.test(l)); waited += 50) await new Promise((r) => setTimeout(r, 50));
      const lines = traced();
      assert.ok(lines.some((l) => /: \d+ ms CREATE OR REPLACE TEMP TABLE ft_coded/.test(l)), lines.join('\n'));
      assert.match(lines[lines.length - 2]!, /: COMPLETED in \d+ ms \([\d.]+ ms after its rows were read\)$/);
      assert.match(lines[lines.length - 1]!, /: stored in \d+ ms after COMPLETED$/);
    } finally {
      await ft.stop();
    }
  });

  test('past --aggregation-timeout: TIMEOUT saying what to reduce', async () => {
    const ft = await startFarmtally({ args: ['--aggregation-timeout', '0.001'] });
    try {
      const farm = await createFarm(ft);
      await postSessions(ft.url, farm.farmId, sessions(farm, 2000, 50));
      const { aggregationId } = await startAgg(ft, heavy(farm));
      const page = await readAggregation(ft.client, farm.farmId, aggregationId!);
      assert.equal(page.status, 'TIMEOUT');
      assert.match(page.statusMessage!, /limit of 0.001 s/);
      assert.deepEqual(page.rows, []);
    } finally {
      await ft.stop();
    }
  });
});

test('a running session counts up to the moment Start was called', async () => {
  const ft = await startFarmtally();
  try {
    const farm = await createFarm(ft);
    const rnd = mulberry32(3);
    const startedAt = Date.now() - HOUR;
    await postSessions(ft.url, farm.farmId, [
      {
        sessionId: `session-${hex(rnd)}`, queueId: farm.queueId, fleetId: farm.fleetId, jobId: `job-${hex(rnd)}`, jobName: 'live',
        userId: 'u', workerId: `worker-${hex(rnd)}`, startedAt: new Date(startedAt).toISOString(), licenseProducts: ['maya'],
      },
    ]);
    const input = { ...heavy(farm), startTime: new Date(startedAt - HOUR), endTime: new Date(startedAt + 3 * HOUR), period: undefined, groupBy: ['USAGE_TYPE' as const], statistics: ['SUM' as const] };
    const before = Date.now();
    const { aggregationId } = await startAgg(ft, input);
    const afterStart = Date.now();
    const done = await readAggregation(ft.client, farm.farmId, aggregationId!);
    assert.deepEqual(done.rows.map((r) => r.usageType), ['COMPUTE', 'LICENSE']);
    for (const row of done.rows) {
      const seconds = row.runtimeInSeconds.sum!;
      assert.ok(seconds >= (before - startedAt) / 1000 - 0.001 && seconds <= (afterStart - startedAt) / 1000 + 0.001, `${seconds} s`);
    }
    // customer-managed at the default 1 USD per worker hour
    assert.ok(Math.abs(done.rows[0]!.costInUsd.sum! - done.rows[0]!.runtimeInSeconds.sum! / 3600) < 1e-9);
  } finally {
    await ft.stop();
  }
});
