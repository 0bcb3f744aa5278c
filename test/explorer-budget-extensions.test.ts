// The budgets view with farmtally's budget extensions, in Chromium against a real server: a
// fleet budget that starts again every month, a budget on one user and one on the whole farm,
// listed with what they track and their spend, the recurring one's detail counting this
// month only, and the user's counting that user's sessions only.
// The numbers are worked out here from the sessions sent (a customer-managed fleet: 1 USD a
// worker-hour, the default rate card); the extension budgets are created as a script would,
// with JSON the SDK cannot send (the model's unions lack the members).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand } from '@aws-sdk/client-deadline';
import type { Browser } from 'playwright-core';
import { browserGate, launchChromium } from './support/browser.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, sessionRecord } from './support/session-records.js';
import { postSessions } from './support/statistics-farm.js';

const gate = browserGate();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.now();
const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
/** Hours of [from, to) inside [windowStart, windowEnd). */
const hoursIn = ([from, to]: [number, number], windowStart: number, windowEnd: number) => Math.max(0, Math.min(to, windowEnd) - Math.max(from, windowStart)) / HOUR;

// On the farm's fleet: one session last month, one ending an hour ago (this month, unless the month began less than 3 h ago: then cut at its start).
const LAST_MONTH: [number, number] = [monthStart - 5 * DAY, monthStart - 5 * DAY + 4 * HOUR];
const RECENT: [number, number] = [now - 3 * HOUR, now - HOUR];
// On a second queue (same fleet), by another user (ben): half an hour two days ago.
const OTHER: [number, number] = [now - 2 * DAY, now - 2 * DAY + HOUR / 2];
const FARM_WINDOW = { start: monthStart - 40 * DAY, end: now + 10 * DAY };

describe('the budgets view with fleet, farm and recurring budgets', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let browser: Browser;
  let farmId: string;
  let fleetName: string;

  before(async () => {
    ft = await startFarmtally();
    const parents = await farmWithParents(ft.client, 'Extension studio');
    farmId = parents.farmId;
    fleetName = 'Extension studio fleet';
    const other = (await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Other' }))).queueId!;
    const at = (queueId: string, [from, to]: [number, number], more = {}) =>
      sessionRecord({ ...parents, queueId }, { startedAt: new Date(from).toISOString(), endedAt: new Date(to).toISOString(), instanceType: undefined, ...more });
    await postSessions(ft.url, farmId, [at(parents.queueId, LAST_MONTH), at(parents.queueId, RECENT), at(other, OTHER, { userId: 'ben' })]);
    const create = async (body: object) => {
      const res = await http(ft.url, 'POST', `/2023-10-12/farms/${farmId}/budgets`, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 200, res.text);
    };
    await create({
      displayName: 'Fleet, monthly', usageTrackingResource: { fleetId: parents.fleetId }, approximateDollarLimit: 50, actions: [],
      schedule: { recurring: { period: 'MONTHLY', startTime: new Date(monthStart - 90 * DAY).toISOString() } },
    });
    await create({
      displayName: 'Ben', usageTrackingResource: { userId: 'ben' }, approximateDollarLimit: 20, actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 80 }],
      schedule: { fixed: { startTime: new Date(FARM_WINDOW.start).toISOString(), endTime: new Date(FARM_WINDOW.end).toISOString() } },
    });
    await create({
      displayName: 'Whole farm', usageTrackingResource: { farmId }, approximateDollarLimit: 100, actions: [],
      schedule: { fixed: { startTime: new Date(FARM_WINDOW.start).toISOString(), endTime: new Date(FARM_WINDOW.end).toISOString() } },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('each listed with what it tracks and its spend; the monthly one counts this month only', async () => {
    const fleetThisMonth = hoursIn(LAST_MONTH, monthStart, now) + hoursIn(RECENT, monthStart, now) + hoursIn(OTHER, monthStart, now);
    const farmSpent = [LAST_MONTH, RECENT, OTHER].reduce((s, span) => s + hoursIn(span, FARM_WINDOW.start, now), 0);
    const benSpent = hoursIn(OTHER, FARM_WINDOW.start, now);
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' })).newPage();
    await page.goto(`${ft.url}/?view=budgets&farm=${farmId}`);
    const items = page.locator('.budget-item');
    await items.nth(2).waitFor();
    const rows = await items.evaluateAll((links) => links.map((a: any) => [a.querySelector('.budget-name').textContent, a.querySelector('.budget-queue').textContent, a.querySelector('[data-testid=budget-spend]').textContent]));
    assert.deepEqual(rows, [
      ['Ben', 'User ben, every queue', `${usd(benSpent)} of ${usd(20)}`],
      ['Fleet, monthly', `Fleet ${fleetName}`, `${usd(fleetThisMonth)} of ${usd(50)}`],
      ['Whole farm', 'The whole farm', `${usd(farmSpent)} of ${usd(100)}`],
    ]);

    // The user's budget (first): the farm's days by user, that user's added up.
    await page.waitForFunction((want) => (globalThis as any).document.querySelector('[data-testid=budget-words]')?.textContent?.startsWith(want), `${usd(benSpent)} of ${usd(20)}`);
    assert.ok((await page.locator('.budget-detail .results-head p').textContent())!.startsWith('User ben, every queue · '));
    assert.match((await page.getByTestId('budget-action-note').textContent())!, /^A budget on a user blocks no queue: at a threshold farmtally records an event/);

    // The monthly budget's detail: this month's window, and this month's spend in words.
    await items.nth(1).click();
    await page.waitForFunction((want) => (globalThis as any).document.querySelector('[data-testid=budget-words]')?.textContent?.startsWith(want), `${usd(fleetThisMonth)} of ${usd(50)}`);
    const head = await page.locator('.budget-detail .results-head p').textContent();
    assert.ok(head!.startsWith(`Fleet ${fleetName} · ${new Date(monthStart).toISOString().slice(0, 10)} → `), head!);
    assert.match(head!, /this month's window; it starts again every month/);
    assert.ok((await page.getByTestId('budget-words').textContent())!.startsWith(`${usd(fleetThisMonth)} of ${usd(50)}`));

    // The farm's: every queue's days added up.
    await items.nth(2).click();
    await page.waitForFunction((want) => (globalThis as any).document.querySelector('[data-testid=budget-words]')?.textContent?.startsWith(want), `${usd(farmSpent)} of ${usd(100)}`);
    assert.ok((await page.locator('.budget-detail .results-head p').textContent())!.startsWith('The whole farm · '));
  });
});
