// The budget notifications' outbox (BudgetEventStore), one implementation for both engines:
// their budget_events tables are alike (store/duckdb/schema.ts, store/postgres/schema.ts
// migration 4) and so is the SQL, so each engine hands over only how it reads and writes.
// The insert that skips known IDs answers the rows it inserted, so a crossing is recorded
// once, also when two servers sharing the store record it at once. Any server may deliver
// any pending event; it claims each attempt first (a compare-and-set on the event's next
// attempt time, so no server's clock has to agree with another's).
import type { BudgetThresholdEvent } from '../domain/budget-events.js';
import { budgetEventValues, toPendingBudgetEvent, type Row } from './rows.js';
import type { BudgetEventStore } from './store.js';

/** How an engine runs the outbox's statements (numbered `$n` parameters); `write` answers the rows of a RETURNING. */
export interface OutboxSql {
  read(sql: string, params: unknown[]): Promise<Row[]>;
  write(sql: string, params: unknown[]): Promise<Row[]>;
}

/** The events with their first of each ID only (a batch may name one crossing twice). */
const firstOfEachEvent = (events: readonly BudgetThresholdEvent[]): BudgetThresholdEvent[] => {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.eventId) && Boolean(seen.add(e.eventId)));
};

const placeholders = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

export function budgetEventStore(sql: OutboxSql): BudgetEventStore {
  return {
    async recordBudgetEvents(events) {
      const unique = firstOfEachEvent(events);
      if (unique.length === 0) return [];
      const now = Date.now();
      // Inserted in ID order: an insert waits on another's uncommitted row of the same ID
      // (PostgreSQL), and two servers inserting one set in two orders would wait on each other.
      const ordered = [...unique].sort((x, y) => (x.eventId < y.eventId ? -1 : x.eventId > y.eventId ? 1 : 0));
      const recorded = await sql.write(
        `INSERT INTO budget_events (event_id, event, recorded_at) VALUES ${ordered.map((_, i) => `(${placeholders(3, 3 * i + 1)})`).join(', ')}
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        ordered.flatMap((e) => budgetEventValues(e, now)),
      );
      const ids = new Set(recorded.map((r) => r.event_id as string));
      return unique.filter((e) => ids.has(e.eventId));
    },
    async pendingBudgetEvents(limit) {
      const rows = await sql.read(
        `SELECT event, attempts, next_attempt_at FROM budget_events WHERE delivered_at IS NULL ORDER BY next_attempt_at, recorded_at, event_id LIMIT $1`,
        [Math.max(0, Math.trunc(limit))],
      );
      return rows.map(toPendingBudgetEvent);
    },
    async claimBudgetEvent(eventId, dueAt, until) {
      const claimed = await sql.write(
        `UPDATE budget_events SET next_attempt_at = $1 WHERE event_id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL RETURNING event_id`,
        [Math.trunc(until), eventId, Math.trunc(dueAt)],
      );
      return claimed.length === 1;
    },
    async markBudgetEventsDelivered(eventIds) {
      if (eventIds.length === 0) return;
      await sql.write(`UPDATE budget_events SET delivered_at = $1 WHERE delivered_at IS NULL AND event_id IN (${placeholders(eventIds.length, 2)})`, [Date.now(), ...eventIds]);
    },
    async deferBudgetEvent(eventId, nextAttemptAt) {
      await sql.write(`UPDATE budget_events SET attempts = attempts + 1, next_attempt_at = $1 WHERE event_id = $2 AND delivered_at IS NULL`, [Math.trunc(nextAttemptAt), eventId]);
    },
  };
}
