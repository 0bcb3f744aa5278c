// The budget notifications' outbox in PostgreSQL, shared by every API server of a cluster:
// the insert that skips known IDs (ON CONFLICT DO NOTHING) answers the rows it inserted, so
// of two servers recording one crossing at once exactly one gets it back. Any server may
// deliver any pending event (at least once: two may send the same one).
import { budgetEventValues, firstOfEachEvent, toPendingBudgetEvent } from '../rows.js';
import type { BudgetEventStore } from '../store.js';
import type { PgDatabase } from './connection.js';

export function postgresBudgetEvents(db: PgDatabase): BudgetEventStore {
  return {
    async recordBudgetEvents(events) {
      const unique = firstOfEachEvent(events);
      if (unique.length === 0) return [];
      const now = Date.now();
      const rows = unique.map((_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`).join(', ');
      const recorded = await db.query<{ event_id: string }>(
        `INSERT INTO budget_events (event_id, event, recorded_at) VALUES ${rows} ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        unique.flatMap((e) => budgetEventValues(e, now)),
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
    async markBudgetEventsDelivered(eventIds) {
      if (eventIds.length === 0) return;
      await db.query(`UPDATE budget_events SET delivered_at = $1 WHERE delivered_at IS NULL AND event_id = ANY($2::text[])`, [Date.now(), [...eventIds]]);
    },
    async deferBudgetEvent(eventId, nextAttemptAt) {
      await db.query(`UPDATE budget_events SET attempts = attempts + 1, next_attempt_at = $1 WHERE event_id = $2 AND delivered_at IS NULL`, [Math.trunc(nextAttemptAt), eventId]);
    },
  };
}
