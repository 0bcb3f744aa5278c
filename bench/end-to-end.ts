// One aggregation end to end through the official SDK, as a client sees it: Start, poll
// until it is done, then read every page (maxResults 1000, what farmtally stats and the
// usage explorer ask for, or the SDK's default 100). Polls every 10 ms so the wait adds
// little to the measured time (`farmtally stats` backs off up to 1 s instead).
import {
  GetSessionsStatisticsAggregationCommand, StartSessionsStatisticsAggregationCommand, type DeadlineClient,
  type StartSessionsStatisticsAggregationCommandInput,
} from '@aws-sdk/client-deadline';

export interface EndToEnd {
  /** Start sent until the first COMPLETED page arrived. */
  doneMs: number;
  /** Start sent until the last page arrived. */
  totalMs: number;
  rows: number;
  pages: number;
}

/** Rows per page the bench asks for: the most farmtally serves (an extension; the model's limit is 100). */
export const BENCH_PAGE_ROWS = 1000;

export async function endToEnd(client: DeadlineClient, input: StartSessionsStatisticsAggregationCommandInput, maxResults = BENCH_PAGE_ROWS): Promise<EndToEnd> {
  const farmId = input.farmId!;
  const started = performance.now();
  const { aggregationId } = await client.send(new StartSessionsStatisticsAggregationCommand(input));
  const get = (nextToken?: string) => client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, maxResults, nextToken }));
  let page = await get();
  while (page.status === 'IN_PROGRESS') {
    await new Promise((r) => setTimeout(r, 10));
    page = await get();
  }
  if (page.status !== 'COMPLETED') throw new Error(`aggregation ${aggregationId} ended ${page.status}: ${page.statusMessage}`);
  const doneMs = performance.now() - started;
  let rows = page.statistics?.length ?? 0;
  let pages = 1;
  while (page.nextToken) {
    page = await get(page.nextToken);
    rows += page.statistics?.length ?? 0;
    pages++;
  }
  return { doneMs, totalMs: performance.now() - started, rows, pages };
}
