// A budget's current window (docs/DECISIONS.md, "Budget extensions"): a fixed budget's is
// [startsAt, endsAt) always; a recurring one's is the calendar month or quarter (January,
// April, July, October) in UTC that holds the time read, clipped to [startsAt, endsAt). Usage
// is counted over the current window only, so each period starts again from 0.
import type { BudgetWindow } from './budget-ledger.js';
import type { Budget } from './resources.js';

export type { BudgetWindow };

/** The stored end of a recurring budget given no endTime: the last instant a Date can hold (it never comes). */
export const NO_END = 8_640_000_000_000_000;

/** The first instant of the UTC calendar month (or quarter) holding `ms`, and of the next one. */
export function periodAround(period: 'MONTHLY' | 'QUARTERLY', ms: number): BudgetWindow {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const months = period === 'MONTHLY' ? 1 : 3;
  const month = d.getUTCMonth() - (d.getUTCMonth() % months);
  return { startsAt: Date.UTC(year, month, 1), endsAt: Date.UTC(year, month + months, 1) };
}

/**
 * The budget's window at `nowMs`. A recurring budget read before its start has the period
 * that holds its start (clipped), and read after its end the period that holds its last
 * instant: the window is always one of its own.
 */
export function budgetWindowAt(b: Pick<Budget, 'startsAt' | 'endsAt' | 'recurring'>, nowMs: number): BudgetWindow {
  if (!b.recurring) return { startsAt: b.startsAt, endsAt: b.endsAt };
  const at = Math.min(Math.max(nowMs, b.startsAt), b.endsAt - 1);
  const period = periodAround(b.recurring, at);
  return { startsAt: Math.max(period.startsAt, b.startsAt), endsAt: Math.min(period.endsAt, b.endsAt) };
}
