// Budgets' usage kept current as sessions arrive (operations/budgets/budget-tracker.ts),
// through the SDK against a real server: after every wave of a seeded feed (new sessions,
// closes, reopens, moves between queues and jobs, re-sent records, batches sent at once so
// that they are committed in groups), GetBudget's usage equals the statistics' cost SUM
// over the same queue and window, and no Get after the first runs the cost query again
// (the server's aggregation trace says when it does). A large batch and a deletion, which
// the store does not list change by change, are followed by one new reading.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateBudgetCommand, ListBudgetsCommand } from '@aws-sdk/client-deadline';
import type { SessionRecord } from '../src/domain/resources.js';
import { deleteSessions } from './support/deletions.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { sessionChurn } from './support/session-churn.js';
import { postSessions } from './support/statistics-farm.js';
import { assertClose, budgetFarm, churnPricingFile, HOUR, statisticsSum as sumOf, usageOf as usageVia, wire } from './support/budget-feed.js';

const H = HOUR;
let ft: Farmtally;

before(async () => {
  ft = await startFarmtally({ args: ['--pricing', churnPricingFile()], env: { FARMTALLY_AGGREGATION_TRACE: '1', FARMTALLY_BUDGET_CHECK_MS: '200' } });
});
after(() => ft?.stop());

/** How many times the server has read a budget's cost from the sessions (the trace gives each reading's plan: `aggregation cost of <queue>: plan ...`). */
const costReadings = () => (ft.output().match(/aggregation cost of \S+: plan /g) ?? []).length;
const farm = (costScaleFactor: number) => budgetFarm(ft.client, costScaleFactor);
const statisticsSum = (farmId: string, queueId: string, startMs: number, endMs: number) => sumOf(ft.client, farmId, queueId, startMs, endMs);
const usageOf = (farmId: string, budgetId: string) => usageVia(ft.client, farmId, budgetId);
const close = assertClose;

