// The contract's outbox of budget notifications: an event is recorded once by its ID (repeats
// in one call, later calls, calls at once, and after delivery all record nothing), read back
// whole while pending, soonest due first, claimed for an attempt by one caller of several,
// deferred with its attempts counted, and never pending again once delivered.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { budgetThresholdEventId, type BudgetThresholdEvent } from '../../src/domain/budget-events.js';
import type { BudgetEventStore, PendingBudgetEvent } from '../../src/store/store.js';

export function thresholdEvent(overrides: Partial<BudgetThresholdEvent> = {}): BudgetThresholdEvent {
  const budgetId = `budget-${randomUUID().replace(/-/g, '')}`;
  return {
    eventId: budgetThresholdEventId(budgetId, Date.UTC(2026, 0, 1), 80, 1234.5),
    type: 'BUDGET_THRESHOLD_REACHED',
    farmId: 'farm-0123456789abcdef0123456789abcdef',
    budgetId,
    budgetName: 'May shots ✓',
    queueId: 'queue-0123456789abcdef0123456789abcdef',
    thresholdPercentage: 80,
    actionType: 'STOP_SCHEDULING_AND_COMPLETE_TASKS',
    approximateDollarLimit: 1234.5,
    approximateDollarUsage: 987.654321,
    occurredAt: Date.UTC(2026, 0, 17, 9, 30, 12, 345),
    ...overrides,
  };
}

/** The pending entries of these events (other tests' events may be pending too), in the store's order. */
async function pendingOf(store: BudgetEventStore, events: readonly BudgetThresholdEvent[]): Promise<PendingBudgetEvent[]> {
  const ids = new Set(events.map((e) => e.eventId));
  return (await store.pendingBudgetEvents(10_000)).filter((p) => ids.has(p.event.eventId));
}

export function budgetEventContract(store: () => BudgetEventStore): void {
  describe('budget events (the notifications outbox)', () => {
    test('an event is recorded once: repeats in one call and in later calls are not new', async () => {
      const a = thresholdEvent();
      const b = thresholdEvent({ thresholdPercentage: 100 });
      assert.deepEqual(await store().recordBudgetEvents([a, b, a]), [a, b]);
      assert.deepEqual(await store().recordBudgetEvents([b, a]), []);
      const c = thresholdEvent();
      assert.deepEqual(await store().recordBudgetEvents([a, c]), [c]);
      assert.deepEqual(await store().recordBudgetEvents([]), []);
      const pending = await pendingOf(store(), [a, b, c]);
      assert.equal(pending.length, 3);
      // Read back whole, every member as recorded; due at once, never tried.
      assert.deepEqual(pending.find((p) => p.event.eventId === a.eventId), { event: a, attempts: 0, nextAttemptAt: 0 });
      await store().markBudgetEventsDelivered([a.eventId, b.eventId, c.eventId]);
    });

    test('calls at once record each ID exactly once between them', async () => {
      const events = Array.from({ length: 20 }, () => thresholdEvent());
      const answers = await Promise.all([store().recordBudgetEvents(events), store().recordBudgetEvents([...events].reverse()), store().recordBudgetEvents(events.slice(5, 15))]);
      const recorded = answers.flat().map((e) => e.eventId).sort();
      assert.deepEqual(recorded, events.map((e) => e.eventId).sort());
      await store().markBudgetEventsDelivered(events.map((e) => e.eventId));
    });

    test('pending: the soonest due first; a deferred event counts its attempts and comes after those due sooner', async () => {
      const first = thresholdEvent();
      const second = thresholdEvent();
      const third = thresholdEvent();
      await store().recordBudgetEvents([first]);
      await store().recordBudgetEvents([second]);
      await store().recordBudgetEvents([third]);
      const due = Date.now() + 60_000;
      await store().deferBudgetEvent(first.eventId, due);
      await store().deferBudgetEvent(first.eventId, due + 1_000);
      await store().deferBudgetEvent(second.eventId, due);
      assert.deepEqual(await pendingOf(store(), [first, second, third]), [
        { event: third, attempts: 0, nextAttemptAt: 0 },
        { event: second, attempts: 1, nextAttemptAt: due },
        { event: first, attempts: 2, nextAttemptAt: due + 1_000 },
      ]);
      const limited = await store().pendingBudgetEvents(1);
      assert.equal(limited.length, 1);
      assert.equal(limited[0]!.nextAttemptAt, 0, 'the one answered is due at once');
      await store().markBudgetEventsDelivered([first.eventId, second.eventId, third.eventId]);
    });

    test('a delivered event is never pending again, nor recorded again, nor deferred', async () => {
      const a = thresholdEvent();
      const b = thresholdEvent();
      await store().recordBudgetEvents([a, b]);
      await store().markBudgetEventsDelivered([a.eventId, 'no-such-event']);
      assert.deepEqual((await pendingOf(store(), [a, b])).map((p) => p.event.eventId), [b.eventId]);
      await store().deferBudgetEvent(a.eventId, Date.now() + 1_000);
      await store().deferBudgetEvent('no-such-event', Date.now() + 1_000);
      assert.deepEqual(await pendingOf(store(), [a]), []);
      assert.deepEqual(await store().recordBudgetEvents([a]), []);
      await store().markBudgetEventsDelivered([]);
      await store().markBudgetEventsDelivered([b.eventId]);
      assert.deepEqual(await pendingOf(store(), [a, b]), []);
    });
    test('a claim takes an event still due when it was read, once of several at once; moving it back gives it up', async () => {
      const a = thresholdEvent();
      await store().recordBudgetEvents([a]);
      const until = Date.now() + 30_000;
      const claims = await Promise.all(Array.from({ length: 5 }, (_, i) => store().claimBudgetEvent(a.eventId, 0, until + i)));
      assert.equal(claims.filter(Boolean).length, 1);
      const [claimed] = await pendingOf(store(), [a]);
      assert.equal(claimed!.attempts, 0, 'a claim is no failed attempt');
      assert.equal(claimed!.nextAttemptAt, until + claims.indexOf(true));
      assert.equal(await store().claimBudgetEvent(a.eventId, 0, until), false, 'read before the claim: no longer due at 0');
      assert.equal(await store().claimBudgetEvent(a.eventId, claimed!.nextAttemptAt, 0), true);
      assert.deepEqual(await pendingOf(store(), [a]), [{ event: a, attempts: 0, nextAttemptAt: 0 }]);
      await store().markBudgetEventsDelivered([a.eventId]);
      assert.equal(await store().claimBudgetEvent(a.eventId, 0, until), false, 'delivered');
      assert.equal(await store().claimBudgetEvent('no-such-event', 0, until), false);
    });
  });
}
