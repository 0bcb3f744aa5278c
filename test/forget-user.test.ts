// ForgetUser (an extension): a user ID replaced by a stable pseudonym in every stored session
// of the farm, its jobs, budgets on the user, and results already computed; the same pseudonym every time; logged
// without the ID; other farms untouched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GetJobCommand, GetSessionCommand, paginateListJobs, paginateListSessions } from '@aws-sdk/client-deadline';
import { forgetUser, sessionAt } from './support/deletions.js';
import { http, readDataFile, startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, postSessions, toNdjson, type FarmParents, type IngestRecord } from './support/session-records.js';
import { readAggregation, runAggregation } from './support/statistics-farm.js';

// IDs a log line or a data file could not hold by chance; one with a slash and a space, as directory user names have.
const ANA = 'studio/ana lopez';
const CARL = 'carl.forgotten.test@studio.example';
const BEN = 'ben';

let ft: Farmtally;
before(async () => {
  ft = await startFarmtally();
});
after(async () => ft.stop());

async function ingest(farmId: string, records: IngestRecord[]): Promise<void> {
  const res = await postSessions(ft.url, farmId, toNdjson(records));
  assert.equal(res.status, 200, res.text);
}

/** Sessions per user, by an aggregation grouped by USER_ID (COMPUTE records: one a session). */
async function perUser(p: FarmParents): Promise<{ aggregationId: string; counts: Record<string, number> }> {
  const result = await runAggregation(ft.client, {
    farmId: p.farmId, resourceIds: { queueIds: [p.queueId] }, startTime: new Date('2025-01-01T00:00:00Z'), endTime: new Date('2026-01-01T00:00:00Z'),
    groupBy: ['USER_ID', 'USAGE_TYPE'], statistics: ['SUM'],
  });
  assert.equal(result.status, 'COMPLETED');
  return { aggregationId: result.aggregationId, counts: countsOf(result.rows) };
}

const countsOf = (rows: unknown[]) => {
  const counts: Record<string, number> = {};
  for (const r of rows as { userId: string; usageType: string; count: number }[]) if (r.usageType === 'COMPUTE') counts[r.userId] = (counts[r.userId] ?? 0) + r.count;
  return counts;
};

async function jobCreators(p: FarmParents): Promise<string[]> {
  const users: string[] = [];
  for await (const page of paginateListJobs({ client: ft.client }, { farmId: p.farmId, queueId: p.queueId })) users.push(...(page.jobs ?? []).map((j) => j.createdBy!));
  return users.sort();
}

