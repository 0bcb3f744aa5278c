// The budget notifications' outbox on DuckDB (schema.ts budget_events). Writes go through the
// one writer like any other (each a statement of its own, committed on its own); the insert
// that skips known IDs answers the ones it recorded, so a crossing is recorded once.
import type { DuckDBValue } from '@duckdb/node-api';
import { budgetEventValues, firstOfEachEvent, toPendingBudgetEvent } from '../rows.js';
import type { BudgetEventStore } from '../store.js';
import type { Database } from './database.js';

const placeholders = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

export function duckDbBudgetEvents(db: Database): BudgetEventStore {
  return {
    async recordBudgetEvents(events) {
      const unique = firstOfEachEvent(events);
      if (unique.length === 0) return [];
      const now = Date.now();
      const rows = unique.map((_, i) => `(${placeholders(3, 3 * i + 1)})`).join(', ');
      const recorded = await db.write(
        `INSERT INTO budget_events (event_id, event, recorded_at) VALUES ${rows} ON CONFLICT DO NOTHING RETURNING event_id`,
        unique.flatMap((e) => budgetEventValues(e, now)) as DuckDBValue[],
      );
      const ids = new Set(recorded.map((r) => r.event_id as string));
      return unique.filter((e) => ids.has(e.eventId));
    },
    async pendingBudgetEvents(limit) {
      const rows = await db.all(
        `SELECT event, attempts, next_attempt_at FROM budget_events WHERE delivered_at IS NULL ORDER BY next_attempt_at, recorded_at, event_id LIMIT $1`,
        [Math.max(0, Math.trunc(limit))],
      );
      return rows.map(toPendingBudgetEvent);
    },
    async claimBudgetEvent(eventId, dueAt, until) {
      const claimed = await db.write(
        `UPDATE budget_events SET next_attempt_at = $1 WHERE event_id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL RETURNING event_id`,
        [Math.trunc(until), eventId, Math.trunc(dueAt)],
      );
      return claimed.length === 1;
    },
    async markBudgetEventsDelivered(eventIds) {
      if (eventIds.length === 0) return;
      await db.run(`UPDATE budget_events SET delivered_at = $1 WHERE delivered_at IS NULL AND event_id IN (${placeholders(eventIds.length, 2)})`, [Date.now(), ...eventIds]);
    },
    async deferBudgetEvent(eventId, nextAttemptAt) {
      await db.run(`UPDATE budget_events SET attempts = attempts + 1, next_attempt_at = $1 WHERE event_id = $2 AND delivered_at IS NULL`, [Math.trunc(nextAttemptAt), eventId]);
    },
  };
}
