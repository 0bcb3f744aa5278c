// Drilling down keeps its place, in Chromium at 1440x900 against a demo farm: a drilled view
// shows its path as a breadcrumb ("All queues › Lighting › by job") whose first step returns
// to the view drilled from (its URL and legend), its heading names the queue, and a view of
// many small groups (a year of a queue's jobs) is a ranked bar of the top groups and "Others"
// rather than a time stack that is mostly grey, with a way back to the time stack.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { explorerUrl } from '../src/domain/explorer-link.js';
import type { DemoIds } from '../src/demo/generate.js';
import { browserGate, demoPricingFile, fillDemoFarm, launchChromium, runAndWait, waitForFirstRun, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';

const gate = browserGate();
const WIDE = { width: 1440, height: 900 };

/** The legend's labels, in order. */
const legendOf = (page: Page) => page.locator('.legend .legend-label').allTextContents();

/** Every row of the table (all groups shown), largest cost first: label and unrounded cost. */
async function tableByCost(page: Page): Promise<{ label: string; cost: number }[]> {
  const more = page.locator('button.more');
  if (await more.count()) await more.click();
  const rows = await page.locator('table.groups tbody tr.group-row').evaluateAll((trs) =>
    trs.map((tr: any) => ({
      label: Array.from(tr.querySelectorAll('th.group-cell')).map((th: any) => th.textContent).join(' · '),
      cost: Number(tr.querySelector('td[data-column="cost"]').dataset.value),
    })),
  );
  return rows.sort((a, b) => b.cost - a.cost || (a.label < b.label ? -1 : 1));
}

describe('drilling down keeps its place, in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farmId: string;
  let ids: DemoIds;
  let browser: Browser;

  /** The demo farm's ten queues, 2025 monthly by queue, cost. */
  const link = () =>
    explorerUrl(ft.url, {
      farm: farmId, kind: 'queues', ids: ids.queueIds.slice(0, 10), start: '2025-01-01', end: '2026-01-01', period: 'MONTHLY', tz: 'UTC',
      groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'cost',
    });

  async function openPage(): Promise<{ page: Page; watch: ReturnType<typeof watchConsole> }> {
    const context = await browser.newContext({ viewport: WIDE, timezoneId: 'UTC', locale: 'en-US' });
    const page = await context.newPage();
    return { page, watch: watchConsole(page) };
  }

  /** Opens the queues' view and drills into the largest queue by job from the table; its name. */
  async function drillLargest(page: Page): Promise<string> {
    await page.goto(link());
    await waitForFirstRun(page);
    const largest = (await tableByCost(page))[0]!.label;
    await runAndWait(page, () => page.locator('tr.group-row', { has: page.locator('button.drill', { hasText: largest }) }).locator('button.drill').click());
    return largest;
  }

  before(async () => {
    ft = await startFarmtally({ args: ['--pricing', demoPricingFile()] });
    [{ farmId, ids }, browser] = await Promise.all([fillDemoFarm(ft.url, ft.client, 3000), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('a drilled view names its queue and shows its path; the path\'s first step returns to the queues, URL and legend', async () => {
    const { page, watch } = await openPage();
    await page.goto(link());
    await waitForFirstRun(page);
    const queuesUrl = page.url();
    const queuesLegend = await legendOf(page);
    const largest = (await tableByCost(page))[0]!.label;
    assert.equal(await page.locator('nav.breadcrumb').count(), 0, 'a view not drilled into has no path to show');

    await runAndWait(page, () => page.locator('tr.group-row', { has: page.locator('button.drill', { hasText: largest }) }).locator('button.drill').click());
    assert.equal(await page.locator('.results-head h2').textContent(), `Cost (USD) of queue ${largest} by job`, 'the heading names the queue drilled into');
    const crumb = page.locator('nav.breadcrumb');
    assert.equal((await crumb.count()) && (await crumb.innerText()).replace(/\s+/g, ' ').trim(), `All queues › ${largest} › by job`, 'the breadcrumb shows the path');
    assert.ok(new URL(page.url()).searchParams.get('from'), 'the URL holds the view drilled from');

    // A shared link keeps the path.
    const drilledUrl = page.url();
    const { page: shared } = await openPage();
    await shared.goto(drilledUrl);
    await waitForFirstRun(shared);
    assert.equal((await shared.locator('nav.breadcrumb').innerText()).replace(/\s+/g, ' ').trim(), `All queues › ${largest} › by job`, 'a shared link keeps the path');
    await shared.context().close();

    await runAndWait(page, () => page.locator('nav.breadcrumb a', { hasText: 'All queues' }).click());
    assert.equal(page.url(), queuesUrl, 'the breadcrumb\'s link returns to the queues\' URL');
    assert.deepEqual(await legendOf(page), queuesLegend, 'and to their legend');
    assert.equal(await page.locator('nav.breadcrumb').count(), 0, 'the queues\' view has no path');
    // Back still works: to the drilled view, path and all.
    await runAndWait(page, () => page.goBack());
    assert.equal(page.url(), drilledUrl, 'Back returns to the drilled view');
    assert.equal((await page.locator('nav.breadcrumb').innerText()).replace(/\s+/g, ' ').trim(), `All queues › ${largest} › by job`);
    assert.deepEqual(watch.problems(), []);
    await page.context().close();
  });

  test('a year of a queue\'s jobs is a ranked bar of the top 20 and "Others", its values the table\'s; a toggle returns to the time stack', async () => {
    const { page, watch } = await openPage();
    await drillLargest(page);
    const table = await tableByCost(page);
    assert.ok(table.length > 30, `many jobs: ${table.length}`);
    const ranked = page.locator('.ranked-bars');
    assert.equal(await ranked.count(), 1, 'a view of many small groups is shown as a ranked bar');
    const bars = await ranked.locator('.ranked-row').evaluateAll((rows) =>
      rows.map((r: any) => ({ label: r.querySelector('.ranked-label').textContent, value: Number(r.dataset.value), shown: r.querySelector('.ranked-value').textContent })),
    );
    assert.equal(bars.length, 21, 'the top 20 groups, then "Others"');
    assert.deepEqual(bars.slice(0, 20).map((b) => [b.label, b.value]), table.slice(0, 20).map((r) => [r.label, r.cost]), 'the bars are the table\'s top 20, with its totals');
    const rest = table.slice(20);
    assert.equal(bars[20]!.label, `Others (${rest.length} groups)`);
    const restSum = rest.reduce((a, r) => a + r.cost, 0);
    assert.ok(Math.abs(bars[20]!.value - restSum) <= 1e-9 * Math.max(1, restSum), `"Others" is the rest's sum: ${bars[20]!.value} against ${restSum}`);
    assert.match(bars[20]!.shown, /^\$[\d,]+\.\d\d$/, '"Others" states its value');
    assert.equal(await page.locator('.chart .u-over').count(), 0, 'no time stack beside it');

    // The toggle: the time stack, with "Others" in its legend; and back.
    await page.locator('button.view-toggle').click();
    await page.locator('.chart .u-over').waitFor();
    assert.equal(await ranked.count(), 0, 'the ranked bar gives way to the time stack');
    assert.match((await legendOf(page)).at(-1) ?? '', /^Others \(\d+ groups\)$/);
    await page.locator('button.view-toggle').click();
    await ranked.waitFor();
    assert.deepEqual(watch.problems(), []);
    await page.context().close();
  });

  test('a view of 10 groups or fewer keeps its time stack', async () => {
    const { page, watch } = await openPage();
    await page.goto(link());
    await waitForFirstRun(page);
    await page.locator('.chart .u-over').waitFor();
    assert.equal(await page.locator('.ranked-bars').count(), 0);
    assert.equal(await page.locator('button.view-toggle').count(), 0, 'nothing to toggle');
    assert.deepEqual(watch.problems(), []);
    await page.context().close();
  });
});
