// What the budgets view reads, all through the SDK: the farm's budgets (ListBudgets, then
// GetBudget for each one's window and actions, which a summary does not carry) and a budget's
// cost day by day over its window so far (one aggregation: its queue, DAILY in UTC, as the
// budget's usage is counted; written `UTC+00:00`, which a --strict server takes too).
import { GetBudgetCommand, paginateListBudgets, type BudgetSummary, type DeadlineClient, type GetBudgetResponse } from '@aws-sdk/client-deadline';
import { MAX_AGGREGATION_RESOURCES } from '../../domain/aggregation-limits.js';
import { budgetWindowAt, NO_END } from '../../domain/budget-window.js';
import type { BudgetPeriod } from '../../domain/resources.js';
import type { DayCost } from '../../domain/budget-forecast.js';
import { runAggregation, type Progress } from '../api.js';

/** What a budget tracks: a queue (the service's), or as farmtally's extensions a fleet or the whole farm. */
export type BudgetScope = { kind: 'queue'; id: string } | { kind: 'fleet'; id: string } | { kind: 'farm' };

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

/** The SDK's form of a union member the model lacks (farmtally's extensions): [name, value as sent]. */
const unknownMember = (union: unknown): [string, any] | undefined => (union as { $unknown?: [string, any] } | undefined)?.$unknown;

function scopeOf(resource: BudgetSummary['usageTrackingResource']): BudgetScope {
  if (resource?.queueId) return { kind: 'queue', id: resource.queueId };
  const [name, value] = unknownMember(resource) ?? [];
  if (name === 'fleetId') return { kind: 'fleet', id: String(value) };
  if (name === 'farmId') return { kind: 'farm' };
  return { kind: 'queue', id: '' };
}

/** The window the budget counts now: its fixed one, or a recurring budget's current month or quarter (domain budgetWindowAt). */
function windowOf(b: GetBudgetResponse | undefined, nowMs: number): Pick<Budget, 'start' | 'end' | 'every'> {
  const fixed = b?.schedule?.fixed;
  if (fixed) return { start: fixed.startTime?.getTime(), end: fixed.endTime?.getTime() };
  const [name, recurring] = unknownMember(b?.schedule) ?? [];
  if (name !== 'recurring' || !recurring) return {};
  const every = recurring.period as BudgetPeriod;
  const window = budgetWindowAt({ startsAt: Date.parse(recurring.startTime), endsAt: recurring.endTime ? Date.parse(recurring.endTime) : NO_END, recurring: every }, nowMs);
  return { start: window.startsAt, end: window.endsAt, every };
}

function fromGet(b: GetBudgetResponse | undefined): Pick<Budget, 'start' | 'end' | 'every' | 'actions' | 'stoppedAt'> {
  return {
    ...windowOf(b, Date.now()),
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
      id: s.budgetId!, name: s.displayName ?? s.budgetId!, scope: scopeOf(s.usageTrackingResource), status: s.status ?? '',
      limit: s.approximateDollarLimit ?? 0, usage: s.usages?.approximateDollarUsage ?? 0, ...fromGet(got[j]),
    }));
  }
  return out.sort((a, b) => Number(b.status === 'ACTIVE') - Number(a.status === 'ACTIVE') || a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
}

/**
 * The budget's days' costs over [start, until): none before the window opens. A farm budget
 * asks for its farm's queues (`farmQueueIds`), ten at a time as the API takes them, and adds
 * up each day.
 */
export async function budgetDays(
  client: DeadlineClient, farmId: string, b: Budget, farmQueueIds: readonly string[], until: number, signal: AbortSignal, onProgress: (p: Progress) => void, pageSize: number,
): Promise<DayCost[]> {
  if (b.start === undefined || until <= b.start) return [];
  const asked: ({ queueIds: string[] } | { fleetIds: string[] })[] = b.scope.kind === 'fleet' ? [{ fleetIds: [b.scope.id] }]
    : b.scope.kind === 'queue' ? [{ queueIds: [b.scope.id] }]
    : Array.from({ length: Math.ceil(farmQueueIds.length / MAX_AGGREGATION_RESOURCES) }, (_, i) => ({ queueIds: farmQueueIds.slice(i * MAX_AGGREGATION_RESOURCES, (i + 1) * MAX_AGGREGATION_RESOURCES) }));
  const byDay = new Map<number, number>();
  for (const resourceIds of asked) {
    const { rows } = await runAggregation(client, {
      farmId, resourceIds, startTime: new Date(b.start), endTime: new Date(until), timezone: 'UTC+00:00', period: 'DAILY', groupBy: ['fleetIds' in resourceIds ? 'FLEET_ID' : 'QUEUE_ID'], statistics: ['SUM'],
    }, signal, onProgress, pageSize);
    for (const r of rows) byDay.set(r.aggregationStartTime!.getTime(), (byDay.get(r.aggregationStartTime!.getTime()) ?? 0) + (r.costInUsd?.sum ?? 0));
  }
  return [...byDay].sort(([a], [c]) => a - c).map(([start, cost]) => ({ start, cost }));
}
