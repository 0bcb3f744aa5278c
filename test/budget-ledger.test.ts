// The budget ledger (domain/budget-ledger.ts) against a plain reference: at any time, the sum
// over every session's usage records of rate x the time inside [start, min(end, t)) and the
// window so far. Many tiny cases, then seeded churn (sessions added, replaced and taken
// away in any order, read at rising times).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { usageRecords, type UnpricedUsageRecord } from '../src/domain/aggregation-rules.js';
import { BudgetLedger, sessionRamps, type BudgetWindow } from '../src/domain/budget-ledger.js';
import type { SessionRecord } from '../src/domain/resources.js';
import { random } from './support/ingest-fuzz.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 2, 1);
const window: BudgetWindow = { startsAt: T0, endsAt: T0 + 48 * H };
const RATES: Record<string, number> = { 'c5.4xlarge': 0.68, maya: 0.5, nuke: 0.25 };
const rate = (u: UnpricedUsageRecord) => (u.usageType === 'LICENSE' ? (RATES[u.licenseProduct!] ?? 0) : (RATES[u.instanceType ?? ''] ?? 0.1)) * 1.75;

/** The reference: each usage record's cost inside [S, min(E, now)), a running record ending at now. */
function expected(sessions: Iterable<SessionRecord>, nowMs: number): number {
  const until = Math.min(window.endsAt, nowMs);
  let usd = 0;
  for (const s of sessions) {
    for (const u of usageRecords(s, nowMs, rate)) {
      const ms = Math.min(u.endedAt, until) - Math.max(u.startedAt, window.startsAt);
      if (ms > 0) usd += (u.costPerHourUsd * ms) / H;
    }
  }
  return usd;
}

const session = (n: number, startedAt: number, endedAt?: number, more: Partial<SessionRecord> = {}): SessionRecord => ({
  sessionId: `session-${n}`, queueId: 'queue-1', fleetId: 'fleet-1', jobId: 'job-1', jobName: 'shot', userId: 'ana', workerId: 'worker-1',
  instanceType: 'c5.4xlarge', startedAt, ...(endedAt !== undefined && { endedAt }), ...more,
});

function ledgerOf(sessions: SessionRecord[]): BudgetLedger {
  const ledger = new BudgetLedger(window);
  for (const s of sessions) ledger.add(sessionRamps(s, window, rate), 1);
  return ledger;
}

const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);

describe('budget ledger: tiny cases', () => {
  const cases: [string, SessionRecord[], number][] = [
    ['nothing', [], T0 + 10 * H],
    ['one closed session inside the window', [session(1, T0 + H, T0 + 3 * H)], T0 + 10 * H],
    ['read while it ran', [session(1, T0 + H, T0 + 3 * H)], T0 + 2 * H],
    ['read before it began', [session(1, T0 + H, T0 + 3 * H)], T0 + H / 2],
    ['read at its very end', [session(1, T0 + H, T0 + 3 * H)], T0 + 3 * H],
    ['cut by the window start', [session(1, T0 - 5 * H, T0 + 2 * H)], T0 + 10 * H],
    ['cut by the window end', [session(1, T0 + 40 * H, T0 + 60 * H)], T0 + 100 * H],
    ['wholly before the window', [session(1, T0 - 5 * H, T0 - H)], T0 + 10 * H],
    ['wholly after the window', [session(1, T0 + 50 * H, T0 + 51 * H)], T0 + 100 * H],
    ['running: counts up to now', [session(1, T0 + H)], T0 + 7.5 * H],
    ['running: counts up to the window end once past it', [session(1, T0 + H)], T0 + 90 * H],
    ['running, started before the window', [session(1, T0 - 3 * H)], T0 + 2 * H],
    ['running, read before the window', [session(1, T0 - 3 * H)], T0 - H],
    ['starts after now (a clock ahead)', [session(1, T0 + 5 * H)], T0 + 4 * H],
    ['ends before it starts: nothing', [session(1, T0 + 5 * H, T0 + 4 * H)], T0 + 10 * H],
    ['an end after now counts only up to now', [session(1, T0 + H, T0 + 9 * H)], T0 + 4 * H],
    ['licenses: one record per distinct product', [session(1, T0, T0 + 2 * H, { licenseProducts: ['maya', 'nuke', 'maya'] })], T0 + 10 * H],
    ['half-hour edges', [session(1, T0 + 0.5 * H, T0 + 1.5 * H), session(2, T0 + 1.5 * H)], T0 + 2.5 * H],
    ['an instance type with no rate takes the default', [session(1, T0, T0 + H, { instanceType: undefined })], T0 + 10 * H],
  ];
  for (const [name, sessions, now] of cases) {
    test(name, () => close(ledgerOf(sessions).usageAt(now), expected(sessions, now), name));
  }

  test('taking away what was added leaves nothing', () => {
    const s = session(1, T0 + H, undefined, { licenseProducts: ['maya'] });
    const ledger = ledgerOf([s]);
    assert.ok(ledger.usageAt(T0 + 5 * H) > 0);
    ledger.add(sessionRamps(s, window, rate), -1);
    close(ledger.usageAt(T0 + 6 * H), 0, 'after removal');
  });

  test('a constant stands from the window start', () => {
    const ledger = ledgerOf([]);
    ledger.addConstant(12.5);
    close(ledger.usageAt(T0 + H), 12.5, 'constant');
  });

  test('reachesAt: the first millisecond usage reaches an amount', () => {
    const ledger = ledgerOf([session(1, T0 + H)]); // 0.68 x 1.75 USD an hour from T0 + 1 h
    const perHour = 0.68 * 1.75;
    assert.equal(ledger.reachesAt(2 * perHour, T0), T0 + 3 * H);
    assert.equal(ledger.reachesAt(1000, T0), undefined, 'not within the window');
    assert.equal(ledger.reachesAt(0, T0 + 2 * H), T0 + 2 * H, 'reached already');
  });
});

describe('budget ledger: seeded churn against the reference', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    test(`seed ${seed}`, () => {
      const r = random(seed);
      const current = new Map<string, SessionRecord>();
      const ledger = new BudgetLedger(window);
      let now = T0 - 5 * H;
      for (let step = 0; step < 400; step++) {
        const id = r.int(30);
        const was = current.get(`session-${id}`);
        if (was && r.chance(0.15)) {
          ledger.add(sessionRamps(was, window, rate), -1);
          current.delete(was.sessionId);
        } else {
          const startedAt = T0 + (r.int(120) - 20) * (H / 2);
          const next = session(id, startedAt, r.chance(0.3) ? undefined : startedAt + r.int(20) * (H / 4), {
            instanceType: r.chance(0.8) ? 'c5.4xlarge' : undefined,
            licenseProducts: r.chance(0.3) ? r.pick([['maya'], ['maya', 'nuke']]) : undefined,
          });
          if (was) ledger.add(sessionRamps(was, window, rate), -1);
          ledger.add(sessionRamps(next, window, rate), 1);
          current.set(next.sessionId, next);
        }
        // Time goes on (by up to 3 h, sometimes not at all).
        now += r.int(4) * (H / 4) * (r.chance(0.5) ? 1 : 0.5);
        close(ledger.usageAt(now), expected(current.values(), now), `seed ${seed} step ${step} at +${(now - T0) / H} h`);
      }
    });
  }
});
