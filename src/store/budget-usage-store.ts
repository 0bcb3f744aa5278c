// What the budget tracker (operations/budgets/budget-tracker.ts) needs of an engine to keep
// budgets' usage current without an aggregation per read: one consistent reading to start
// from, a version that moves with every change to the stored sessions, and (where the
// engine can say) each change as it commits.
import type { SessionRecord } from '../domain/resources.js';
import type { AggregationQuery } from './aggregation-store.js';

/** One session changed by a committed write: its version before (none: new) and after (none: deleted). */
export interface SessionChange {
  farmId: string;
  before?: SessionRecord;
  after?: SessionRecord;
}

/**
 * A committed write that moved the sessions' version from `from` to `to`. `changes` lists
 * every session it changed; absent, the write changed sessions it does not list (a bulk
 * merge, a deletion): whoever keeps something derived from them reads it again.
 */
export interface SessionsChanged {
  from: string;
  to: string;
  changes?: readonly SessionChange[];
}

/**
 * What to read of a budget's query: its cost (none for a window not begun), and, for a budget
 * on a user, only that user's (the query groups by USER_ID: the rows of other users are left
 * out of the cost, and their sessions out of `open`).
 */
export interface BudgetBasisRead {
  cost: boolean;
  userId?: string;
}

/** What a budget's usage is built from, read together at one version of the sessions. */
export interface BudgetBasis {
  /**
   * At this version, the sum of every result row's cost (of the user's rows, if read for one)
   * that runAggregation would compute for the query (run at once, with no record and without
   * the farm's slot).
   */
  costUsd: number;
  /** The sessions of the query's resources (and user, if read for one) with no end, or an end after query.asOfMs. */
  open: SessionRecord[];
  version: string;
}

export interface BudgetUsageStore {
  /**
   * Reads the query's cost (with `cost`; else 0, for a window not begun) and the open sessions
   * together, at one version (throws when the cost query runs past `timeoutMs`).
   */
  budgetBasis(query: AggregationQuery, timeoutMs: number, read: BudgetBasisRead): Promise<BudgetBasis>;
  /** The sessions' version now: it moves with every write that changes a stored session, on any server. */
  sessionsVersion(): Promise<string>;
  /**
   * Calls `listener` after each committed write of this server, in commit order, before the
   * write is answered (it must not throw or wait). Engines that cannot list a write's changes
   * never call it: their readers compare sessionsVersion instead. Answers the unsubscribe.
   */
  onSessionsChanged(listener: (event: SessionsChanged) => void): () => void;
  /**
   * The farm's sessions changed between two versions this store answered (`from` before `to`),
   * read from what is stored: for readers of writes this server did not list (another server
   * of a cluster). A session's versions may come unpaired (a `before` and an `after` apart),
   * each to be taken away or added. Undefined when the engine cannot say, or more than `limit`
   * changed: the reader reads again instead.
   */
  sessionChangesBetween(farmId: string, from: string, to: string, limit: number): Promise<SessionChange[] | undefined>;
  /** Sets (or clears, with undefined) when the budget's usage stopped its queue. */
  setBudgetQueueStopped(farmId: string, budgetId: string, atMs: number | undefined): Promise<void>;
}
