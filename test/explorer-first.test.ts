// The usage explorer puts results first, as a producer meets it in Chromium on a laptop
// (1440x900) and on a phone (390x844): a bare `/` runs a default view (the first farm's
// queues, the last 30 days daily by queue, cost); Run stays on screen however long the form
// is; on a phone a run the user started scrolls to its results and the table shows Cost
// first; the time zone field is wide enough to read a long zone name. The page's clock is
// fixed in June 2025, inside the demo farm's year, so the last 30 days have usage.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateFarmCommand, CreateQueueCommand } from '@aws-sdk/client-deadline';
import type { Browser, Page } from 'playwright-core';
import { explorerUrl } from '../src/domain/explorer-link.js';
import type { DemoIds } from '../src/demo/generate.js';
import { browserGate, demoPricingFile, fillDemoFarm, launchChromium, runAndWait, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';

const gate = browserGate();

const NOW = new Date('2025-06-15T16:00:00Z');
const ZONE = 'America/New_York';
const WIDE = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

/** The element's box on screen, and whether it is the element found at its middle (not under another). */
async function onScreen(page: Page, selector: string): Promise<{ top: number; bottom: number; left: number; right: number; innerWidth: number; innerHeight: number; onTop: boolean }> {
  return page.$eval(selector, (el: any) => {
    const w = globalThis as any;
    const r = el.getBoundingClientRect();
    const hit = w.document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, innerWidth: w.innerWidth, innerHeight: w.innerHeight, onTop: el === hit || el.contains(hit) };
  });
}

