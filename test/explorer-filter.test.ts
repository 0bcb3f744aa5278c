// The usage explorer's filters, in Chromium: "Only user ana" asks the API for USER_ID as one
// more group-by field, keeps ana's rows and adds them back up by queue; two users of one
// field are either; the filter is a chip, in the URL, kept by a reload, and removable. A
// strict server (2 group-by fields) says in the form when a filter does not fit.
//
// The farm: two queues, three users' sessions on two days, priced at 3 USD per worker hour.
// Each queue's count, cost and its min, max and avg are worked out here from the sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { explorerUrl } from '../src/domain/explorer-link.js';
import { farmWithNamedQueues } from './support/explorer-farm.js';
import { browserGate, desktopPage, launchChromium, pricingFile, runAndWait, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents } from './support/session-records.js';

const gate = browserGate();

const RATE = 3; // USD per customer-managed worker hour
/** Sessions: user, queue, start (UTC), minutes; each within a day. */
const SESSIONS: [string, string, string, number][] = [
  ['ana', 'Alpha', '2025-03-01T10:00', 60], ['ana', 'Alpha', '2025-03-01T14:00', 30], ['ana', 'Beta', '2025-03-02T09:00', 90], ['ana', 'Alpha', '2025-03-02T08:00', 20],
  ['bo', 'Alpha', '2025-03-01T11:00', 120], ['bo', 'Beta', '2025-03-01T12:00', 45],
  ['cy', 'Beta', '2025-03-02T10:00', 15],
];

const usd = (n: number) => `$${n.toFixed(2)}`;

/** Each queue's numbers over the users' sessions, as the table writes them (a session is one record in one day's bucket). */
function expectedTable(users: string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const costs = new Map<string, number[]>();
  for (const [user, queue, , minutes] of SESSIONS) if (users.includes(user)) costs.set(queue, [...(costs.get(queue) ?? []), (minutes / 60) * RATE]);
  for (const [queue, list] of costs) {
    const sum = list.reduce((a, b) => a + b, 0);
    out[queue] = { count: String(list.length), cost: usd(sum), 'cost-min': usd(Math.min(...list)), 'cost-max': usd(Math.max(...list)), 'cost-avg': usd(sum / list.length) };
  }
  return out;
}

const COLUMNS = ['count', 'cost', 'cost-min', 'cost-max', 'cost-avg'];

/** The table's numbers by queue name. */
function tableCells(page: Page): Promise<Record<string, Record<string, string>>> {
  return page.locator('table.groups tr.group-row').evaluateAll((trs, columns) => Object.fromEntries(trs.map((tr: any) => [
    tr.querySelector('th.group-cell').textContent.trim(),
    Object.fromEntries(columns.map((c) => [c, tr.querySelector(`td[data-column=${c}]`).textContent.trim()])),
  ])), COLUMNS);
}

const chips = (page: Page) => page.locator('.chip').evaluateAll((els) => els.map((e: any) => e.dataset.filter));

async function addFilter(page: Page, field: string, value: string): Promise<void> {
  await page.selectOption('#filter-field', field);
  await page.fill('#filter-value', value);
  await page.click('#add-filter');
}

