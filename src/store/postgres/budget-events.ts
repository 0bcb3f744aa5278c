// The budget notifications' outbox in PostgreSQL, shared by every API server of a cluster:
// the insert that skips known IDs (ON CONFLICT DO NOTHING) answers the rows it inserted, so
// of two servers recording one crossing at once exactly one gets it back. Any server may
// deliver any pending event; it claims each attempt first (a compare-and-set on the event's
// next attempt time, so no server's clock has to agree with another's), so two rarely send
// the same one at once. Delivery stays at least once: a server may die after sending, before
// marking it delivered.
import { budgetEventValues, firstOfEachEvent, toPendingBudgetEvent } from '../rows.js';
import type { BudgetEventStore } from '../store.js';
import type { PgDatabase } from './connection.js';

export function postgresBudgetEvents(db: PgDatabase): BudgetEventStore {
  return {
    async recordBudgetEvents(events) {
      const unique = firstOfEachEvent(events);
      if (unique.length === 0) return [];
      const now = Date.now();
      // Inserted in ID order: an insert waits on another's uncommitted row of the same ID, and
      // two servers inserting one set in two orders would wait on each other (a deadlock).
      const ordered = [...unique].sort((x, y) => (x.eventId < y.eventId ? -1 : x.eventId > y.eventId ? 1 : 0));
      const rows = ordered.map((_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`).join(', ');
      const recorded = await db.query<{ event_id: string }>(
        `INSERT INTO budget_events (event_id, event, recorded_at) VALUES ${rows} ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        ordered.flatMap((e) => budgetEventValues(e, now)),
      );
      const ids = new Set(recorded.map((r) => r.event_id));
      return unique.filter((e) => ids.has(e.eventId));
    },
    async pendingBudgetEvents(limit) {
      const rows = await db.query(
        `SELECT event, attempts, next_attempt_at FROM budget_events WHERE delivered_at IS NULL ORDER BY next_attempt_at, recorded_at, event_id LIMIT $1`,
        [Math.max(0, Math.trunc(limit))],
      );
      return rows.map(toPendingBudgetEvent);
    },
    async claimBudgetEvent(eventId, dueAt, until) {
      const claimed = await db.query(
        `UPDATE budget_events SET next_attempt_at = $1 WHERE event_id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL RETURNING event_id`,
        [Math.trunc(until), eventId, Math.trunc(dueAt)],
      );
      return claimed.length === 1;
    },
    async markBudgetEventsDelivered(eventIds) {
      if (eventIds.length === 0) return;
      await db.query(`UPDATE budget_events SET delivered_at = $1 WHERE delivered_at IS NULL AND event_id = ANY($2::text[])`, [Date.now(), [...eventIds]]);
    },
    async deferBudgetEvent(eventId, nextAttemptAt) {
      await db.query(`UPDATE budget_events SET attempts = attempts + 1, next_attempt_at = $1 WHERE event_id = $2 AND delivered_at IS NULL`, [Math.trunc(nextAttemptAt), eventId]);
    },
  };
}
