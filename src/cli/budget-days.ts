// A budget's spend day by day, for its forecast: the cost SUM of what it tracks over the window so
// far in DAILY buckets in UTC (`UTC+00:00`, which a --strict server takes too; the budget's
// usage is counted in UTC), one aggregation through the SDK read as `farmtally stats` reads one.
// And the forecast in a line of words.
import { StartSessionsStatisticsAggregationCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import type { BudgetForecast, DayCost } from '../domain/budget-forecast.js';
import { budgetDayCosts, type BudgetScope } from '../client/budget-answer.js';
import { AggregationEnded, readAggregationRows } from './aggregation-rows.js';

/** The days' costs of [start, until) of what the budget tracks (a farm's or a user's: the farm's queues, ten at a time, added up): none when the window has not begun. */
export function dailyCosts(client: DeadlineClient, farmId: string, scope: BudgetScope, farmQueueIds: readonly string[], start: Date, until: Date): Promise<DayCost[]> {
  return budgetDayCosts(async (input) => {
    const { aggregationId } = await client.send(new StartSessionsStatisticsAggregationCommand(input));
    const { rows } = await readAggregationRows(client, farmId, aggregationId!).catch((err: unknown) => {
      throw err instanceof AggregationEnded ? new Error(`the aggregation of the budget's days ended ${err.status}: ${err.reason ?? 'no reason given'}`) : err;
    });
    return rows;
  }, farmId, scope, farmQueueIds, start, until);
}

/** The forecast in words, after "Forecast:": `$41.64 by 2025-06-01 (83 % of the limit; $1.36 a day, the last 7 complete days)`. */
export function forecastWords(f: BudgetForecast, limit: number, end: string, usd: (n: number) => string): string {
  const ofLimit = limit > 0 ? `${Math.round((f.forecast / limit) * 100)} % of the limit` : '';
  switch (f.phase) {
    case 'not-begun':
      return 'none yet: the window has not begun';
    case 'ended':
      return `${usd(f.forecast)}, what was spent: the window has ended (${ofLimit})`;
    case 'open':
      if (f.basis.days === 0) return `${usd(f.forecast)} by ${end} (${ofLimit}; the spend so far: no complete day yet to take a daily rate from)`;
      return `${usd(f.forecast)} by ${end} (${ofLimit}; ${usd(f.dailyRate)} a day, the average of the last ${dayCount(f.basis.days)})`;
  }
}

const dayCount = (days: number) => (days === 1 ? 'complete day' : `${Number.isInteger(days) ? days : days.toFixed(1)} complete days`);
