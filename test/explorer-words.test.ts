// The usage explorer's words and its CSV, as a producer meets them in Chromium: the CSV
// download names queues and fleets beside their IDs and gives each bucket on the chosen
// zone's clock as well as in UTC (and is what `farmtally stats --format csv` writes); the date
// range says in plain words which days it counts, and its preset names a range typed by
// hand or a whole past year; the table says what its record count and its min, max and avg
// are taken over. The page's clock is fixed at 2026-06-15, so "this month" is June 2026.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand } from '@aws-sdk/client-deadline';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { explorerSearch } from '../src/domain/explorer-link.js';
import { browserGate, launchChromium, runAndWait, watchConsole } from './support/browser.js';
import { BIN, startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, sessionRecord, type FarmParents } from './support/session-records.js';
import { postSessions } from './support/statistics-farm.js';

const gate = browserGate();

const NOW = new Date('2026-06-15T16:00:00Z');
const ZONE = 'America/New_York';

describe('the usage explorer\'s words and CSV in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farm: FarmParents;
  let comp: string;
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;

  /** The page's address for a query of both queues in New York. */
  const link = (q: { start: string; end: string; period: string; groupBy: string[]; stats: string[] }) =>
    `${ft.url}/${explorerSearch({ farm: farm.farmId, kind: 'queues', ids: [farm.queueId, comp], tz: ZONE, measure: 'cost', ...q })}`;
  const presetShown = () => page.$eval('#preset', (s: any) => s.selectedOptions[0]?.textContent);

  before(async () => {
    ft = await startFarmtally();
    // Queues "Lighting queue" and "Comp, final" (a comma, so the CSV must quote it), one fleet
    // "Lighting fleet" (customer-managed: 1 USD per worker-hour). In New York:
    //   Lighting  2025-03-01 10:00 to 11:00 EST    3600 s, 1 USD
    //   Comp      2025-03-09 08:00 to 09:30 EDT    5400 s, 1.5 USD, the day the clocks go forward
    farm = await farmWithParents(ft.client, 'Lighting');
    comp = (await ft.client.send(new CreateQueueCommand({ farmId: farm.farmId, displayName: 'Comp, final' }))).queueId!;
    const at = (queueId: string, startedAt: string, endedAt: string) => sessionRecord({ ...farm, queueId }, { startedAt, endedAt, instanceType: undefined });
    await postSessions(ft.url, farm.farmId, [
      at(farm.queueId, '2025-03-01T15:00:00Z', '2025-03-01T16:00:00Z'),
      at(comp, '2025-03-09T12:00:00Z', '2025-03-09T13:30:00Z'),
    ]);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: ZONE, locale: 'en-US', acceptDownloads: true });
    page = await context.newPage();
    await page.clock.setFixedTime(NOW);
    consoleWatch = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('the CSV names queues and fleets beside their IDs and gives each bucket in the zone and in UTC, as `farmtally stats` does', async () => {
    await runAndWait(page, () => page.goto(link({ start: '2025-03-01', end: '2025-03-11', period: 'DAILY', groupBy: ['QUEUE_ID', 'FLEET_ID'], stats: ['SUM'] })));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\n');
    assert.equal(lines[0], 'start,start_local,end,end_local,queueId,queueName,fleetId,fleetName,count,runtime_sum_s,cost_sum_usd', 'the header');
    // 03-09 in New York starts at -05:00 and ends at -04:00: each time carries its own offset.
    assert.equal(
      lines[2],
      `2025-03-09T05:00:00.000Z,2025-03-09T00:00:00-05:00,2025-03-10T04:00:00.000Z,2025-03-10T00:00:00-04:00,${comp},"Comp, final",${farm.fleetId},Lighting fleet,1,5400,1.5`,
      'the day the clocks go forward, in Comp',
    );
    assert.deepEqual(parse(csv, { columns: true })[0], {
      start: '2025-03-01T05:00:00.000Z', start_local: '2025-03-01T00:00:00-05:00', end: '2025-03-02T05:00:00.000Z', end_local: '2025-03-02T00:00:00-05:00',
      queueId: farm.queueId, queueName: 'Lighting queue', fleetId: farm.fleetId, fleetName: 'Lighting fleet', count: '1', runtime_sum_s: '3600', cost_sum_usd: '1',
    });
    assert.equal(lines.length, 3, csv);
    const cli = spawnSync(process.execPath, [
      BIN, 'stats', '--endpoint', ft.url, '--farm', farm.farmId, '--queues', `${farm.queueId},${comp}`, '--start', '2025-03-01', '--end', '2025-03-11',
      '--period', 'DAILY', '--timezone', ZONE, '--group-by', 'QUEUE_ID,FLEET_ID', '--format', 'csv',
    ], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(csv, cli.stdout, 'the page\'s CSV is the CLI\'s');
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('the date range in plain words: From, Until (not included), and the days it counts', async () => {
    await runAndWait(page, () => page.goto(link({ start: '2025-01-01', end: '2026-01-01', period: 'MONTHLY', groupBy: ['QUEUE_ID'], stats: ['SUM'] })));
    assert.equal(await page.textContent('label[for=start]'), 'From');
    assert.equal(await page.textContent('label[for=end]'), 'Until (not included)');
    assert.equal(await page.textContent('#range-hint'), 'Counts Jan 1, 2025 through Dec 31, 2025.');
    assert.equal(await page.getAttribute('#end', 'aria-describedby'), 'range-hint');
    await page.fill('#start', '2026-06-01');
    await page.fill('#end', '2026-07-01');
    assert.equal(await page.textContent('#range-hint'), 'Counts Jun 1, 2026 through Jun 30, 2026.');
    await page.fill('#end', '2026-06-02');
    assert.equal(await page.textContent('#range-hint'), 'Counts Jun 1, 2026 only.');
    // With times of day the label says it all: no day is counted whole.
    await page.check('#with-times');
    assert.equal(await page.isVisible('#range-hint'), false);
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('the preset names a whole past year, and dates typed by hand that are a preset\'s range', async () => {
    await runAndWait(page, () => page.goto(link({ start: '2025-01-01', end: '2026-01-01', period: 'MONTHLY', groupBy: ['QUEUE_ID'], stats: ['SUM'] })));
    assert.equal(await presetShown(), 'Year 2025', 'a link to the whole of 2025');
    await page.fill('#start', '2026-06-01');
    await page.fill('#end', '2026-07-01');
    assert.equal(await presetShown(), 'This month', 'June 2026 typed by hand, in June 2026');
    await page.fill('#start', '2024-01-01');
    await page.fill('#end', '2025-01-01');
    assert.equal(await presetShown(), 'Year 2024', '2024 typed by hand');
    await page.fill('#end', '2024-01-02');
    assert.equal(await presetShown(), 'Custom');
    // Picking one sets its dates; Custom stays picked until the dates change.
    await page.selectOption('#preset', 'thisYear');
    assert.deepEqual([await page.inputValue('#start'), await page.inputValue('#end'), await presetShown()], ['2026-01-01', '2027-01-01', 'This year']);
    await page.check('#with-times');
    assert.deepEqual([await page.inputValue('#start'), await page.inputValue('#end'), await presetShown()], ['2026-01-01T00:00', '2027-01-01T00:00', 'This year'], 'the same range with times of day');
    await page.selectOption('#preset', 'custom');
    assert.equal(await presetShown(), 'Custom');
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('the table says what it counts: records counted per bucket, and what min, max and avg are taken over', async () => {
    await runAndWait(page, () => page.goto(link({ start: '2025-01-01', end: '2026-01-01', period: 'MONTHLY', groupBy: ['QUEUE_ID'], stats: ['SUM', 'MIN', 'MAX', 'AVG'] })));
    const header = (column: string) => page.locator(`table.groups thead button.sort[data-column="${column}"]`);
    assert.equal(await header('count').textContent(), 'Records counted');
    assert.equal(
      await header('count').getAttribute('title'),
      'Usage records, each counted once in every bucket it overlaps, added up over the group\'s buckets: the number changes with the period',
    );
    const titles = Object.fromEntries(await Promise.all(['runtime', 'cost', 'runtime-min', 'runtime-max', 'runtime-avg', 'cost-min', 'cost-max', 'cost-avg'].map(async (c) => [c, await header(c).getAttribute('title')])));
    assert.deepEqual(titles, {
      runtime: 'Total runtime of the group\'s usage records in the range',
      cost: 'Total cost of the group\'s usage records in the range',
      'runtime-min': 'Shortest runtime of one usage record within one bucket, over the group\'s buckets',
      'runtime-max': 'Longest runtime of one usage record within one bucket, over the group\'s buckets',
      'runtime-avg': 'Runtime per record counted: the total divided by the records counted',
      'cost-min': 'Smallest cost of one usage record within one bucket, over the group\'s buckets',
      'cost-max': 'Largest cost of one usage record within one bucket, over the group\'s buckets',
      'cost-avg': 'Cost per record counted: the total divided by the records counted',
    });
    const note = page.locator('#table-note');
    assert.equal(await note.isVisible(), true, 'the note is on screen, for a phone with no hover');
    assert.deepEqual(await note.locator('p').allTextContents(), [
      'Records counted: each usage record (a session\'s compute, and each license it used) counts once in every bucket it overlaps: '
        + 'a session running past midnight counts twice by day and once by month, so the number changes with the period.',
      'Min and max: the smallest and largest single record within one bucket (its time in that bucket), over the group\'s buckets.',
      'Avg: the total divided by the records counted.',
    ]);
    assert.equal(await page.getAttribute('table.groups', 'aria-describedby'), 'table-note');
    // The bucket detail says the same in its headers.
    await page.locator('tr.group-row').first().locator('button.disclose').click();
    assert.deepEqual(await page.locator('table.buckets thead th').allTextContents(), ['Bucket', 'Records counted', 'Runtime', 'Cost', 'Runtime min', 'Runtime max', 'Runtime avg', 'Cost min', 'Cost max', 'Cost avg']);
    assert.equal(await page.locator('table.buckets thead th').nth(1).getAttribute('title'), await header('count').getAttribute('title'));
    assert.deepEqual(consoleWatch.problems(), []);
  });
  test('hourly over a long range says, before Run, how many buckets it makes, and offers daily', async () => {
    await runAndWait(page, () => page.goto(link({ start: '2025-01-01', end: '2026-01-01', period: 'DAILY', groupBy: ['QUEUE_ID'], stats: ['SUM'] })));
    const note = page.locator('#many-buckets');
    assert.equal(await note.count(), 0, 'no note for daily');
    const shownUrl = page.url();
    await page.selectOption('#period', 'HOURLY');
    assert.equal(
      (await note.textContent())?.replace(/\s+/g, ' ').trim(),
      "Hourly over this range makes 8,760 buckets for each group: the chart's bars would be thinner than a pixel, and the run slow. Show it daily",
    );
    assert.equal(page.url(), shownUrl, 'said before anything runs (a run puts its query in the URL)');
    await note.getByRole('button', { name: 'Show it daily' }).click();
    assert.equal(await page.$eval('#period', (s: any) => s.value), 'DAILY');
    assert.equal(await note.count(), 0, 'the note goes with the hourly period');
    // A month hourly (744 buckets) is drawn fine: no note.
    await page.fill('#start', '2025-01-01');
    await page.fill('#end', '2025-02-01');
    await page.selectOption('#period', 'HOURLY');
    assert.equal(await note.count(), 0, 'a month hourly');
    assert.deepEqual(consoleWatch.problems(), []);
  });
});
