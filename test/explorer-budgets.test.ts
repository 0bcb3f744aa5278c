// The budgets view in Chromium, against a real server: reached from the explorer by its tab
// and by its URL, a farm's budgets listed with their spend against the limit, and the picked
// one's words (spend, percent, forecast), thresholds crossed, and chart (the limit line, a
// marker per action, the forecast dashed), on a laptop and on a phone. The numbers are worked
// out here from the sessions sent (a customer-managed fleet: 1 USD a worker-hour, the default
// rate card) and the forecast's method as docs/DECISIONS.md writes it ("Budget forecast").
// The server's and the page's clocks are the real ones: the sessions lie on days before
// today, and the forecast moves only at midnight UTC then.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateBudgetCommand, CreateQueueCommand, GetBudgetCommand } from '@aws-sdk/client-deadline';
import { eventually } from './support/eventually.js';
import type { Browser, Page } from 'playwright-core';
import { browserGate, launchChromium, waitForFirstRun, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, sessionRecord, type FarmParents } from './support/session-records.js';
import { postSessions } from './support/statistics-farm.js';

const gate = browserGate();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const today = Math.floor(Date.now() / DAY) * DAY;
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

// "Shots": hours on days before today (day -9 is outside the last 7 complete days), window
// from 10 days ago to 20 days on, limit $40, actions at 50 and 80 %.
const SHOTS_HOURS: [day: number, hours: number][] = [[-9, 8], [-6, 5], [-2, 6.5], [-1, 4.5]];
const SHOTS = { start: today - 10 * DAY, end: today + 20 * DAY, limit: 40 };
const shotsSpent = SHOTS_HOURS.reduce((s, [, h]) => s + h, 0);
const shotsRate = SHOTS_HOURS.filter(([day]) => day >= -7).reduce((s, [, h]) => s + h, 0) / 7;
// Nothing spent today: today counts as a day at the rate, and so does each of the 19 after it.
const shotsForecast = shotsSpent + shotsRate * ((SHOTS.end - today) / DAY);
const percent = (n: number, limit: number) => `${Math.round((n / limit) * 100)} %`;
// "Previs (old)": an ended window on another queue, 3 hours in it.
const PREVIS = { start: today - 40 * DAY, end: today - 30 * DAY, limit: 10, hours: 3 };