describe('the usage explorer puts results first, in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farmId: string;
  let ids: DemoIds;
  let browser: Browser;

  /** A page of its own at a screen size, in New York, on June 15, 2025. */
  async function openPage(viewport: { width: number; height: number }): Promise<{ page: Page; watch: ReturnType<typeof watchConsole> }> {
    const context = await browser.newContext({ viewport, timezoneId: ZONE, locale: 'en-US' });
    const page = await context.newPage();
    await page.clock.setFixedTime(NOW);
    return { page, watch: watchConsole(page) };
  }

  /** The demo farm's ten queues, May 2025 daily by queue, with the statistics asked. */
  const link = (stats = ['SUM']) =>
    explorerUrl(ft.url, {
      farm: farmId, kind: 'queues', ids: ids.queueIds.slice(0, 10), start: '2025-05-01', end: '2025-06-01', period: 'DAILY', tz: ZONE,
      groupBy: ['QUEUE_ID'], stats, measure: 'cost',
    });

  before(async () => {
    ft = await startFarmtally({ args: ['--pricing', demoPricingFile()] });
    [{ farmId, ids }, browser] = await Promise.all([fillDemoFarm(ft.url, ft.client, 3000), launchChromium()]);
    // An eleventh queue (the default view takes the API's 10), and a farm named after the
    // demo's, which the picker lists second.
    await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Zz archive' }));
    await ft.client.send(new CreateFarmCommand({ displayName: 'Zz old studio' }));
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('a bare / runs the default view: the first farm\'s first 10 queues, the last 30 days daily by queue, cost, in the browser\'s zone', async () => {
    const { page, watch } = await openPage(WIDE);
    await page.goto(`${ft.url}/`);
    await page.locator('input[name=resource]').first().waitFor(); // the farm's queues, listed after the farms
    // The run ends (done, and its chart drawn), or there is none: the URL says which.
    await page.locator('.run-status[data-run-state=done]').waitFor({ timeout: 15_000 }).catch(() => undefined);
    const firstFarm = await page.$eval('#farm', (s: any) => s.options[0].value);
    assert.equal(firstFarm, farmId, 'the picker lists the demo studio first');
    const picked = await page.locator('input[name=resource]').evaluateAll((boxes) => boxes.slice(0, 10).map((b: any) => b.value));
    const url = new URL(page.url());
    const param = (k: string) => url.searchParams.get(k);
    assert.deepEqual(
      { farm: param('farm'), queues: param('queues'), start: param('start'), end: param('end'), period: param('period'), tz: param('tz'), groupBy: param('groupBy'), stats: param('stats'), measure: param('measure') },
      { farm: farmId, queues: picked.join(','), start: '2025-05-17', end: '2025-06-16', period: 'DAILY', tz: ZONE, groupBy: 'QUEUE_ID', stats: 'SUM', measure: 'cost' },
      'the URL holds the default view',
    );
    await page.waitForFunction(() => (globalThis as any).document.documentElement.dataset.drawn === '1');
    assert.equal(await page.locator('input[name=resource]').count(), 11, 'the farm lists 11 queues');
    assert.equal(await page.locator('input[name=resource]:checked').count(), 10, 'the API\'s 10 picked');
    assert.equal(await page.$eval('#preset', (s: any) => s.selectedOptions[0]?.textContent), 'Last 30 days');
    assert.ok(Number(await page.locator('.chart-wrap').getAttribute('data-series')) > 0, 'the chart has series');
    assert.ok(await page.locator('table.groups tbody tr.group-row').count() > 0, 'the table has groups');
    assert.match(await page.textContent('[data-testid=grand-total]') ?? '', /[1-9]/, 'a grand total that is not 0');
    assert.deepEqual(watch.problems(), []);
    await page.context().close();
  });

  test('a server with no farm keeps its empty state: no run, a bare URL, how to make a demo farm', async () => {
    const empty = await startFarmtally();
    try {
      const { page, watch } = await openPage(WIDE);
      await page.goto(`${empty.url}/`);
      await page.locator('.results .empty', { hasText: 'This server has no farms yet' }).waitFor();
      assert.equal(new URL(page.url()).search, '', 'the URL stays bare');
      assert.equal(await page.locator('.run-status').getAttribute('data-run-state'), 'idle');
      assert.deepEqual(watch.problems(), []);
      await page.context().close();
    } finally {
      await empty.stop();
    }
  });

  test('Run is in view at 1440x900 and at 390x844, and stays in view as the form scrolls', async () => {
    for (const viewport of [WIDE, PHONE]) {
      const { page, watch } = await openPage(viewport);
      await runAndWait(page, () => page.goto(link()));
      const size = `${viewport.width}x${viewport.height}`;
      const run = await onScreen(page, '#run');
      assert.ok(run.top >= 0 && run.bottom <= run.innerHeight && run.left >= 0 && run.right <= run.innerWidth, `at ${size}, Run is inside the viewport: ${JSON.stringify(run)}`);
      assert.ok(run.onTop, `at ${size}, nothing covers Run`);
      // Half way down the form: still there, and pressing it runs.
      const formHeight = await page.$eval('form.controls', (f: any) => f.getBoundingClientRect().height);
      await page.evaluate((y) => (globalThis as any).scrollTo(0, y), Math.round(formHeight / 2));
      const scrolled = await onScreen(page, '#run');
      assert.ok(scrolled.top >= 0 && scrolled.bottom <= scrolled.innerHeight && scrolled.onTop, `at ${size}, scrolled half way down the form, Run is in view: ${JSON.stringify(scrolled)}`);
      await runAndWait(page, () => page.click('#run'));
      assert.deepEqual(watch.problems(), []);
      await page.context().close();
    }
  });

  test('on a phone, Run scrolls to the results when they come; on a laptop the page stays put', async () => {
    {
      const { page, watch } = await openPage(PHONE);
      await runAndWait(page, () => page.goto(link()));
      assert.equal(await page.evaluate(() => (globalThis as any).scrollY), 0, 'opening a link leaves the page at its top (Run in view)');
      await runAndWait(page, () => page.click('#run'));
      const results = await onScreen(page, 'section.results');
      assert.ok(results.top >= 0 && results.top < results.innerHeight / 4, `after a run on a phone, the results start near the top of the screen: ${JSON.stringify(results)}`);
      assert.ok(await page.locator('.results-head h2').isVisible());
      assert.deepEqual(watch.problems(), []);
      await page.context().close();
    }
    {
      const { page, watch } = await openPage(WIDE);
      await runAndWait(page, () => page.goto(link()));
      await runAndWait(page, () => page.click('#run'));
      assert.equal(await page.evaluate(() => (globalThis as any).scrollY), 0, 'on a laptop the results are beside the form: no scroll');
      assert.deepEqual(watch.problems(), []);
      await page.context().close();
    }
  });

  test('on a phone the table shows Cost before the other numbers; on a laptop the order stays', async () => {
    const order = async (page: Page) => ({
      header: await page.locator('table.groups thead button.sort').evaluateAll((bs) => bs.map((b: any) => b.dataset.column)),
      row: await page.locator('table.groups tbody tr.group-row').first().locator('td.num').evaluateAll((tds) => tds.map((td: any) => td.dataset.column)),
      footer: await page.locator('table.groups tfoot td.num').evaluateAll((tds) => tds.map((td: any) => td.dataset.column)),
    });
    const phone = await openPage(PHONE);
    await runAndWait(phone.page, () => phone.page.goto(link(['SUM', 'MIN'])));
    const numbers = ['cost', 'count', 'runtime', 'runtime-min', 'cost-min'];
    assert.deepEqual(await order(phone.page), { header: ['QUEUE_ID', ...numbers], row: numbers, footer: numbers }, 'on a phone, Cost comes first');
    const cost = await onScreen(phone.page, 'table.groups thead button.sort[data-column=cost]');
    assert.ok(cost.right <= cost.innerWidth, `on a phone, the Cost header is on the first screen, without scrolling the table: ${JSON.stringify(cost)}`);
    // The bucket detail follows the same order.
    await phone.page.locator('tr.group-row').first().locator('button.disclose').click();
    assert.deepEqual(await phone.page.locator('table.buckets thead th').allTextContents(), ['Bucket', 'Cost', 'Records counted', 'Runtime', 'Runtime min', 'Cost min']);
    assert.deepEqual(phone.watch.problems(), []);
    await phone.page.context().close();

    const wide = await openPage(WIDE);
    await runAndWait(wide.page, () => wide.page.goto(link(['SUM', 'MIN'])));
    const asBefore = ['count', 'runtime', 'cost', 'runtime-min', 'cost-min'];
    assert.deepEqual(await order(wide.page), { header: ['QUEUE_ID', ...asBefore], row: asBefore, footer: asBefore }, 'on a laptop, the order stays');
    assert.deepEqual(wide.watch.problems(), []);
    await wide.page.context().close();
  });

  test('the time zone field shows a long zone name whole', async () => {
    for (const viewport of [WIDE, PHONE]) {
      const { page, watch } = await openPage(viewport);
      await runAndWait(page, () => page.goto(link()));
      const size = `${viewport.width}x${viewport.height}`;
      const fits = () => page.$eval('#tz', (i: any) => ({ value: i.value, scrollWidth: i.scrollWidth, clientWidth: i.clientWidth }));
      for (const zone of ['America/New_York', 'America/Los_Angeles', 'America/Argentina/Buenos_Aires']) {
        await page.fill('#tz', zone);
        await page.focus('#tz');
        const f = await fits();
        assert.ok(f.scrollWidth <= f.clientWidth, `at ${size}, ${zone} fits the field: ${JSON.stringify(f)}`);
      }
      assert.deepEqual(watch.problems(), []);
      await page.context().close();
    }
  });
});
