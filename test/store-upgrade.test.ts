// What the store keeps beside the sessions for speed (integer codes, session keys, session
// length bounds) must never change an answer: a data file written before they existed is
// upgraded on start, and bounds widened by later ingest still split every session fully.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CreateBudgetCommand, CreateFarmCommand, CreateQueueCommand, GetBudgetCommand, paginateListJobs, type StartSessionsStatisticsAggregationCommandInput,
} from '@aws-sdk/client-deadline';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateFarm, referenceAggregate, type GeneratedFarm, type RefGroupBy, type RefPeriod, type RefSession } from './reference/aggregate-reference.js';
import { assertSameRows } from './support/same-rows.js';
import { http, readDataFile, startFarmtally, type Farmtally } from './support/server.js';
import { postSessions, readAggregation, runAggregation, serveGeneratedFarm } from './support/statistics-farm.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function agreesWithReference(ft: Farmtally, farm: GeneratedFarm, period: RefPeriod, groupBy: RefGroupBy[], timezone?: string): Promise<void> {
  const queueIds = farm.queues.map((q) => q.queueId);
  const input: StartSessionsStatisticsAggregationCommandInput = {
    farmId: farm.farmId,
    resourceIds: { queueIds },
    startTime: new Date(farm.spanStartMs),
    endTime: new Date(farm.spanEndMs),
    timezone,
    period,
    groupBy,
    statistics: ['SUM', 'MIN', 'MAX', 'AVG'],
  };
  const got = await runAggregation(ft.client, input);
  const what = `${period} ${timezone ?? 'UTC'} by ${groupBy.join('+')}`;
  assert.equal(got.status, 'COMPLETED', `${what}: ${got.statusMessage}`);
  const expected = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, {
    startMs: farm.spanStartMs, endMs: farm.spanEndMs, timezone, period, groupBy, statistics: input.statistics!, queueIds, asOfMs: Date.now(),
  });
  assert.ok(expected.rows.length > 0, what);
  assertSameRows(got.rows, expected.rows, what);
}

/** Rewrites a data file's sessions table to farmtally 0.1.0's layout (no keys, codes or bounds). */
async function downgradeToFirstLayout(dataDir: string): Promise<void> {
  const instance = await DuckDBInstance.create(join(dataDir, 'farmtally.duckdb'));
  const c = await instance.connect();
  await c.run(`CREATE TABLE sessions_first AS SELECT farm_id, session_id, queue_id, job_id, job_name, user_id, fleet_id, worker_id,
    instance_type, started_at, ended_at, license_products, updated_at FROM sessions`);
  await c.run(`DROP TABLE sessions`);
  await c.run(`ALTER TABLE sessions_first RENAME TO sessions`);
  await c.run(`DROP TABLE value_codes`);
  await c.run(`DROP TABLE farm_session_spans`);
  await c.run(`DROP TABLE running_sessions`);
  c.closeSync();
  instance.closeSync();
}

const toWire = (s: RefSession) => ({
  ...s,
  fleetKind: undefined,
  startedAt: new Date(s.startedAt).toISOString(),
  endedAt: s.endedAt === undefined ? undefined : new Date(s.endedAt).toISOString(),
});

test('a data file from before session codes is upgraded on start and gives the same rows', async () => {
  const served = await serveGeneratedFarm(generateFarm(4401, { sessions: 250 }));
  const { farm } = served;
  await served.ft.stop(false);
  await downgradeToFirstLayout(served.ft.dataDir);

  const ft = await startFarmtally({ dataDir: served.ft.dataDir, args: ['--pricing', join(served.ft.dataDir, 'pricing.json')] });
  try {
    assert.match(ft.output(), /Upgrading the data file: coding \d+ sessions/);
    await agreesWithReference(ft, farm, 'DAILY', ['QUEUE_ID', 'LICENSE_PRODUCT']);
    await agreesWithReference(ft, farm, 'WEEKLY', ['JOB_ID', 'USER_ID', 'INSTANCE_TYPE'], 'UTC+05:30');
    await agreesWithReference(ft, farm, 'MONTHLY', ['FLEET_ID', 'USAGE_TYPE'], 'America/New_York');
    // The upgraded sessions are found again by their keys: sending them again changes nothing.
    const again = await postSessions(ft.url, farm.farmId, farm.sessions.map(toWire));
    assert.deepEqual(again, { received: farm.sessions.length, created: 0, updated: 0, unchanged: farm.sessions.length });
  } finally {
    await ft.stop();
  }
});

