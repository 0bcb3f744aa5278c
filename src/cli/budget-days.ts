// A budget's spend day by day, for its forecast: the cost SUM of its queue over the window so
// far in DAILY buckets in UTC (`UTC+00:00`, which a --strict server takes too; the budget's
// usage is counted in UTC), one aggregation through the SDK as `farmtally stats` runs it.
// And the forecast in a line of words.
import {
  GetSessionsStatisticsAggregationCommand, StartSessionsStatisticsAggregationCommand, ValidationException,
  type DeadlineClient, type GetSessionsStatisticsAggregationResponse,
} from '@aws-sdk/client-deadline';
import type { BudgetForecast, DayCost } from '../domain/budget-forecast.js';

/** The days' costs of [start, until): none when the window has not begun. */
export async function dailyCosts(client: DeadlineClient, farmId: string, queueId: string, start: Date, until: Date): Promise<DayCost[]> {
  if (until <= start) return [];
  const { aggregationId } = await client.send(
    new StartSessionsStatisticsAggregationCommand({
      farmId, resourceIds: { queueIds: [queueId] }, startTime: start, endTime: until, timezone: 'UTC+00:00', period: 'DAILY', groupBy: ['QUEUE_ID'], statistics: ['SUM'],
    }),
  );
  const days: DayCost[] = [];
  let nextToken: string | undefined;
  let delay = 50;
  let pageSize = 1000; // a --strict server, like the service, serves 100
  for (;;) {
    let page: GetSessionsStatisticsAggregationResponse;
    try {
      page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, nextToken, maxResults: pageSize }));
    } catch (err) {
      if (!(err instanceof ValidationException && err.fieldList?.some((f) => f.name === 'maxResults')) || pageSize === 100) throw err;
      pageSize = 100;
      continue;
    }
    if (page.status === 'IN_PROGRESS') {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
      continue;
    }
    if (page.status !== 'COMPLETED') throw new Error(`the aggregation of the budget's days ended ${page.status}: ${page.statusMessage ?? 'no reason given'}`);
    for (const row of page.statistics ?? []) days.push({ start: row.aggregationStartTime!.getTime(), cost: row.costInUsd?.sum ?? 0 });
    nextToken = page.nextToken;
    if (!nextToken) return days;
  }
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
