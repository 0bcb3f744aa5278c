// What the results panels show: the last run's query and its rows grouped.
import type { RunningUsage } from '../../domain/running-usage.js';
import type { Comparison } from '../comparison.js';
import type { Query } from '../query.js';
import type { Names, Results } from '../results.js';

export interface Shown {
  /** Counts runs: the chart and table start afresh (sort, open rows, hidden series) for each. */
  run: number;
  query: Query;
  results: Results;
  /** The farm's queue and fleet names when it ran: the CSV's name columns. */
  names: Names;
  statusMessage?: string;
  /** The previous range's results, when the query compares. */
  comparison?: Comparison;
  /** The runtime from sessions still running (not on a --strict server, which has no ListRunningSessions). */
  running?: RunningShown;
}

/**
 * What the running sessions add to a run: their part, counted up to `asOf` (and in the
 * previous range's, when the run compares); or why it could not be read.
 */
export type RunningShown = { usage: RunningUsage; previous?: RunningUsage; asOf: number; truncated: boolean } | { problem: string };