/** Takes a data file back to 0.2's layout: sessions without seq, jobs without job_key or last_ended_at, running sessions without their job. */
async function downgradeToSecondLayout(dataDir: string): Promise<void> {
  const instance = await DuckDBInstance.create(join(dataDir, 'farmtally.duckdb'));
  const c = await instance.connect();
  await c.run(`DROP INDEX jobs_by_key`);
  // 0.2 had neither seq nor batch_id (added later, after seq).
  await c.run(`ALTER TABLE sessions DROP COLUMN batch_id`);
  await c.run(`ALTER TABLE sessions DROP COLUMN seq`);
  await c.run(`ALTER TABLE jobs DROP COLUMN job_key`);
  await c.run(`ALTER TABLE jobs DROP COLUMN last_ended_at`);
  await c.run(`CREATE TABLE running_before AS SELECT farm_id, session_id, started_at FROM running_sessions`);
  await c.run(`DROP TABLE running_sessions`);
  await c.run(`CREATE TABLE running_sessions (farm_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL, started_at BIGINT NOT NULL, PRIMARY KEY (farm_id, session_id))`);
  await c.run(`INSERT INTO running_sessions SELECT * FROM running_before`);
  await c.run(`DROP TABLE running_before`);
  c.closeSync();
  instance.closeSync();
}

test('a data file from before streaming ingest (0.2) is upgraded on start: jobs and sessions are found by key, and closing the last running session ends its job', async () => {
  const served = await serveGeneratedFarm(generateFarm(4404, { sessions: 300 }));
  const { farm } = served;
  const running = farm.sessions.filter((s) => s.endedAt === undefined);
  assert.ok(running.length > 0, 'the generated farm has running sessions');
  const jobsBefore = await listAllJobs(served.ft, farm);
  await served.ft.stop(false);
  await downgradeToSecondLayout(served.ft.dataDir);

  const ft = await startFarmtally({ dataDir: served.ft.dataDir, args: ['--pricing', join(served.ft.dataDir, 'pricing.json')] });
  try {
    assert.match(ft.output(), /numbering sessions and keying jobs/);
    assert.match(ft.output(), /sessions now name the ingest batch that wrote them/);
    assert.deepEqual(await listAllJobs(ft, farm), jobsBefore);
    const again = await postSessions(ft.url, farm.farmId, farm.sessions.map(toWire));
    assert.deepEqual(again, { received: farm.sessions.length, created: 0, updated: 0, unchanged: farm.sessions.length });
    // Every running session ends now: each job's end is then the latest end of its sessions.
    const closed = farm.sessions.map((s) => (s.endedAt === undefined ? { ...s, endedAt: s.startedAt + 2 * HOUR } : s));
    assert.deepEqual(await postSessions(ft.url, farm.farmId, closed.map(toWire)), { received: closed.length, created: 0, updated: running.length, unchanged: closed.length - running.length });
    const ends = new Map<string, number>();
    for (const s of closed) ends.set(s.jobId, Math.max(ends.get(s.jobId) ?? 0, s.endedAt!));
    for (const job of await listAllJobs(ft, farm)) assert.equal((job.endedAt as Date | undefined)?.getTime(), ends.get(job.jobId as string), `job ${job.jobId}`);
    await agreesWithReference(ft, { ...farm, sessions: closed }, 'DAILY', ['QUEUE_ID', 'LICENSE_PRODUCT']);
  } finally {
    await ft.stop();
  }
});

async function listAllJobs(ft: Farmtally, farm: GeneratedFarm): Promise<Record<string, unknown>[]> {
  const jobs: Record<string, unknown>[] = [];
  for (const q of farm.queues) {
    for await (const page of paginateListJobs({ client: ft.client, pageSize: 100 }, { farmId: farm.farmId, queueId: q.queueId })) {
      for (const { updatedAt: _, ...job } of page.jobs ?? []) jobs.push(job);
    }
  }
  return jobs.sort((a, b) => String(a.jobId).localeCompare(String(b.jobId)));
}

/** Moves an aggregation's rows to a table of its own, as farmtally kept them before 0.2. */
async function downgradeResultRows(dataDir: string, aggregationId: string): Promise<void> {
  const instance = await DuckDBInstance.create(join(dataDir, 'farmtally.duckdb'));
  const c = await instance.connect();
  await c.run(`CREATE TABLE agg_rows_${aggregationId} AS SELECT * EXCLUDE (aggregation_id, created_at) FROM aggregation_rows WHERE aggregation_id = '${aggregationId}' ORDER BY row_index`);
  await c.run(`DROP TABLE aggregation_rows`);
  c.closeSync();
  instance.closeSync();
}

