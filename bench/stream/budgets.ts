// `--budgets`: a budget on every queue of each farm before the feed (read once, so that the
// feed runs with each budget's usage held and moved by every commit, as a studio's server
// does), read during it by one reader in turn (as a producer's page or a render manager
// polls them; each GetBudget timed), and after it each budget's usage checked against the
// statistics' cost SUM taken just before and just after the read (its running sessions count
// up to the moment read).
import { CreateBudgetCommand, GetBudgetCommand, GetSessionsStatisticsAggregationCommand, StartSessionsStatisticsAggregationCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import type { StreamFarm } from './run-stream.js';

const DAY = 86_400_000;

export interface StreamBudget {
  farmId: string;
  queueId: string;
  budgetId: string;
  startsAt: number;
  endsAt: number;
}

/** A budget per queue over the demo year and the feed (from 2025 to 30 days ahead), each read once. */
export async function createBudgets(sdk: DeadlineClient, farms: readonly StreamFarm[]): Promise<StreamBudget[]> {
  const [startsAt, endsAt] = [Date.UTC(2025, 0, 1), Date.now() + 30 * DAY];
  const budgets: StreamBudget[] = [];
  for (const farm of farms) {
    for (const queueId of farm.ids.queueIds) {
      const { budgetId } = await sdk.send(new CreateBudgetCommand({
        farmId: farm.farmId, displayName: `stream ${queueId.slice(-6)}`, usageTrackingResource: { queueId }, approximateDollarLimit: 1e9,
        actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 100 }],
        schedule: { fixed: { startTime: new Date(startsAt), endTime: new Date(endsAt) } },
      }));
      await sdk.send(new GetBudgetCommand({ farmId: farm.farmId, budgetId }));
      budgets.push({ farmId: farm.farmId, queueId, budgetId: budgetId!, startsAt, endsAt });
    }
  }
  return budgets;
}

/** GetBudget latencies (ms) of one reader going round the budgets, one read after another, until `deadline` (performance.now()). */
export async function readBudgetsUntil(sdk: DeadlineClient, budgets: readonly StreamBudget[], deadline: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; budgets.length && performance.now() < deadline; i++) {
    const b = budgets[i % budgets.length]!;
    const started = performance.now();
    await sdk.send(new GetBudgetCommand({ farmId: b.farmId, budgetId: b.budgetId }));
    times.push(performance.now() - started);
  }
  return times;
}

/** Each budget whose usage is not between the statistics' SUM before and after it was read, as a sentence. */
export async function budgetProblems(sdk: DeadlineClient, budgets: readonly StreamBudget[]): Promise<string[]> {
  const problems: string[] = [];
  for (const b of budgets) {
    const low = await costSum(sdk, b);
    const usage = (await sdk.send(new GetBudgetCommand({ farmId: b.farmId, budgetId: b.budgetId }))).usages!.approximateDollarUsage!;
    const high = await costSum(sdk, b);
    const slack = 1e-9 * Math.max(1, high);
    if (!(low - slack <= usage && usage <= high + slack)) problems.push(`budget ${b.budgetId} reads ${usage} USD, not between the statistics' ${low} and ${high}`);
  }
  return problems;
}

async function costSum(sdk: DeadlineClient, b: StreamBudget): Promise<number> {
  const { aggregationId } = await sdk.send(new StartSessionsStatisticsAggregationCommand({
    farmId: b.farmId, resourceIds: { queueIds: [b.queueId] }, startTime: new Date(b.startsAt), endTime: new Date(b.endsAt), groupBy: ['QUEUE_ID'], statistics: ['SUM'],
  }));
  let sum = 0;
  let nextToken: string | undefined;
  for (;;) {
    const page = await sdk.send(new GetSessionsStatisticsAggregationCommand({ farmId: b.farmId, aggregationId, nextToken }));
    if (page.status === 'IN_PROGRESS') {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (page.status !== 'COMPLETED') throw new Error(`the cost of ${b.queueId} ended ${page.status}: ${page.statusMessage}`);
    for (const row of page.statistics ?? []) sum += row.costInUsd?.sum ?? 0;
    if (!page.nextToken) return sum;
    nextToken = page.nextToken;
  }
}
