// What a budget reports when its usage crosses an action's threshold: one event per
// (budget, window, threshold, limit), named by an ID derived from those three, so that every server
// that sees the crossing names it alike and a receiver can drop repeats (delivery is at
// least once).

export interface BudgetThresholdEvent {
  /** `${budgetId}:${windowStart ISO}:${thresholdPercentage}%:${limit}`: stable across servers and retries; a new limit crosses anew. */
  eventId: string;
  type: 'BUDGET_THRESHOLD_REACHED';
  farmId: string;
  budgetId: string;
  budgetName: string;
  /** What the budget tracks: its queue (the model's), or (extensions) a fleet, a user or the whole farm; absent in events recorded before the extensions (a queue's). */
  scope?: 'queue' | 'fleet' | 'user' | 'farm';
  /** The queue, for a queue budget (the only kind whose crossing stops a queue). */
  queueId?: string;
  /** The fleet, for a fleet budget. */
  fleetId?: string;
  /** The user, for a user budget. */
  userId?: string;
  thresholdPercentage: number;
  actionType: string;
  approximateDollarLimit: number;
  approximateDollarUsage: number;
  /** When the crossing was seen (epoch ms; ISO 8601 on the wire). */
  occurredAt: number;
}

export function budgetThresholdEventId(budgetId: string, windowStartMs: number, thresholdPercentage: number, approximateDollarLimit: number): string {
  return `${budgetId}:${new Date(windowStartMs).toISOString()}:${thresholdPercentage}%:${approximateDollarLimit}`;
}