test('aggregation results kept in a table each (before 0.2) are moved into one table on start, and read the same', async () => {
  const served = await serveGeneratedFarm(generateFarm(4403, { sessions: 200 }));
  const { farm } = served;
  const before = await runAggregation(served.ft.client, {
    farmId: farm.farmId, resourceIds: { queueIds: farm.queues.map((q) => q.queueId) }, startTime: new Date(farm.spanStartMs), endTime: new Date(farm.spanEndMs),
    period: 'DAILY', groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'],
  }, 7);
  assert.ok(before.rows.length > 20, `${before.rows.length} rows`);
  await served.ft.stop(false);
  await downgradeResultRows(served.ft.dataDir, before.aggregationId);

  const ft = await startFarmtally({ dataDir: served.ft.dataDir });
  try {
    assert.match(ft.output(), /moving the rows of 1 aggregations into one table/);
    const after = await readAggregation(ft.client, farm.farmId, before.aggregationId, 7);
    assert.deepEqual(after, before);
  } finally {
    await ft.stop();
  }
});

/** Takes created_at out of the result rows, as farmtally kept them before 0.3. */
async function unkeyResultRows(dataDir: string): Promise<void> {
  const instance = await DuckDBInstance.create(join(dataDir, 'farmtally.duckdb'));
  const c = await instance.connect();
  await c.run(`ALTER TABLE aggregation_rows DROP COLUMN created_at`);
  c.closeSync();
  instance.closeSync();
}

test('result rows without created_at (before 0.3) are given their aggregation\'s on start, and read the same', async () => {
  const served = await serveGeneratedFarm(generateFarm(4404, { sessions: 200 }));
  const { farm } = served;
  const before = await runAggregation(served.ft.client, {
    farmId: farm.farmId, resourceIds: { queueIds: farm.queues.map((q) => q.queueId) }, startTime: new Date(farm.spanStartMs), endTime: new Date(farm.spanEndMs),
    period: 'DAILY', groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'AVG'],
  }, 9);
  assert.ok(before.rows.length > 20, `${before.rows.length} rows`);
  await served.ft.stop(false);
  await unkeyResultRows(served.ft.dataDir);

  const ft = await startFarmtally({ dataDir: served.ft.dataDir });
  try {
    const after = await readAggregation(ft.client, farm.farmId, before.aggregationId, 9);
    assert.deepEqual(after, before);
  } finally {
    await ft.stop(false);
  }
  const [unkeyed] = await readDataFile(ft.dataDir, async (query) => [await query(`SELECT count(*)::INTEGER AS n FROM aggregation_rows r JOIN aggregations a USING (aggregation_id) WHERE r.created_at IS DISTINCT FROM a.created_at`)]);
  rmSync(ft.dataDir, { recursive: true, force: true });
  assert.deepEqual(unkeyed, [{ n: 0 }]);
});

test('a data file from before budgets gets their table on start, and its queues take budgets', async () => {
  const first = await startFarmtally();
  const { farmId } = await first.client.send(new CreateFarmCommand({ displayName: 'before budgets' }));
  const { queueId } = await first.client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  await first.stop(false);
  const instance = await DuckDBInstance.create(join(first.dataDir, 'farmtally.duckdb'));
  const c = await instance.connect();
  await c.run(`DROP TABLE budgets`);
  c.closeSync();
  instance.closeSync();

  const ft = await startFarmtally({ dataDir: first.dataDir });
  try {
    const { budgetId } = await ft.client.send(new CreateBudgetCommand({
      farmId, displayName: 'b', usageTrackingResource: { queueId: queueId! }, approximateDollarLimit: 5, actions: [],
      schedule: { fixed: { startTime: new Date('2026-01-01T00:00:00Z'), endTime: new Date('2027-01-01T00:00:00Z') } },
    }));
    assert.equal((await ft.client.send(new GetBudgetCommand({ farmId, budgetId }))).displayName, 'b');
  } finally {
    await ft.stop();
  }
});

