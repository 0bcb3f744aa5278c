// A recurring budget at the turn of its period (operations/budgets/budget-tracker.ts), on a
// DuckDB store with the tracker's clock in the test's hands: March's crossing stops the queue
// and is announced; on April 1st the usage starts again from 0, queueStoppedAt is cleared by
// the check, and April's crossing is announced anew (its event names April's window).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { BudgetThresholdEvent } from '../src/domain/budget-events.js';
import { NO_END } from '../src/domain/budget-window.js';
import { DEFAULT_RATE_CARD } from '../src/domain/pricing.js';
import { newId, type Budget } from '../src/domain/resources.js';
import { BudgetTracker } from '../src/operations/budgets/budget-tracker.js';
import { openDuckDbStore } from '../src/store/duckdb/index.js';
import { parents, record } from './store-contract/fixtures.js';

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'farmtally-period-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a monthly budget starts again from 0 each month: the stop is cleared, and the threshold is announced anew', async () => {
  const store = await openDuckDbStore({ dataDir: join(dir, 'data') });
  let now = Date.UTC(2026, 2, 20);
  const published: BudgetThresholdEvent[] = [];
  const tracker = new BudgetTracker({
    store, rateCard: DEFAULT_RATE_CARD, timeoutMs: 30_000, now: () => now, log: (m) => assert.fail(m),
    publish: async (events) => void published.push(...events),
  });
  try {
    const p = await parents(store);
    const budget: Budget = {
      farmId: p.farmId, budgetId: newId('budget'), displayName: 'monthly', queueId: p.queueId, approximateDollarLimit: 1,
      actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 }], recurring: 'MONTHLY',
      startsAt: Date.UTC(2026, 0, 15), endsAt: NO_END, status: 'ACTIVE', createdAt: Date.UTC(2026, 0, 1), createdBy: 'test',
    };
    assert.equal(await store.createBudget(budget), 'created');
    const farm = (await store.getFarm(p.farmId))!;
    const usage = async () => tracker.usage(farm, (await store.getBudget(p.farmId, budget.budgetId))!, now);
    const check = async () => {
      await tracker.sweep();
      await tracker.settled();
      return (await store.getBudget(p.farmId, budget.budgetId))!;
    };

    // February (a period past) and March: only March's hour counts in March, at the customer-managed rate.
    const hour = (startedAt: number) => record(p, { instanceType: undefined, startedAt, endedAt: startedAt + HOUR });
    await store.writeSessions(p.farmId, [hour(Date.UTC(2026, 1, 10)), hour(Date.UTC(2026, 2, 10))], now);
    const march = await usage();
    assert.ok(march >= 0.5, `March crosses 50 %: ${march}`);
    const stopped = await check();
    assert.equal(stopped.queueStoppedAt, now);
    assert.deepEqual(published.map((e) => e.eventId), [`${budget.budgetId}:2026-03-01T00:00:00.000Z:50%:1`]);
    assert.deepEqual([published[0]!.scope, published[0]!.queueId], ['queue', p.queueId]);

    // April 1st: a new period, nothing used yet; the check clears the stop and announces nothing.
    now = Date.UTC(2026, 3, 1, 0, 0, 1);
    assert.equal(await usage(), 0);
    assert.equal((await check()).queueStoppedAt, undefined);
    assert.equal(published.length, 1);

    // April's own hour crosses again: announced anew, named by April's window.
    now = Date.UTC(2026, 3, 2);
    await store.writeSessions(p.farmId, [hour(Date.UTC(2026, 3, 1, 6))], now);
    assert.equal(await usage(), march);
    assert.equal((await check()).queueStoppedAt, now);
    assert.deepEqual(published.map((e) => e.eventId).slice(1), [`${budget.budgetId}:2026-04-01T00:00:00.000Z:50%:1`]);
  } finally {
    await tracker.stop();
    await store.close();
  }
});
