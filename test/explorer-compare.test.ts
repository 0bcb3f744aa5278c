// The usage explorer's comparison with the previous period, in Chromium: with "Compare with
// previous period" the page also aggregates the range of equal length just before, and the
// table shows each queue's change of cost (amount and percent, "new", −100 % for a queue
// with no usage now) and the total's; the choice is in the URL, and a reload keeps it.
//
// The farm: four queues, sessions on either side of 2025-03-03 (one across it), priced at
// 3 USD per worker hour. The changes are worked out here from the sessions' minutes in each
// range, not read off the page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { explorerUrl } from '../src/domain/explorer-link.js';
import { farmWithNamedQueues, tableColumn } from './support/explorer-farm.js';
import { browserGate, desktopPage, launchChromium, pricingFile, runAndWait, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';

const gate = browserGate();

const RATE = 3; // USD per customer-managed worker hour
const RANGE = { start: '2025-03-03', end: '2025-03-05' };
const PREVIOUS = { start: Date.parse('2025-03-01T00:00:00Z'), end: Date.parse('2025-03-03T00:00:00Z') };
const CURRENT = { start: PREVIOUS.end, end: Date.parse('2025-03-05T00:00:00Z') };

/** Each queue's sessions: start (UTC) and minutes. Delta has usage only before the range, Gamma only in it. */
const SESSIONS: Record<string, [string, number][]> = {
  Alpha: [['2025-03-01T10:00', 60], ['2025-03-02T23:30', 60], ['2025-03-04T10:00', 90]],
  Beta: [['2025-03-02T08:00', 120], ['2025-03-03T08:00', 30]],
  Gamma: [['2025-03-04T12:00', 45]],
  Delta: [['2025-03-01T09:00', 30], ['2025-02-28T09:00', 600]],
};

/** A queue's cost in a range: the minutes of its sessions inside it, at the rate. */
function costIn(name: string, range: { start: number; end: number }): number {
  let ms = 0;
  for (const [at, minutes] of SESSIONS[name]!) {
    const start = Date.parse(`${at}:00Z`);
    ms += Math.max(0, Math.min(start + minutes * 60_000, range.end) - Math.max(start, range.start));
  }
  return (ms / 3_600_000) * RATE;
}

/** The change as the page should write it, from the two costs. */
function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'no change' : 'new';
  const delta = now - before;
  const sign = delta > 0 ? '+' : '\u2212';
  if (now === 0) return `\u2212$${before.toFixed(2)} (\u2212100 %)`;
  return `${sign}$${Math.abs(delta).toFixed(2)} (${sign}${(Math.abs(delta / before) * 100).toFixed(1)} %)`;
}

describe('the usage explorer\'s comparison with the previous period in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farm: { farmId: string; queueIds: string[] };
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;

  before(async () => {
    const pricing = pricingFile({ customerManagedWorkerHour: RATE });
    ft = await startFarmtally({ args: ['--pricing', pricing] });
    [farm, browser] = await Promise.all([
      farmWithNamedQueues(ft, 'Compare', Object.keys(SESSIONS), Object.entries(SESSIONS).flatMap(([queue, list]) => list.map(([at, minutes]) => ({ queue, startedAt: `${at}:00Z`, minutes })))),
      launchChromium(),
    ]);
    ({ page, consoleWatch } = await desktopPage(browser));
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('each queue\'s change of cost since the two days before, and the total\'s, kept in the URL', async () => {
    const link = explorerUrl(ft.url, {
      farm: farm.farmId, kind: 'queues', ids: farm.queueIds, ...RANGE, period: 'DAILY', tz: 'UTC', groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'cost',
    });
    await runAndWait(page, () => page.goto(link));
    assert.equal(await page.locator('td[data-column=change]').count(), 0, 'no comparison at first');

    await page.check('#compare');
    await runAndWait(page, () => page.click('#run'));
    assert.equal(new URL(page.url()).searchParams.get('compare'), 'previous', 'the URL holds the choice');

    const names = Object.keys(SESSIONS);
    const expected = Object.fromEntries(names.map((n) => [n, change(costIn(n, CURRENT), costIn(n, PREVIOUS))]));
    const sum = (range: typeof CURRENT) => names.reduce((a, n) => a + costIn(n, range), 0);
    const expectedTotal = change(sum(CURRENT), sum(PREVIOUS));
    assert.deepEqual(expected, { Alpha: '+$1.50 (+33.3 %)', Beta: '\u2212$4.50 (\u221275.0 %)', Gamma: 'new', Delta: '\u2212$1.50 (\u2212100 %)' }, 'the farm is as meant');

    const table = await tableColumn(page, 'change');
    assert.deepEqual(table.rows, expected, 'each queue\'s change, a queue gone since listed too');
    assert.equal(table.total, expectedTotal);
    assert.equal(await page.getByTestId('grand-change').textContent(), expectedTotal);
    assert.match((await page.getByTestId('compared-with').textContent())!, /2025-03-01 to 2025-03-03/, 'the range compared with');

    // Runtime instead: the same two runs' rows, the change in hours.
    await runAndWait(page, () => page.check('input[name=measure][value=runtime]'));
    const hours = (name: string, range: typeof CURRENT) => costIn(name, range) / RATE;
    const runtimeChange = (now: number, before: number) => change(now, before).replace(/\$([\d.]+)/, '$1 h');
    assert.deepEqual((await tableColumn(page, 'change')).rows, Object.fromEntries(names.map((n) => [n, runtimeChange(hours(n, CURRENT), hours(n, PREVIOUS))])), 'the change of runtime');
    await runAndWait(page, () => page.check('input[name=measure][value=cost]'));

    await runAndWait(page, () => page.reload());
    assert.ok(await page.isChecked('#compare'), 'a reload keeps the comparison');
    assert.deepEqual((await tableColumn(page, 'change')).rows, expected);

    await page.uncheck('#compare');
    await runAndWait(page, () => page.click('#run'));
    assert.equal(new URL(page.url()).searchParams.get('compare'), null);
    assert.equal(await page.locator('td[data-column=change]').count(), 0, 'no comparison again');
    assert.deepEqual(consoleWatch.problems(), []);
  });
});