test('a data file whose budgets are all on queues (before fleet, user and farm budgets) is upgraded on start: its budget reads as before, and farm and user budgets are taken', async () => {
  const first = await startFarmtally();
  const { farmId } = await first.client.send(new CreateFarmCommand({ displayName: 'before fleet budgets' }));
  const { queueId } = await first.client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  const schedule = { fixed: { startTime: new Date('2026-01-01T00:00:00Z'), endTime: new Date('2027-01-01T00:00:00Z') } };
  const { budgetId } = await first.client.send(new CreateBudgetCommand({
    farmId, displayName: 'on a queue', usageTrackingResource: { queueId: queueId! }, approximateDollarLimit: 5, actions: [], schedule,
  }));
  await first.stop(false);
  // The budgets table as it was: queue_id NOT NULL, no fleet_id, recurring nor user_id.
  const instance = await DuckDBInstance.create(join(first.dataDir, 'farmtally.duckdb'));
  const c = await instance.connect();
  await c.run(`CREATE TABLE budgets_before AS SELECT * EXCLUDE (fleet_id, recurring, user_id) FROM budgets`);
  await c.run(`DROP TABLE budgets`);
  await c.run(`CREATE TABLE budgets (
     farm_id VARCHAR NOT NULL, budget_id VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, description VARCHAR,
     queue_id VARCHAR NOT NULL, approximate_dollar_limit DOUBLE NOT NULL, actions VARCHAR NOT NULL,
     starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, status VARCHAR NOT NULL, tags VARCHAR,
     created_at BIGINT NOT NULL, created_by VARCHAR NOT NULL, updated_at BIGINT, updated_by VARCHAR, queue_stopped_at BIGINT)`);
  await c.run(`INSERT INTO budgets SELECT * FROM budgets_before`);
  await c.run(`DROP TABLE budgets_before`);
  c.closeSync();
  instance.closeSync();

  const ft = await startFarmtally({ dataDir: first.dataDir });
  try {
    const before = await ft.client.send(new GetBudgetCommand({ farmId, budgetId }));
    assert.deepEqual([before.displayName, before.usageTrackingResource], ['on a queue', { queueId }]);
    const res = await http(ft.url, 'POST', `/2023-10-12/farms/${farmId}/budgets`, {
      body: JSON.stringify({ displayName: 'whole farm', usageTrackingResource: { farmId }, approximateDollarLimit: 5, actions: [], schedule }),
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await http(ft.url, 'GET', `/2023-10-12/farms/${farmId}/budgets/${res.body.budgetId}`)).body.usageTrackingResource, { farmId });
    const onUser = await http(ft.url, 'POST', `/2023-10-12/farms/${farmId}/budgets`, {
      body: JSON.stringify({ displayName: 'a user', usageTrackingResource: { userId: 'ana' }, approximateDollarLimit: 5, actions: [], schedule }),
    });
    assert.equal(onUser.status, 200, onUser.text);
    assert.deepEqual((await http(ft.url, 'GET', `/2023-10-12/farms/${farmId}/budgets/${onUser.body.budgetId}`)).body.usageTrackingResource, { userId: 'ana' });
  } finally {
    await ft.stop();
  }
});

test('sessions that grow long after the first aggregation are still split over every bucket', async () => {
  // Only short, finished sessions at first: the server's bound on session length picks the
  // plan for short spans. Then one session starts running, and one grows to ten days.
  const generated = generateFarm(4402, { sessions: 300 });
  const short = generated.sessions.filter((s) => s.endedAt !== undefined && s.endedAt - s.startedAt < 6 * HOUR);
  const served = await serveGeneratedFarm({ ...generated, sessions: short });
  let farm = served.farm;
  const ft = served.ft;
  try {
    await agreesWithReference(ft, farm, 'HOURLY', ['QUEUE_ID']);
    await agreesWithReference(ft, farm, 'DAILY', ['USAGE_TYPE', 'LICENSE_PRODUCT'], 'UTC-03:30');
    await agreesWithReference(ft, farm, 'MONTHLY', ['FLEET_ID', 'INSTANCE_TYPE'], 'UTC+05:45');

    // A running session over parts of four days: within the short-span plan, but only if the
    // server counts it (finished sessions alone would allow two days).
    const [grown, running] = [farm.sessions[0]!, farm.sessions[1]!];
    const runningNow: RefSession = { ...running, startedAt: farm.spanEndMs - 3 * DAY - 5 * HOUR, endedAt: undefined };
    assert.deepEqual(await postSessions(ft.url, farm.farmId, [toWire(runningNow)]), { received: 1, created: 0, updated: 1, unchanged: 0 });
    farm = { ...farm, sessions: farm.sessions.map((s) => (s.sessionId === running.sessionId ? runningNow : s)) };
    await agreesWithReference(ft, farm, 'DAILY', ['USAGE_TYPE', 'LICENSE_PRODUCT']);
    await agreesWithReference(ft, farm, 'DAILY', ['QUEUE_ID'], 'UTC-03:30');

    const grownLong: RefSession = { ...grown, endedAt: grown.startedAt + 10 * DAY + 7 * HOUR };
    assert.deepEqual(await postSessions(ft.url, farm.farmId, [toWire(grownLong)]), { received: 1, created: 0, updated: 1, unchanged: 0 });
    farm = { ...farm, sessions: farm.sessions.map((s) => (s.sessionId === grown.sessionId ? grownLong : s)) };
    await agreesWithReference(ft, farm, 'HOURLY', ['QUEUE_ID']);
    await agreesWithReference(ft, farm, 'DAILY', ['USAGE_TYPE', 'LICENSE_PRODUCT'], 'UTC-03:30');
    await agreesWithReference(ft, farm, 'WEEKLY', ['JOB_ID']);
    await agreesWithReference(ft, farm, 'MONTHLY', ['QUEUE_ID', 'USAGE_TYPE'], 'UTC-09:30');
  } finally {
    await ft.stop();
  }
});
