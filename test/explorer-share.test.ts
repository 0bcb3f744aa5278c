// The usage explorer's percent share, in Chromium: with "Share (%)" the chart shows each
// group's share of each bucket's total (the stack reaching 100 %) and the table each group's
// share of the grand total; the choice is in the URL, and a reload keeps it.
//
// The farm: three queues, two days of sessions (minutes below), read DAILY by queue as
// runtime. The shares are worked out here from those minutes, not read off the page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { explorerUrl } from '../src/domain/explorer-link.js';
import { farmWithNamedQueues, tableColumn } from './support/explorer-farm.js';
import { browserGate, desktopPage, launchChromium, runAndWait, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';

const gate = browserGate();

const DAYS = ['2025-03-01', '2025-03-02'];
/** Each queue's minutes of sessions on each day (0: none). */
const MINUTES: Record<string, number[]> = { Alpha: [60, 30], Beta: [30, 90], Gamma: [30, 0] };

const percent = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);
const text = (p: number) => `${p.toFixed(1)} %`;

/** Each queue's share of each day's minutes, and of all the minutes. */
function expectedShares(): { byDay: Record<string, number>[]; total: Record<string, number> } {
  const names = Object.keys(MINUTES);
  const dayTotal = DAYS.map((_, d) => names.reduce((a, n) => a + MINUTES[n]![d]!, 0));
  const all = dayTotal.reduce((a, b) => a + b, 0);
  return {
    byDay: DAYS.map((_, d) => Object.fromEntries(names.map((n) => [n, percent(MINUTES[n]![d]!, dayTotal[d]!)]))),
    total: Object.fromEntries(names.map((n) => [n, percent(MINUTES[n]!.reduce((a, b) => a + b, 0), all)])),
  };
}

/** The tooltip's rows (label to text) and its total, for the bucket the keyboard is on. */
async function tooltip(page: Page): Promise<{ rows: Record<string, string>; total: string }> {
  const tip = page.getByTestId('chart-tooltip');
  await tip.waitFor();
  const rows = await tip.locator('tbody tr').evaluateAll((trs) => trs.map((tr: any) => [tr.cells[0].textContent.trim(), tr.cells[1].textContent.trim()]));
  return { rows: Object.fromEntries(rows), total: (await tip.locator('tfoot td').textContent())!.trim() };
}

describe('the usage explorer\'s percent share in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farm: { farmId: string; queueIds: string[] };
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;
  const expected = expectedShares();

  before(async () => {
    ft = await startFarmtally();
    [farm, browser] = await Promise.all([
      farmWithNamedQueues(ft, 'Share', Object.keys(MINUTES), Object.entries(MINUTES).flatMap(([queue, minutes]) =>
        minutes.flatMap((m, d) => (m ? [{ queue, startedAt: `${DAYS[d]}T12:00:00Z`, minutes: m }] : [])))),
      launchChromium(),
    ]);
    ({ page, consoleWatch } = await desktopPage(browser));
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('Share (%) shows each queue\'s share of each day in the chart and of the whole range in the table, and stays in the URL', async () => {
    const link = explorerUrl(ft.url, {
      farm: farm.farmId, kind: 'queues', ids: farm.queueIds, start: DAYS[0]!, end: '2025-03-03', period: 'DAILY', tz: 'UTC',
      groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'runtime',
    });
    await runAndWait(page, () => page.goto(link));
    assert.equal(await page.locator('td[data-column=share]').count(), 0, 'amounts at first: no share column');

    await runAndWait(page, () => page.check('input[name=show][value=shares]'));
    assert.equal(new URL(page.url()).searchParams.get('show'), 'shares', 'the URL holds the choice');
    assert.equal(await page.locator('.results-head h2').textContent(), 'Share of runtime (%) by queue');

    const table = await tableColumn(page, 'share');
    assert.deepEqual(table.rows, Object.fromEntries(Object.entries(expected.total).map(([n, p]) => [n, text(p)])), 'each queue\'s share of the range');
    assert.equal(table.total, '100.0 %');
    const legend = await page.locator('.legend-item').evaluateAll((items) => items.map((i: any) => [i.querySelector('.legend-label').textContent, i.querySelector('.legend-total').textContent]));
    assert.deepEqual(Object.fromEntries(legend), Object.fromEntries(Object.entries(expected.total).map(([n, p]) => [n, text(p)])), 'the legend\'s totals are the shares too');

    await page.locator('.chart').focus();
    await page.keyboard.press('Home');
    for (let d = 0; d < DAYS.length; d++) {
      if (d > 0) await page.keyboard.press('ArrowRight');
      const tip = await tooltip(page);
      assert.deepEqual(tip.rows, Object.fromEntries(Object.entries(expected.byDay[d]!).map(([n, p]) => [n, text(p)])), `each queue's share of ${DAYS[d]}`);
      assert.equal(tip.total, '100.0 %', `${DAYS[d]} stacks to 100 %`);
    }

    await runAndWait(page, () => page.reload());
    assert.ok(await page.isChecked('input[name=show][value=shares]'), 'a reload keeps shares');
    assert.deepEqual((await tableColumn(page, 'share')).rows, Object.fromEntries(Object.entries(expected.total).map(([n, p]) => [n, text(p)])));

    await runAndWait(page, () => page.check('input[name=show][value=amounts]'));
    assert.equal(new URL(page.url()).searchParams.get('show'), 'amounts');
    assert.equal(await page.locator('td[data-column=share]').count(), 0, 'amounts again: no share column');
    assert.deepEqual(consoleWatch.problems(), []);
  });
});
