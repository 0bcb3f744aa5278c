// The usage explorer's saved views, in Chromium: two views named and saved, still listed
// after a reload (kept in the browser), each a link to its URL; clicking one puts its query
// back in the form and runs it; removing one takes it off the list for good.
//
// The farm: two queues and a few sessions of known length in March and April 2025; the
// totals checked are worked out here from those lengths.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { explorerUrl, type ExplorerLink } from '../src/domain/explorer-link.js';
import { farmWithNamedQueues } from './support/explorer-farm.js';
import { browserGate, desktopPage, launchChromium, runAndWait, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';

const gate = browserGate();

/** Sessions: queue name, start (UTC), minutes. */
const SESSIONS: [string, string, number][] = [
  ['Lighting', '2025-03-03T09:00:00Z', 90],
  ['Lighting', '2025-03-20T09:00:00Z', 45],
  ['Comp', '2025-03-04T10:00:00Z', 30],
  ['Comp', '2025-04-10T10:00:00Z', 120],
  ['Lighting', '2025-04-11T10:00:00Z', 15],
];

/** Hours of the sessions starting in [start, end), written as the page writes runtime. */
function hoursText(start: string, end: string): string {
  const minutes = SESSIONS.filter(([, at]) => at >= start && at < end).reduce((a, [, , m]) => a + m, 0);
  return `${(minutes / 60).toFixed(2)} h`;
}

const savedList = (page: Page) =>
  page.locator('.saved-list a.saved-view').evaluateAll((links) => links.map((a: any) => ({ name: a.textContent, href: a.getAttribute('href') })));

async function saveAs(page: Page, name: string): Promise<void> {
  const before = await page.locator('.saved-list li').count();
  await page.fill('#view-name', name);
  await page.click('#save-view');
  await page.locator('.saved-list li').nth(before).waitFor();
}

describe('the usage explorer\'s saved views in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farm: { farmId: string; queueIds: string[] };
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;
  const link = (over: Partial<ExplorerLink>) =>
    explorerUrl(ft.url, {
      farm: farm.farmId, kind: 'queues', ids: farm.queueIds, start: '2025-03-01', end: '2025-05-01', period: 'DAILY', tz: 'UTC',
      groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'runtime', ...over,
    });

  before(async () => {
    ft = await startFarmtally();
    [farm, browser] = await Promise.all([
      farmWithNamedQueues(ft, 'Views', ['Lighting', 'Comp'], SESSIONS.map(([queue, startedAt, minutes]) => ({ queue, startedAt, minutes }))),
      launchChromium(),
    ]);
    ({ page, consoleWatch } = await desktopPage(browser));
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('two views saved are listed after a reload; one clicked is restored and run; one removed stays removed', async () => {
    await runAndWait(page, () => page.goto(link({})));
    assert.equal(await page.locator('.saved-list li').count(), 0, 'nothing saved yet');
    await saveAs(page, 'March and April daily');
    const first = new URL(page.url()).search;

    await runAndWait(page, () => page.goto(link({ start: '2025-03-01', end: '2025-04-01', period: 'MONTHLY', groupBy: ['USER_ID'], show: 'shares' })));
    await saveAs(page, 'March by user, shares');
    const second = new URL(page.url()).search;

    await runAndWait(page, () => page.reload());
    assert.deepEqual(await savedList(page), [{ name: 'March and April daily', href: first }, { name: 'March by user, shares', href: second }], 'both kept, each a link to its URL');

    // Clicking the first: its query back in the form and in the URL, and run.
    await runAndWait(page, () => page.click('.saved-list a.saved-view >> text=March and April daily'));
    assert.equal(new URL(page.url()).search, first, 'the URL is the saved view\'s');
    assert.equal(await page.inputValue('#period'), 'DAILY');
    assert.equal(await page.inputValue('#group-by-0'), 'QUEUE_ID');
    assert.ok(await page.isChecked('input[name=show][value=amounts]'));
    assert.equal(await page.locator('[data-testid=grand-total]').textContent(), hoursText('2025-03-01', '2025-05-01'), 'run: the total of March and April');

    // And the second, with its grouping and shares.
    await runAndWait(page, () => page.click('.saved-list a.saved-view >> text=March by user, shares'));
    assert.equal(new URL(page.url()).search, second);
    assert.equal(await page.inputValue('#period'), 'MONTHLY');
    assert.equal(await page.inputValue('#group-by-0'), 'USER_ID');
    assert.ok(await page.isChecked('input[name=show][value=shares]'));
    assert.equal(await page.locator('[data-testid=grand-total]').textContent(), hoursText('2025-03-01', '2025-04-01'), 'run: the total of March alone');
    assert.equal(await page.locator('table.groups tfoot td[data-column=share]').textContent(), '100.0 %');

    // The browser's Back returns to the view before (each opened view is a history entry).
    await runAndWait(page, () => page.goBack());
    assert.equal(new URL(page.url()).search, first);

    await page.getByRole('button', { name: 'Remove saved view March and April daily' }).click();
    assert.deepEqual(await savedList(page), [{ name: 'March by user, shares', href: second }]);
    await runAndWait(page, () => page.reload());
    assert.deepEqual(await savedList(page), [{ name: 'March by user, shares', href: second }], 'removed for good');

    // The link is the view's URL: opened as it is (a shared link), it runs the same query.
    const shared = await browser.newPage();
    await runAndWait(shared, () => shared.goto(`${ft.url}/${second}`));
    assert.equal(await shared.locator('[data-testid=grand-total]').textContent(), hoursText('2025-03-01', '2025-04-01'));
    await shared.close();
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('a view needs a name', async () => {
    await runAndWait(page, () => page.goto(link({})));
    const count = await page.locator('.saved-list li').count();
    await page.fill('#view-name', '   ');
    await page.click('#save-view');
    assert.equal(await page.locator('#view-name-error').textContent(), 'Give the view a name.');
    assert.equal(await page.locator('.saved-list li').count(), count, 'nothing saved');
  });
});
