// Valid random aggregations driven through the official SDK, against the API fixture's farm
// whose sessions are known: any resources, range, period, zone, group-by and statistics the
// model allows. Start is answered (or throttled while another runs, then retried), the
// aggregation ends COMPLETED, every page reads, and the COMPUTE records' counts add up to
// the sessions that overlap the range (exactly without a period; at least that with one,
// where a session spanning buckets counts in each).
import {
  GetSessionsStatisticsAggregationCommand, StartSessionsStatisticsAggregationCommand, ThrottlingException, type DeadlineClient,
  type SessionsStatisticsResources, type StartSessionsStatisticsAggregationCommandInput,
} from '@aws-sdk/client-deadline';
import fc from 'fast-check';
import { GROUP_BY_FIELDS, STATISTICS } from '../../src/domain/aggregation-rules.js';
import type { ApiFixture } from './fixture.js';
import { FuzzFailure } from './target.js';

const RANGE_MIN = Date.UTC(2025, 1, 20);
const RANGE_MAX = Date.UTC(2025, 2, 28);

export function aggregationInput(fixture: ApiFixture): fc.Arbitrary<StartSessionsStatisticsAggregationCommandInput> {
  const { farm } = fixture;
  return fc.record({
    farmId: fc.constant(farm.farmId),
    resourceIds: fc.oneof(
      fc.subarray(farm.queueIds, { minLength: 1 }).map((queueIds): SessionsStatisticsResources => ({ queueIds })),
      fc.constant<SessionsStatisticsResources>({ fleetIds: farm.fleetIds }),
    ),
    span: fc.tuple(fc.integer({ min: RANGE_MIN, max: RANGE_MAX }), fc.integer({ min: RANGE_MIN, max: RANGE_MAX })).filter(([a, b]) => a !== b),
    period: fc.constantFrom(undefined, 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'),
    timezone: fc.constantFrom(undefined, 'UTC', 'UTC+05:30', 'UTC-03:30', 'Asia/Singapore', 'America/Los_Angeles'),
    groupBy: fc.shuffledSubarray([...GROUP_BY_FIELDS], { minLength: 1 }),
    statistics: fc.shuffledSubarray([...STATISTICS], { minLength: 1 }),
  }).map(({ span: [a, b], ...rest }) => ({ ...rest, startTime: new Date(Math.min(a, b)), endTime: new Date(Math.max(a, b)) }));
}

/** Sessions that overlap [start, end) among the input's resources; a running one lasts until now. */
function overlapping(fixture: ApiFixture, input: StartSessionsStatisticsAggregationCommandInput): number {
  const start = input.startTime!.getTime();
  const end = input.endTime!.getTime();
  const queues = input.resourceIds?.queueIds;
  const fleets = input.resourceIds?.fleetIds;
  return fixture.sessions.filter((s) => (queues ? queues.includes(s.queueId) : fleets!.includes(s.fleetId)) && s.startedAt < end && (s.endedAt ?? Date.now()) > start).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function sdkAggregationProperty(client: DeadlineClient, fixture: ApiFixture) {
  return fc.asyncProperty(aggregationInput(fixture), async (input) => {
    const context = [`input: ${JSON.stringify(input)}`];
    let aggregationId: string | undefined;
    for (let attempt = 0; !aggregationId; attempt++) {
      try {
        ({ aggregationId } = await client.send(new StartSessionsStatisticsAggregationCommand(input)));
      } catch (err) {
        if (err instanceof ThrottlingException && attempt < 100) await sleep(50);
        else throw new FuzzFailure([`Start failed: ${(err as Error).name}: ${(err as Error).message}`], undefined, undefined, context);
      }
    }
    let computeCount = 0;
    let nextToken: string | undefined;
    for (let pages = 0; ; ) {
      let page;
      try {
        page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId: input.farmId, aggregationId, nextToken }));
      } catch (err) {
        throw new FuzzFailure([`Get failed: ${(err as Error).name}: ${(err as Error).message}`], undefined, undefined, context);
      }
      if (page.status === 'IN_PROGRESS') continue;
      if (page.status !== 'COMPLETED') throw new FuzzFailure([`the aggregation ended ${page.status}: ${page.statusMessage}`], undefined, undefined, context);
      for (const row of page.statistics ?? []) if (row.usageType !== 'LICENSE') computeCount += row.count ?? 0;
      nextToken = page.nextToken;
      if (!nextToken || ++pages > 1000) break;
    }
    const expected = overlapping(fixture, input);
    const broken = input.period === undefined ? computeCount !== expected : computeCount < expected;
    if (broken) throw new FuzzFailure([`COMPUTE records count ${computeCount}, but ${expected} sessions overlap the range${input.period ? ' (at least that many with a period)' : ''}`], undefined, undefined, context);
  });
}
