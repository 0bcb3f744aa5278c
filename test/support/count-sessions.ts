// How many sessions a farm's queues hold, read the way a client reads it: one aggregation
// through the SDK (COUNT of COMPUTE records grouped by usage type, one per session) over
// 1970-2100 (or per job). Used to see what ingest batches wrote, by the fuzz tests, the load
// check and the cluster's failure tests.
import { GetSessionsStatisticsAggregationCommand, StartSessionsStatisticsAggregationCommand, ThrottlingException, type DeadlineClient } from '@aws-sdk/client-deadline';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sessions of the farm's queues that overlap 1970..2100. Waits its turn while another aggregation of the farm runs. */
export async function countSessions(client: DeadlineClient, farmId: string, queueIds: string[]): Promise<{ count: number; aggregationId: string }> {
  const { perJob, aggregationId } = await countSessionsPerJob(client, farmId, queueIds, ['USAGE_TYPE']);
  return { count: perJob.get('') ?? 0, aggregationId };
}

/**
 * The same count, per job (`groupBy` JOB_ID; by default): which batches, each a job of its
 * own, are there and whole. Under `['USAGE_TYPE']` alone every count is under the key ''.
 */
export async function countSessionsPerJob(
  client: DeadlineClient,
  farmId: string,
  queueIds: string[],
  groupBy: ('JOB_ID' | 'USAGE_TYPE')[] = ['JOB_ID', 'USAGE_TYPE'],
): Promise<{ perJob: Map<string, number>; aggregationId: string }> {
  let aggregationId: string | undefined;
  for (let attempt = 0; !aggregationId; attempt++) {
    try {
      ({ aggregationId } = await client.send(
        new StartSessionsStatisticsAggregationCommand({
          farmId,
          resourceIds: { queueIds },
          startTime: new Date('1970-01-01T00:00:00Z'),
          endTime: new Date('2100-01-01T00:00:00Z'),
          groupBy,
          statistics: ['SUM'],
        }),
      ));
    } catch (err) {
      if (!(err instanceof ThrottlingException) || attempt > 200) throw err;
      await sleep(50);
    }
  }
  const perJob = new Map<string, number>();
  let nextToken: string | undefined;
  for (;;) {
    const page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, nextToken }));
    if (page.status === 'IN_PROGRESS') {
      await sleep(20);
      continue;
    }
    if (page.status !== 'COMPLETED') throw new Error(`the counting aggregation ended ${page.status}: ${page.statusMessage}`);
    for (const row of page.statistics ?? []) {
      const key = row.jobId ?? '';
      if (row.usageType === 'COMPUTE') perJob.set(key, (perJob.get(key) ?? 0) + (row.count ?? 0));
    }
    nextToken = page.nextToken;
    if (!nextToken) return { perJob, aggregationId };
  }
}
