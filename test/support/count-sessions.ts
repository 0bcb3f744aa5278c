// How many sessions a farm's queues hold, read the way a client reads it: one aggregation
// through the SDK (COUNT of COMPUTE records grouped by usage type, one per session) over
// 1970-2100. Used to see what ingest batches wrote, by the fuzz tests and the load check.
import { GetSessionsStatisticsAggregationCommand, StartSessionsStatisticsAggregationCommand, ThrottlingException, type DeadlineClient } from '@aws-sdk/client-deadline';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sessions of the farm's queues that overlap 1970..2100. Waits its turn while another aggregation of the farm runs. */
export async function countSessions(client: DeadlineClient, farmId: string, queueIds: string[]): Promise<{ count: number; aggregationId: string }> {
  let aggregationId: string | undefined;
  for (let attempt = 0; !aggregationId; attempt++) {
    try {
      ({ aggregationId } = await client.send(
        new StartSessionsStatisticsAggregationCommand({
          farmId,
          resourceIds: { queueIds },
          startTime: new Date('1970-01-01T00:00:00Z'),
          endTime: new Date('2100-01-01T00:00:00Z'),
          groupBy: ['USAGE_TYPE'],
          statistics: ['SUM'],
        }),
      ));
    } catch (err) {
      if (!(err instanceof ThrottlingException) || attempt > 200) throw err;
      await sleep(50);
    }
  }
  let count = 0;
  let nextToken: string | undefined;
  for (;;) {
    const page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, nextToken }));
    if (page.status === 'IN_PROGRESS') continue;
    if (page.status !== 'COMPLETED') throw new Error(`the counting aggregation ended ${page.status}: ${page.statusMessage}`);
    for (const row of page.statistics ?? []) if (row.usageType === 'COMPUTE') count += row.count ?? 0;
    nextToken = page.nextToken;
    if (!nextToken) return { count, aggregationId };
  }
}