describe('the usage explorer\'s filters in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let strictFt: Farmtally;
  let farm: { farmId: string; queueIds: string[] };
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;

  before(async () => {
    const pricing = pricingFile({ customerManagedWorkerHour: RATE });
    [ft, strictFt] = await Promise.all([startFarmtally({ args: ['--pricing', pricing] }), startFarmtally({ args: ['--strict'] })]);
    [farm, browser] = await Promise.all([
      farmWithNamedQueues(ft, 'Filter', ['Alpha', 'Beta'], SESSIONS.map(([userId, queue, at, minutes]) => ({ queue, startedAt: `${at}:00Z`, minutes, more: { userId } }))),
      launchChromium(),
    ]);
    ({ page, consoleWatch } = await desktopPage(browser));
  });
  after(async () => {
    await browser?.close();
    await Promise.all([ft?.stop(), strictFt?.stop()]);
  });

  test('only user ana: her sessions\' cost by queue, with min, max and avg; then ana or bo; kept in the URL and removable', async () => {
    const link = explorerUrl(ft.url, {
      farm: farm.farmId, kind: 'queues', ids: farm.queueIds, start: '2025-03-01', end: '2025-03-03', period: 'DAILY', tz: 'UTC',
      groupBy: ['QUEUE_ID'], stats: ['SUM', 'MIN', 'MAX', 'AVG'], measure: 'cost',
    });
    await runAndWait(page, () => page.goto(link));
    assert.deepEqual(await tableCells(page), expectedTable(['ana', 'bo', 'cy']), 'no filter: every user');

    await addFilter(page, 'USER_ID', 'ana');
    assert.deepEqual(await chips(page), ['USER_ID:ana'], 'the filter is a chip');
    await runAndWait(page, () => page.click('#run'));
    assert.deepEqual(new URL(page.url()).searchParams.getAll('filter'), ['USER_ID:ana'], 'the URL holds the filter');
    assert.deepEqual(await tableCells(page), expectedTable(['ana']), 'ana\'s sessions only, by queue');
    assert.equal(await page.getByTestId('grand-total').textContent(), usd(Object.values(expectedTable(['ana'])).reduce((a, r) => a + Number(r.cost!.slice(1)), 0)));
    assert.equal(await page.getByTestId('filters-shown').textContent(), 'Only user ana.');
    assert.deepEqual(await page.locator('table.groups thead th').evaluateAll((ths) => ths.map((t: any) => t.textContent.trim()).filter((t: string) => t === 'User')), [], 'grouped by queue alone, as asked');

    await runAndWait(page, () => page.reload());
    assert.deepEqual(await chips(page), ['USER_ID:ana'], 'a reload keeps the filter');
    assert.deepEqual(await tableCells(page), expectedTable(['ana']));

    await addFilter(page, 'USER_ID', 'bo');
    await runAndWait(page, () => page.click('#run'));
    assert.deepEqual(await tableCells(page), expectedTable(['ana', 'bo']), 'two users of one field: either one\'s sessions, added up by queue and day');

    await page.click('button[aria-label="Remove the filter User: ana"]');
    await page.click('button[aria-label="Remove the filter User: bo"]');
    assert.deepEqual(await chips(page), []);
    await runAndWait(page, () => page.click('#run'));
    assert.deepEqual(new URL(page.url()).searchParams.getAll('filter'), []);
    assert.deepEqual(await tableCells(page), expectedTable(['ana', 'bo', 'cy']), 'filters removed: every user again');
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('a strict server: the form says when a filter would need a third group-by field', async () => {
    const strictFarm = await farmWithParents(strictFt.client, 'Strict');
    const link = explorerUrl(strictFt.url, {
      farm: strictFarm.farmId, kind: 'queues', ids: [strictFarm.queueId], start: '2025-03-01', end: '2025-03-03', period: 'DAILY', tz: 'UTC+00:00',
      groupBy: ['QUEUE_ID', 'USAGE_TYPE'], stats: ['SUM'], measure: 'cost',
    });
    await page.goto(link);
    await page.locator('.run-status[data-run-state="done"]').waitFor();
    await page.selectOption('#filter-field', 'USER_ID');
    await page.fill('#filter-value', 'ana');
    assert.ok(await page.isDisabled('#add-filter'), 'no Add');
    assert.match((await page.locator('#filter-room').textContent())!, /at most 2 fields/);
    await page.selectOption('#filter-field', 'USAGE_TYPE');
    assert.ok(await page.isEnabled('#add-filter'), 'a filter on a field grouped by needs none');
    assert.equal(await page.locator('#filter-room').count(), 0);
  });
});