test('a user ID is replaced by the same pseudonym everywhere the farm holds it, and nowhere else', async () => {
  const p = await farmWithParents(ft.client, 'forget');
  const other = await farmWithParents(ft.client, 'other farm');
  const mixedJob = sessionAt(p, 0).jobId;
  const records = [
    ...Array.from({ length: 5 }, (_, h) => sessionAt(p, h, { userId: ANA })),
    sessionAt(p, 6, { userId: BEN, jobId: mixedJob }),
    sessionAt(p, 7, { userId: ANA, jobId: mixedJob }),
    sessionAt(p, 8, { userId: ANA, running: true }),
    ...Array.from({ length: 3 }, (_, h) => sessionAt(p, 10 + h, { userId: BEN })),
    sessionAt(p, 20, { userId: CARL }),
  ];
  await ingest(p.farmId, records);
  await ingest(other.farmId, [sessionAt(other, 0, { userId: ANA })]);
  const before = await perUser(p);
  assert.deepEqual(before.counts, { [ANA]: 7, [BEN]: 4, [CARL]: 1 });
  // A budget on the user (an extension): it goes on tracking the same sessions under the pseudonym.
  const budgetPath = `/2023-10-12/farms/${p.farmId}/budgets`;
  const budget = await http(ft.url, 'POST', budgetPath, {
    body: JSON.stringify({
      displayName: 'ana', usageTrackingResource: { userId: ANA }, approximateDollarLimit: 1e6, actions: [],
      schedule: { fixed: { startTime: '2025-01-01T00:00:00Z', endTime: '2026-01-01T00:00:00Z' } },
    }),
  });
  assert.equal(budget.status, 200, budget.text);
  const budgetNow = async () => (await http(ft.url, 'GET', `${budgetPath}/${budget.body.budgetId}`)).body;
  const usageBefore = (await budgetNow()).usages.approximateDollarUsage as number;
  assert.ok(usageBefore > 0, `the user's budget counts the user's sessions (${usageBefore})`);

  const res = await forgetUser(ft.url, p.farmId, ANA);
  assert.equal(res.status, 200, res.text);
  const { pseudonym, sessions } = res.body as { pseudonym: string; sessions: number };
  assert.match(pseudonym, /^forgotten-[0-9a-f]{32}$/);
  assert.equal(sessions, 7);

  // A new aggregation by user shows the pseudonym with the user's counts; the one computed before does too.
  assert.deepEqual((await perUser(p)).counts, { [pseudonym]: 7, [BEN]: 4, [CARL]: 1 });
  assert.deepEqual(countsOf((await readAggregation(ft.client, p.farmId, before.aggregationId)).rows), { [pseudonym]: 7, [BEN]: 4, [CARL]: 1 });
  const renamed = await budgetNow();
  assert.deepEqual(renamed.usageTrackingResource, { userId: pseudonym });
  assert.equal(renamed.usages.approximateDollarUsage, usageBefore);
  // Jobs (createdBy is the user of their last record); sessions carry no user on the wire, and are all still there.
  assert.deepEqual(await jobCreators(p), [...Array(3).fill(BEN), ...Array(7).fill(pseudonym), CARL].sort());
  const mixed = await ft.client.send(new GetJobCommand({ farmId: p.farmId, queueId: p.queueId, jobId: mixedJob }));
  assert.equal(mixed.createdBy, pseudonym);
  let listed = 0;
  for await (const page of paginateListSessions({ client: ft.client }, { farmId: p.farmId, queueId: p.queueId, jobId: mixedJob })) listed += page.sessions?.length ?? 0;
  assert.equal(listed, 2);
  const running = records.find((r) => r.endedAt === undefined)!;
  const session = await ft.client.send(new GetSessionCommand({ farmId: p.farmId, queueId: p.queueId, jobId: running.jobId, sessionId: running.sessionId }));
  assert.equal(session.lifecycleStatus, 'STARTED');
  assert.ok(!JSON.stringify(session).includes('ana lopez'));

  // The same pseudonym again, with nothing left to change; and after new sessions came in under the ID.
  assert.deepEqual((await forgetUser(ft.url, p.farmId, ANA)).body, { pseudonym, sessions: 0 });
  const returning = sessionAt(p, 30, { userId: ANA });
  await ingest(p.farmId, [returning]);
  assert.deepEqual((await forgetUser(ft.url, p.farmId, ANA)).body, { pseudonym, sessions: 1 });
  assert.deepEqual((await perUser(p)).counts, { [pseudonym]: 8, [BEN]: 4, [CARL]: 1 });
  // The running session was held by the writer under the old ID: closing it now updates the pseudonymised one.
  const closed = { ...running, userId: pseudonym, endedAt: new Date(Date.parse(running.startedAt) + 3_600_000).toISOString() };
  const close = await postSessions(ft.url, p.farmId, toNdjson([closed]));
  assert.deepEqual([close.body.updated, close.body.unchanged], [1, 0]);

  // Another farm's user of that ID keeps it; the same user there would get another pseudonym.
  const otherPerUser = await runAggregation(ft.client, {
    farmId: other.farmId, resourceIds: { queueIds: [other.queueId] }, startTime: new Date('2025-01-01T00:00:00Z'), endTime: new Date('2026-01-01T00:00:00Z'),
    groupBy: ['USER_ID'], statistics: ['SUM'],
  });
  assert.deepEqual(otherPerUser.rows.map((r) => (r as unknown as { userId: string }).userId), [ANA]);
  const there = await forgetUser(ft.url, other.farmId, ANA);
  assert.notEqual(there.body.pseudonym, pseudonym);

  // CARL is in no other farm: once forgotten, the data file holds the ID nowhere (its value code goes too).
  assert.equal((await forgetUser(ft.url, p.farmId, CARL)).body.sessions, 1);

  // The log says which farm, how many and the pseudonym, never the forgotten IDs (the request lines neither).
  assert.match(ft.output(), new RegExp(`"farmId":"${p.farmId}","pseudonym":"${pseudonym}","sessions":7,"msg":"user given a pseudonym"`));
  assert.match(ft.output(), /"path":"\/ingest\/v1\/farms\/farm-[0-9a-f]{32}\/users\/\{userId\}\/forget"/);
  for (const id of [ANA, encodeURIComponent(ANA), CARL]) assert.ok(!ft.output().includes(id), `the log holds ${id}`);

  await ft.stop(false);
  const found = await readDataFile(ft.dataDir, async (query) => {
    const count = async (sql: string) => Number(((await query(sql))[0] as { n: unknown }).n);
    return {
      sessions: await count(`SELECT count(*) AS n FROM sessions WHERE farm_id = '${p.farmId}' AND user_id IN ('${ANA}', '${CARL}')`),
      jobs: await count(`SELECT count(*) AS n FROM jobs WHERE farm_id = '${p.farmId}' AND user_id IN ('${ANA}', '${CARL}')`),
      results: await count(`SELECT count(*) AS n FROM aggregation_rows WHERE user_id IN ('${ANA}', '${CARL}')`),
      budgets: await count(`SELECT count(*) AS n FROM budgets WHERE user_id IN ('${ANA}', '${CARL}')`),
      carlCode: await count(`SELECT count(*) AS n FROM value_codes WHERE value = '${CARL}'`),
      anaCode: await count(`SELECT count(*) AS n FROM value_codes WHERE value = '${ANA}'`),
    };
  });
  assert.deepEqual(found, { sessions: 0, jobs: 0, results: 0, budgets: 0, carlCode: 0, anaCode: 0 });
  ft = await startFarmtally({ dataDir: ft.dataDir });
});

test('the user ID is 1 to 128 characters; an unknown farm is ResourceNotFoundException', async () => {
  const p = await farmWithParents(ft.client, 'forget errors');
  const long = await forgetUser(ft.url, p.farmId, 'x'.repeat(129));
  assert.deepEqual([long.status, long.headers.get('x-amzn-errortype'), long.body.fieldList?.[0]?.name], [400, 'ValidationException', 'userId']);
  const unknown = await forgetUser(ft.url, `farm-${'0'.repeat(32)}`, BEN);
  assert.deepEqual([unknown.status, unknown.body.resourceType], [404, 'farm']);
  const nobody = await forgetUser(ft.url, p.farmId, 'nobody');
  assert.equal(nobody.body.sessions, 0);
});
