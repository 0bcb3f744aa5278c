// What the results panels show: the last run's query and its rows grouped.
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
}