describe('the budgets view in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farm: FarmParents;
  let shotsId: string;
  let previsId: string;
  let browser: Browser;

  before(async () => {
    // Thresholds are checked every 200 ms (10 s by default): the Shots budget's 50 % stops its queue at once.
    ft = await startFarmtally({ env: { FARMTALLY_BUDGET_CHECK_MS: '200' } });
    farm = await farmWithParents(ft.client, 'Budget studio');
    const previsQueue = (await ft.client.send(new CreateQueueCommand({ farmId: farm.farmId, displayName: 'Previs' }))).queueId!;
    const at = (queueId: string, startMs: number, hours: number) =>
      sessionRecord({ ...farm, queueId }, { startedAt: new Date(startMs).toISOString(), endedAt: new Date(startMs + hours * HOUR).toISOString(), instanceType: undefined });
    await postSessions(ft.url, farm.farmId, [
      ...SHOTS_HOURS.map(([day, hours]) => at(farm.queueId, today + day * DAY + HOUR, hours)),
      at(previsQueue, today - 35 * DAY + 2 * HOUR, PREVIS.hours),
    ]);
    const budget = async (name: string, queueId: string, w: { start: number; end: number; limit: number }) =>
      (await ft.client.send(new CreateBudgetCommand({
        farmId: farm.farmId, displayName: name, usageTrackingResource: { queueId }, approximateDollarLimit: w.limit,
        actions: [{ type: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', thresholdPercentage: 50 }, { type: 'STOP_SCHEDULING_AND_CANCEL_TASKS', thresholdPercentage: 80 }],
        schedule: { fixed: { startTime: new Date(w.start), endTime: new Date(w.end) } },
      }))).budgetId!;
    shotsId = await budget('Shots', farm.queueId, SHOTS);
    previsId = await budget('Previs (old)', previsQueue, PREVIS);
    await eventually('the Shots budget stops its queue', async () => (await ft.client.send(new GetBudgetCommand({ farmId: farm.farmId, budgetId: shotsId }))).queueStoppedAt, 20_000);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  async function open(width: number, height: number): Promise<{ page: Page; problems: () => string[] }> {
    const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US' });
    const page = await context.newPage();
    const watch = watchConsole(page);
    return { page, problems: () => watch.problems() };
  }
  const words = (page: Page) => page.getByTestId('budget-words').textContent();
  const shotsWords = `${usd(shotsSpent)} of ${usd(SHOTS.limit)} (${percent(shotsSpent, SHOTS.limit)}) spent, forecast ${usd(shotsForecast)} by ${date(SHOTS.end)} (${percent(shotsForecast, SHOTS.limit)}).`;

  test('from the explorer\'s tab: the list, the active budget\'s words, its thresholds and its chart', async () => {
    const { page, problems } = await open(1440, 900);
    await page.goto(`${ft.url}/?farm=${farm.farmId}`);
    await waitForFirstRun(page);
    await page.getByRole('link', { name: 'Budgets' }).click();
    await page.waitForURL((u) => u.searchParams.get('view') === 'budgets' && u.searchParams.get('farm') === farm.farmId);
    const items = page.locator('.budget-item');
    await items.nth(1).waitFor();
    const row = async (i: number) => ({
      name: await items.nth(i).locator('.budget-name').textContent(),
      queue: await items.nth(i).locator('.budget-queue').textContent(),
      status: await items.nth(i).getByTestId('budget-status').textContent(),
      spend: await items.nth(i).getByTestId('budget-spend').textContent(),
      percent: await items.nth(i).getByTestId('budget-percent').textContent(),
      window: await items.nth(i).locator('.budget-window').textContent(),
    });
    assert.deepEqual(await row(0), {
      name: 'Shots', queue: 'Queue Budget studio queue', status: 'ACTIVE', spend: `${usd(shotsSpent)} of ${usd(SHOTS.limit)}`,
      percent: percent(shotsSpent, SHOTS.limit), window: `${date(SHOTS.start)} → ${date(SHOTS.end)}`,
    });
    assert.deepEqual(await row(1), {
      name: 'Previs (old)', queue: 'Queue Previs', status: 'INACTIVE', spend: `${usd(PREVIS.hours)} of ${usd(PREVIS.limit)}`,
      percent: percent(PREVIS.hours, PREVIS.limit), window: `${date(PREVIS.start)} → ${date(PREVIS.end)}`,
    });

    // The first, active budget is shown: spend, percent and forecast in words; 50 % crossed, 80 % not.
    await page.getByTestId('budget-words').waitFor();
    assert.equal(await words(page), shotsWords);
    assert.equal(await page.getByTestId('budget-crossed').textContent(), 'Crossed: 50 %. Not yet: 80 %.');
    assert.match(
      (await page.getByTestId('budget-stopped').textContent()) ?? '',
      /^Queue Budget studio queue is blocked since \d{4}-\d\d-\d\d \d\d:\d\d UTC: a threshold was reached, so it reads SCHEDULING_BLOCKED \(BUDGET_THRESHOLD_REACHED\)/,
    );
    assert.equal(await page.getByTestId('budget-basis').textContent(),
      `The forecast goes on from the spend so far at ${usd(shotsRate)} a day, the average of the last 7 complete days (UTC), from today to the window's end.`);

    // The chart: the limit across, a marker per action (50 % crossed), the forecast dashed to the end.
    const chart = page.getByTestId('budget-chart');
    await chart.waitFor();
    assert.equal(await chart.locator('[data-testid=limit-line]').count(), 1);
    assert.deepEqual(await chart.locator('.threshold').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-threshold'), g.classList.contains('crossed'), g.querySelector('.threshold-marker') !== null])),
      [['50', true, true], ['80', false, true]]);
    const forecastLine = chart.locator('[data-testid=forecast-line]');
    assert.equal(await forecastLine.count(), 1);
    assert.notEqual(await forecastLine.evaluate((l) => (globalThis as any).getComputedStyle(l).strokeDasharray), 'none');
    // Heights on the chart agree with the numbers: the limit's line at 40, 80 % at 32, the forecast's end above the limit.
    const ys = await chart.evaluate((svg) => ({
      limit: Number(svg.querySelector('.limit-line')!.getAttribute('y1')),
      t80: Number(svg.querySelector('[data-threshold="80"] .threshold-line')!.getAttribute('y1')),
      zero: Number(svg.querySelector('.axis')!.getAttribute('y1')),
      forecastEnd: Number(svg.querySelector('.forecast-line')!.getAttribute('y2')),
    }));
    assert.ok(Math.abs((ys.zero - ys.t80) / (ys.zero - ys.limit) - 0.8) < 0.01, JSON.stringify(ys));
    assert.ok(Math.abs((ys.zero - ys.forecastEnd) / (ys.zero - ys.limit) - shotsForecast / SHOTS.limit) < 0.01, JSON.stringify(ys));
    assert.equal(date(Date.now()), date(today), 'the day did not change during the test');
    assert.deepEqual(problems(), []);
    await page.context().close();
  });

  test('a budget picked is in the URL; an ended one says so and has no forecast line; Back returns', async () => {
    const { page, problems } = await open(1440, 900);
    await page.goto(`${ft.url}/?view=budgets&farm=${farm.farmId}`);
    await page.getByTestId('budget-words').waitFor();
    await page.locator(`.budget-item[data-budget-id="${previsId}"]`).click();
    await page.waitForURL((u) => u.searchParams.get('budget') === previsId);
    await page.waitForFunction((text) => (globalThis as any).document.querySelector('[data-testid=budget-words]')?.textContent === text,
      `${usd(PREVIS.hours)} of ${usd(PREVIS.limit)} (${percent(PREVIS.hours, PREVIS.limit)}) spent; the window ended on ${date(PREVIS.end)}.`);
    assert.equal(await page.getByTestId('forecast-line').count(), 0);
    assert.equal(await page.getByTestId('limit-line').count(), 1);
    assert.equal(await page.getByTestId('budget-crossed').textContent(), 'No threshold crossed yet. Not yet: 50 %, 80 %.');
    assert.equal(await page.getByTestId('budget-stopped').count(), 0, 'an ended budget blocks nothing');
    await page.goBack();
    await page.waitForFunction((text) => (globalThis as any).document.querySelector('[data-testid=budget-words]')?.textContent === text, shotsWords);
    // Its own link opens it too.
    await page.goto(`${ft.url}/?view=budgets&farm=${farm.farmId}&budget=${shotsId}`);
    await page.getByTestId('budget-words').waitFor();
    assert.equal(await words(page), shotsWords);
    assert.deepEqual(problems(), []);
    await page.context().close();
  });

  test('on a phone (390 × 844): the same words, the chart within the screen, nothing wider than it', async () => {
    const { page, problems } = await open(390, 844);
    await page.goto(`${ft.url}/?view=budgets&farm=${farm.farmId}`);
    await page.getByTestId('budget-words').waitFor();
    assert.equal(await words(page), shotsWords);
    const chart = page.getByTestId('budget-chart');
    await chart.waitFor();
    const box = (await chart.boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
    assert.equal(await chart.locator('[data-testid=limit-line]').count(), 1);
    assert.ok(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth <= 390), 'no sideways scrolling');
    assert.equal(await page.locator('.budget-item').count(), 2);
    assert.deepEqual(problems(), []);
    await page.context().close();
  });
});
