// An aggregation started through the SDK, read to its end as the CLI reads one: Get asked
// again (50 ms, doubling to a second) while IN_PROGRESS, every page read, a thousand rows a
// page where farmtally serves them and the model's hundred where a --strict server (or the
// service) refuses more. `farmtally stats` and `budgets show` (a budget's days) both read so.
import {
  GetSessionsStatisticsAggregationCommand, ValidationException,
  type DeadlineClient, type GetSessionsStatisticsAggregationResponse, type Statistics,
} from '@aws-sdk/client-deadline';
import { MODEL_PAGE_MAX, RESULT_PAGE_MAX } from '../domain/aggregation-limits.js';

export interface AggregationRead {
  /** Every row, in the order served. */
  rows: Statistics[];
  /** The last page's statusMessage (a COMPLETED aggregation's note, such as rates missing). */
  statusMessage?: string;
}

/** Reads the aggregation's rows once it has COMPLETED; throws saying how it ended otherwise. `progress` hears where it is. */
export async function readAggregationRows(client: DeadlineClient, farmId: string, aggregationId: string, progress: (what: string) => void = () => {}): Promise<AggregationRead> {
  const rows: Statistics[] = [];
  let nextToken: string | undefined;
  let page: GetSessionsStatisticsAggregationResponse;
  let delay = 50;
  let pageSize = RESULT_PAGE_MAX;
  for (;;) {
    try {
      page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, nextToken, maxResults: pageSize }));
    } catch (err) {
      const refused = err instanceof ValidationException && err.fieldList?.some((f) => f.name === 'maxResults');
      if (!refused || pageSize === MODEL_PAGE_MAX) throw err;
      pageSize = MODEL_PAGE_MAX;
      continue;
    }
    if (page.status === 'IN_PROGRESS') {
      progress(`running (${aggregationId})`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
      continue;
    }
    if (page.status !== 'COMPLETED') throw new AggregationEnded(page.status ?? 'unknown', page.statusMessage);
    rows.push(...(page.statistics ?? []));
    progress(`fetching rows: ${rows.length}`);
    nextToken = page.nextToken;
    if (!nextToken) return { rows, statusMessage: page.statusMessage };
  }
}

/** An aggregation that ended other than COMPLETED (FAILED, TIMEOUT, ...): its status and why. */
export class AggregationEnded extends Error {
  constructor(readonly status: string, readonly reason: string | undefined) {
    super(`the aggregation ended ${status}: ${reason ?? 'no reason given'}`);
  }
}