describe('budget usage kept current', () => {
  for (const seed of [21, 22]) {
    test(`seed ${seed}: after every wave of a feed, usage is the statistics' SUM, without reading the sessions again`, async () => {
      const f = await farm(1.75);
      const churn = sessionChurn(seed, f);
      // A window the feed's sessions straddle (they start over 48 h from t0); in the past, so running sessions count up to its end and both sides are fixed.
      const [startsAt, endsAt] = [churn.t0 + 6 * H, churn.t0 + 40 * H];
      const budgets: { budgetId: string; queueId: string }[] = [];
      for (const queueId of f.queueIds) {
        const { budgetId } = await ft.client.send(new CreateBudgetCommand({
          farmId: f.farmId, displayName: `budget ${queueId}`, usageTrackingResource: { queueId }, approximateDollarLimit: 1e6, actions: [],
          schedule: { fixed: { startTime: new Date(startsAt), endTime: new Date(endsAt) } },
        }));
        budgets.push({ budgetId: budgetId!, queueId });
      }
      const check = async (what: string) => {
        for (const b of budgets) close(await usageOf(f.farmId, b.budgetId), await statisticsSum(f.farmId, b.queueId, startsAt, endsAt), `${what}, queue ${b.queueId}`);
      };
      await check('empty');
      const readings = costReadings();
      let previous: SessionRecord[][] = [];
      for (let wave = 0; wave < 12; wave++) {
        const batches = churn.wave(6);
        // Now and then the last wave again: re-sent records change nothing.
        if (wave % 4 === 3) batches.push(...previous);
        await Promise.all(batches.map((batch) => postSessions(ft.url, f.farmId, batch.map(wire))));
        previous = batches;
        await check(`wave ${wave}`);
      }
      const listed = (await ft.client.send(new ListBudgetsCommand({ farmId: f.farmId }))).budgets!;
      for (const b of budgets) close(listed.find((l) => l.budgetId === b.budgetId)!.usages!.approximateDollarUsage!, await statisticsSum(f.farmId, b.queueId, startsAt, endsAt), 'ListBudgets');
      assert.equal(costReadings(), readings, 'no Get or List read the sessions again: each change moved the usage');
      assert.ok((await usageOf(f.farmId, budgets[0]!.budgetId)) > 0 && (await usageOf(f.farmId, budgets[1]!.budgetId)) > 0, 'the feed cost something in both queues');

      // A deletion is not listed change by change: the next read takes one new reading per budget, and is right.
      const running = churn.next();
      await postSessions(ft.url, f.farmId, [wire(running)]);
      const res = await deleteSessions(ft.url, f.farmId, { startedAtOrAfter: new Date(churn.t0 + 10 * H).toISOString(), startedBefore: new Date(churn.t0 + 30 * H).toISOString() });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.deleted > 0, 'the deletion took sessions in the window');
      await check('after a deletion');
    });
  }

  test('a current window counts running sessions up to now, and a large batch is followed by one new reading', async () => {
    const f = await farm(1.25);
    const now = Date.now();
    const [startsAt, endsAt] = [now - 2 * 24 * H, now + 30 * 24 * H];
    const queueId: string = f.queueIds[0]!;
    const { budgetId = '' } = await ft.client.send(new CreateBudgetCommand({
      farmId: f.farmId, displayName: 'this month', usageTrackingResource: { queueId }, approximateDollarLimit: 1e6, actions: [],
      schedule: { fixed: { startTime: new Date(startsAt), endTime: new Date(endsAt) } },
    }));
    const record = (n: number, startedAt: number, endedAt?: number): SessionRecord => ({
      sessionId: `session-${n.toString(16).padStart(32, '0')}`, queueId, fleetId: f.fleetIds[1]!, jobId: `job-${'c'.repeat(32)}`, jobName: 'shot', userId: 'ana',
      workerId: `worker-${'d'.repeat(32)}`, instanceType: 'c5.4xlarge', startedAt, ...(endedAt !== undefined && { endedAt }),
    });
    await postSessions(ft.url, f.farmId, [record(1, now - 3 * H), record(2, now - 30 * H, now - 20 * H), record(3, now - 50 * 24 * H, now - 47 * 24 * H)].map(wire));
    const bracketed = async (what: string) => {
      const low = await statisticsSum(f.farmId, queueId, startsAt, endsAt);
      const usage = await usageOf(f.farmId, budgetId);
      const high = await statisticsSum(f.farmId, queueId, startsAt, endsAt);
      const atMost = (a: number, b: number) => a <= b + 1e-9 * Math.abs(b);
      assert.ok(atMost(low, usage) && atMost(usage, high), `${what}: ${low} <= ${usage} <= ${high}`);
      return usage;
    };
    const first = await bracketed('a running session');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok((await bracketed('later')) > first, 'usage grows while the session runs');
    // Closed now: usage stops growing.
    await postSessions(ft.url, f.farmId, [wire(record(1, now - 3 * H, now - H))]);
    close(await usageOf(f.farmId, budgetId), await statisticsSum(f.farmId, queueId, startsAt, endsAt), 'closed');

    // A body past the group-commit size is merged in SQL: its changes are not listed, so one new reading follows.
    const readings = costReadings();
    const many = Array.from({ length: 8000 }, (_, i) => wire(record(1000 + i, now - (1 + (i % 40)) * H, now - (1 + (i % 40)) * H + 30 * 60_000)));
    await postSessions(ft.url, f.farmId, many);
    close(await usageOf(f.farmId, budgetId), await statisticsSum(f.farmId, queueId, startsAt, endsAt), 'after a large batch');
    assert.equal(costReadings(), readings + 1, 'one new reading after the large batch');
    close(await usageOf(f.farmId, budgetId), await statisticsSum(f.farmId, queueId, startsAt, endsAt), 'read again');
    assert.equal(costReadings(), readings + 1, 'and none more');
  });
});
