// What the budgets view reads, all through the SDK: the farm's budgets (ListBudgets, then
// GetBudget for each one's window and actions, which a summary does not carry) and a budget's
// cost day by day over its window so far (one aggregation: its queue, DAILY in UTC, as the
// budget's usage is counted; written `UTC+00:00`, which a --strict server takes too).
import { GetBudgetCommand, paginateListBudgets, type DeadlineClient, type GetBudgetResponse } from '@aws-sdk/client-deadline';
import { budgetDayCosts, budgetScopeOf, budgetWindowOf, type BudgetDaysInput, type BudgetScope } from '../../client/budget-answer.js';
import type { BudgetPeriod } from '../../domain/resources.js';
import type { DayCost } from '../../domain/budget-forecast.js';
import { runAggregation, type Progress } from '../api.js';

export type { BudgetScope };

export interface Budget {
  id: string;
  name: string;
  scope: BudgetScope;
  /** A recurring budget's period (an extension): its window is then the current month's or quarter's. */
  every?: BudgetPeriod;
  status: string;
  limit: number;
  usage: number;
  /** The window [start, end) (epoch ms); undefined when GetBudget failed (deleted since the list was read). */
  start?: number;
  end?: number;
  actions: { type: string; threshold: number; description?: string }[];
  /** Since when the budget's usage has blocked its queue (GetBudget's queueStoppedAt), if it does. */
  stoppedAt?: number;
}

function fromGet(b: GetBudgetResponse | undefined): Pick<Budget, 'start' | 'end' | 'every' | 'actions' | 'stoppedAt'> {
  return {
    ...budgetWindowOf(b?.schedule, Date.now()),
    stoppedAt: b?.queueStoppedAt?.getTime(),
    actions: (b?.actions ?? []).map((a) => ({ type: a.type ?? '', threshold: a.thresholdPercentage ?? 0, description: a.description })).sort((a, c) => a.threshold - c.threshold),
  };
}

/** Every budget of the farm: the active ones first, then by name. */
export async function listBudgets(client: DeadlineClient, farmId: string): Promise<Budget[]> {
  const summaries = [];
  for await (const page of paginateListBudgets({ client, pageSize: 100 }, { farmId })) summaries.push(...(page.budgets ?? []));
  const out: Budget[] = [];
  for (let i = 0; i < summaries.length; i += 4) {
    const got = await Promise.all(summaries.slice(i, i + 4).map((s) => client.send(new GetBudgetCommand({ farmId, budgetId: s.budgetId })).catch(() => undefined)));
    summaries.slice(i, i + 4).forEach((s, j) => out.push({
      id: s.budgetId!, name: s.displayName ?? s.budgetId!, scope: budgetScopeOf(s.usageTrackingResource), status: s.status ?? '',
      limit: s.approximateDollarLimit ?? 0, usage: s.usages?.approximateDollarUsage ?? 0, ...fromGet(got[j]),
    }));
  }
  return out.sort((a, b) => Number(b.status === 'ACTIVE') - Number(a.status === 'ACTIVE') || a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
}

/**
 * The budget's days' costs over [start, until): none before the window opens. A farm or user
 * budget asks for its farm's queues (`farmQueueIds`), ten at a time as the API takes them, and
 * adds up each day (a user's: that user's rows).
 */
export async function budgetDays(
  client: DeadlineClient, farmId: string, b: Budget, farmQueueIds: readonly string[], until: number, signal: AbortSignal, onProgress: (p: Progress) => void, pageSize: number,
): Promise<DayCost[]> {
  if (b.start === undefined) return [];
  const aggregate = async (input: BudgetDaysInput) => (await runAggregation(client, input, signal, onProgress, pageSize)).rows;
  return budgetDayCosts(aggregate, farmId, b.scope, farmQueueIds, new Date(b.start), new Date(until));
}
