// A queue's budget state (domain/queue-budget.ts): one case per line, the queue's default
// budget action and budgets at an instant → the reason its scheduling is blocked, if any.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueBudgetBlock, type QueueBlockedReason } from '../src/domain/queue-budget.js';
import type { Budget } from '../src/domain/resources.js';

type BudgetState = Pick<Budget, 'status' | 'startsAt' | 'endsAt' | 'queueStoppedAt' | 'recurring'>;
const NOW = Date.UTC(2026, 5, 15);
const DAY = 86_400_000;
const running: BudgetState = { status: 'ACTIVE', startsAt: NOW - DAY, endsAt: NOW + DAY };
const stopped: BudgetState = { ...running, queueStoppedAt: NOW - 1000 };
const ended: BudgetState = { ...running, startsAt: NOW - 2 * DAY, endsAt: NOW };
const notBegun: BudgetState = { ...running, startsAt: NOW + 1, endsAt: NOW + DAY };
const setInactive: BudgetState = { ...running, status: 'INACTIVE' };

describe('queueBudgetBlock', () => {
  const cases: [string, string | undefined, BudgetState[], QueueBlockedReason | undefined][] = [
    ['no action, no budget: not blocked', 'NONE', [], undefined],
    ['an action never set is NONE', undefined, [], undefined],
    ['an action and no budget: NO_BUDGET_CONFIGURED', 'STOP_SCHEDULING_AND_COMPLETE_TASKS', [], 'NO_BUDGET_CONFIGURED'],
    ['either action', 'STOP_SCHEDULING_AND_CANCEL_TASKS', [], 'NO_BUDGET_CONFIGURED'],
    ['an action and a running budget: not blocked', 'STOP_SCHEDULING_AND_COMPLETE_TASKS', [running], undefined],
    ['a budget whose window ended is none', 'STOP_SCHEDULING_AND_COMPLETE_TASKS', [ended], 'NO_BUDGET_CONFIGURED'],
    ['nor one not begun', 'STOP_SCHEDULING_AND_COMPLETE_TASKS', [notBegun], 'NO_BUDGET_CONFIGURED'],
    ['nor one set INACTIVE', 'STOP_SCHEDULING_AND_COMPLETE_TASKS', [setInactive, ended], 'NO_BUDGET_CONFIGURED'],
    ['a running budget that stopped the queue: BUDGET_THRESHOLD_REACHED', 'NONE', [stopped], 'BUDGET_THRESHOLD_REACHED'],
    ['... whatever the default action', 'STOP_SCHEDULING_AND_CANCEL_TASKS', [running, stopped], 'BUDGET_THRESHOLD_REACHED'],
    ['a stop by a budget since set INACTIVE does not hold', 'NONE', [{ ...stopped, status: 'INACTIVE' }], undefined],
    ['nor by one whose window ended', 'NONE', [{ ...ended, queueStoppedAt: NOW - DAY }], undefined],
    ['a monthly budget stopped this month holds', 'NONE', [{ ...running, startsAt: NOW - 90 * DAY, recurring: 'MONTHLY', queueStoppedAt: Date.UTC(2026, 5, 1) }], 'BUDGET_THRESHOLD_REACHED'],
    ["its stop of last month does not (a new period starts from 0)", 'NONE', [{ ...running, startsAt: NOW - 90 * DAY, recurring: 'MONTHLY', queueStoppedAt: Date.UTC(2026, 5, 1) - 1 }], undefined],
    ['a quarterly one stopped in April still holds in June', 'NONE', [{ ...running, startsAt: NOW - 90 * DAY, recurring: 'QUARTERLY', queueStoppedAt: Date.UTC(2026, 3, 2) }], 'BUDGET_THRESHOLD_REACHED'],
    ['... and then the default action applies', 'STOP_SCHEDULING_AND_COMPLETE_TASKS', [{ ...ended, queueStoppedAt: NOW - DAY }], 'NO_BUDGET_CONFIGURED'],
  ];
  for (const [name, action, budgets, expected] of cases) it(name, () => assert.equal(queueBudgetBlock(action, budgets, NOW), expected));
});
