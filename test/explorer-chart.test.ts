// The usage explorer's stacked chart as drawn in Chromium at 1440x900, on a farm of known
// sessions: each bar spans its own bucket (read from the canvas's pixels), a group keeps its
// colour when the measure changes or series are hidden, and up to 10 groups are shown on
// their own, "others" holding the rest from the 11th.
//
// The farm: 10 queues on one service-managed fleet, a session a day each from March to May
// 2025. Queue k (0..9) runs (k + 1) × 10 minutes a day as user-k, the even queues on an
// instance type about three times the price of the odd ones', so ranking by cost and by
// runtime give different orders; user-10 runs 15 cheap minutes a day in queue 1: 11 users,
// user-10 the 11th by cost but not by runtime.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateFarmCommand, CreateFleetCommand, CreateQueueCommand } from '@aws-sdk/client-deadline';
import type { Browser, Locator, Page } from 'playwright-core';
import { explorerUrl, type ExplorerLink } from '../src/domain/explorer-link.js';
import { browserGate, demoPricingFile, launchChromium, runAndWait, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { sessionRecord } from './support/session-records.js';
import { postSessions } from './support/statistics-farm.js';

const gate = browserGate();

const QUEUES = 10;
/** The demo rate card's prices per hour: r5.8xlarge 2.016 USD, c5.4xlarge 0.68 USD. */
const PRICEY = 'r5.8xlarge';
const CHEAP = 'c5.4xlarge';
const OTHERS_GREY = 'rgb(157, 157, 157)';
const DAY = 86_400_000;

interface Farm {
  farmId: string;
  queueIds: string[];
}

async function createFarm(ft: Farmtally): Promise<Farm> {
  const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'Chart studio' }));
  const queueIds: string[] = [];
  for (let k = 0; k < QUEUES; k++) queueIds.push((await ft.client.send(new CreateQueueCommand({ farmId, displayName: `Queue ${k}` }))).queueId!);
  const { fleetId } = await ft.client.send(
    new CreateFleetCommand({
      farmId, displayName: 'Spot', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 20,
      configuration: {
        serviceManagedEc2: {
          instanceCapabilities: { vCpuCount: { min: 8 }, memoryMiB: { min: 32768 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64', allowedInstanceTypes: [PRICEY, CHEAP] },
          instanceMarketOptions: { type: 'spot' },
        },
      },
    }),
  );
  const sessions = [];
  for (let day = Date.UTC(2025, 2, 1); day < Date.UTC(2025, 5, 1); day += DAY) {
    const at = (minutes: number) => ({ startedAt: new Date(day + 12 * 3_600_000).toISOString(), endedAt: new Date(day + 12 * 3_600_000 + minutes * 60_000).toISOString() });
    for (let k = 0; k < QUEUES; k++) {
      sessions.push(sessionRecord({ farmId: farmId!, queueId: queueIds[k]!, fleetId: fleetId! }, { userId: `user-${k}`, instanceType: k % 2 === 0 ? PRICEY : CHEAP, ...at((k + 1) * 10) }));
    }
    sessions.push(sessionRecord({ farmId: farmId!, queueId: queueIds[1]!, fleetId: fleetId! }, { userId: 'user-10', instanceType: CHEAP, ...at(15) }));
  }
  await postSessions(ft.url, farmId!, sessions);
  return { farmId: farmId!, queueIds };
}

/** One bar as drawn along a row of the canvas: its left edge from the plot's left, its width, its colour there, in CSS pixels. */
interface DrawnBar {
  left: number;
  width: number;
  color: string;
}

/**
 * The bars crossing a horizontal line 3 CSS pixels above the plot's bottom, read from the
 * canvas's pixels: runs of opaque pixels that are not the grid's light grey (a grid line may
 * fall in the gap between two bars). Antialiased edges count when at least half covered.
 */
async function barsNearBottom(page: Page): Promise<{ plotWidth: number; bars: DrawnBar[] }> {
  // In-page functions stay anonymous: tsx would name a const arrow with a helper the page lacks.
  return page.evaluate(() => {
    const doc = (globalThis as any).document;
    const canvas = doc.querySelector('.chart canvas');
    const box = canvas.getBoundingClientRect();
    const plot = doc.querySelector('.chart .u-over').getBoundingClientRect();
    const scale = canvas.width / box.width;
    // Read from a copy made for reading: reading the chart's own canvas back makes Chromium warn.
    const copy = doc.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(canvas, 0, 0);
    const x0 = Math.round((plot.left - box.left) * scale);
    const x1 = Math.round((plot.right - box.left) * scale);
    const y = Math.round((plot.bottom - box.top - 3) * scale);
    const px = ctx.getImageData(x0, y, x1 - x0, 1).data;
    const bars: { left: number; width: number; color: string }[] = [];
    let start = -1;
    for (let i = 0; i <= x1 - x0; i++) {
      const [r, g, b, a] = i < x1 - x0 ? [px[i * 4], px[i * 4 + 1], px[i * 4 + 2], px[i * 4 + 3]] : [0, 0, 0, 0];
      const grid = Math.abs(r - 0xe6) < 12 && Math.abs(g - 0xe6) < 12 && Math.abs(b - 0xe6) < 12;
      const inBar = a >= 128 && !grid;
      if (inBar && start < 0) start = i;
      if (!inBar && start >= 0) {
        const mid = (start + Math.floor((i - start) / 2)) * 4;
        bars.push({ left: start / scale, width: (i - start) / scale, color: `rgb(${px[mid]}, ${px[mid + 1]}, ${px[mid + 2]})` });
        start = -1;
      }
    }
    return { plotWidth: (x1 - x0) / scale, bars };
  });
}

/** The legend as shown: each item's label and its swatch's colour, in order. */
async function readLegend(page: Page): Promise<{ label: string; color: string }[]> {
  return page.locator('.legend-item').evaluateAll((items) =>
    items.map((item: any) => ({
      label: item.querySelector('.legend-label').textContent as string,
      color: (globalThis as any).getComputedStyle(item.querySelector('.swatch')).backgroundColor as string,
    })),
  );
}

/** Opens the page on `url` and waits for its run (from a blank page: the page counts its draws from 0 again). */
async function open(page: Page, url: string): Promise<void> {
  await page.goto('about:blank');
  await runAndWait(page, () => page.goto(url));
}

/** Presses a legend item, then waits for the chart drawn anew: a new canvas, painted (the page counts draws of new data only). */
async function toggleSeries(page: Page, item: Locator): Promise<void> {
  await page.locator('.chart canvas').evaluate((canvas: any) => (canvas.dataset.replaced = 'soon'));
  await item.click();
  await page.locator('.chart canvas:not([data-replaced])').waitFor();
  await page.evaluate(() => new Promise((resolve) => (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(resolve))));
}

const colorByLabel = (legend: { label: string; color: string }[]) => Object.fromEntries([...legend].sort((a, b) => (a.label < b.label ? -1 : 1)).map((l) => [l.label, l.color]));

describe('the usage explorer\'s chart in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farm: Farm;
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;
  /** The farm's 10 queues from March 13 to the end of April, monthly: buckets of 19 and 30 days. */
  const query = (over: Partial<ExplorerLink> = {}): string =>
    explorerUrl(ft.url, {
      farm: farm.farmId, kind: 'queues', ids: farm.queueIds, start: '2025-03-13', end: '2025-05-01', period: 'MONTHLY', tz: 'UTC',
      groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'cost', ...over,
    });
  const switchMeasure = (measure: 'cost' | 'runtime') => runAndWait(page, () => page.check(`input[name=measure][value=${measure}]`));

  before(async () => {
    ft = await startFarmtally({ args: ['--pricing', demoPricingFile()] });
    [farm, browser] = await Promise.all([createFarm(ft), launchChromium()]);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, timezoneId: 'UTC' });
    page = await context.newPage();
    consoleWatch = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('each bar spans its own bucket: a partial first month is narrower than the full month after it', async () => {
    await open(page, query());
    const { plotWidth, bars } = await barsNearBottom(page);
    assert.equal(bars.length, 2, `two bars along the bottom: ${JSON.stringify(bars)}`);
    const [march, april] = bars as [DrawnBar, DrawnBar];
    // The x axis runs from March 13 to May 1: 49 days, of which the first bucket has 19.
    const days = { march: 19, april: 30 };
    const bucketWidth = (d: number) => (plotWidth * d) / (days.march + days.april);
    const ratio = march.width / april.width;
    assert.ok(
      Math.abs(ratio - days.march / days.april) < 0.02,
      `the first bar is ${march.width} px wide, the second ${april.width} px: ${ratio.toFixed(3)} of it, where their buckets make ${days.march}/${days.april} = ${(days.march / days.april).toFixed(3)}`,
    );
    // Each as wide as its bucket, less a gap of a pixel or two; the second starts where its bucket does.
    for (const [bar, d] of [[march, days.march], [april, days.april]] as const) {
      assert.ok(Math.abs(bar.width - bucketWidth(d)) <= 3, `a bar of ${bar.width} px for a bucket of ${bucketWidth(d).toFixed(1)} px (${d} days)`);
    }
    assert.ok(march.left <= 1 && Math.abs(april.left - bucketWidth(days.march)) <= 2, `the bars start at their buckets' starts: ${march.left} and ${april.left} px, against 0 and ${bucketWidth(days.march).toFixed(1)}`);
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('a group keeps its colour when the measure changes and when series are hidden; the chart draws it in that colour', async () => {
    await open(page, query({ measure: 'cost' }));
    const byCost = await readLegend(page);
    await switchMeasure('runtime');
    const byRuntime = await readLegend(page);
    assert.notDeepEqual(byRuntime.map((l) => l.label), byCost.map((l) => l.label), 'the farm ranks its queues differently by runtime (else there is nothing to test)');
    assert.deepEqual(colorByLabel(byRuntime), colorByLabel(byCost), 'each queue\'s colour by runtime against its colour by cost');
    // The bottom of each bar is the largest series: drawn in its legend colour.
    const bottom = async () => (await barsNearBottom(page)).bars.map((b) => b.color);
    assert.deepEqual(await bottom(), [byRuntime[0]!.color, byRuntime[0]!.color], `the bars' bottoms are ${byRuntime[0]!.label}'s colour`);

    // Hiding the largest series leaves every colour as it was, the chart's too.
    await toggleSeries(page, page.locator('.legend-item').first());
    assert.deepEqual(colorByLabel(await readLegend(page)), colorByLabel(byCost), 'the colours with the largest series hidden');
    assert.deepEqual(await bottom(), [byRuntime[1]!.color, byRuntime[1]!.color], `with ${byRuntime[0]!.label} hidden, the bars' bottoms are ${byRuntime[1]!.label}'s colour`);
    await switchMeasure('cost');
    assert.deepEqual(colorByLabel(await readLegend(page)), colorByLabel(byCost), 'the colours back by cost, a series still hidden');
    await toggleSeries(page, page.locator('.legend-item[aria-pressed=false]'));

    // With "others": it stays grey, and a group shown on its own under both measures keeps its colour.
    await open(page, query({ groupBy: ['USER_ID'], measure: 'cost' }));
    const usersByCost = await readLegend(page);
    await switchMeasure('runtime');
    const usersByRuntime = await readLegend(page);
    for (const [measure, legend] of [['cost', usersByCost], ['runtime', usersByRuntime]] as const) {
      const others = legend.filter((l) => l.label.startsWith('Others'));
      assert.deepEqual(others.map((l) => l.color), [OTHERS_GREY], `by ${measure}, "others" is grey`);
      const own = legend.filter((l) => !l.label.startsWith('Others')).map((l) => l.color);
      assert.equal(new Set([...own, OTHERS_GREY]).size, own.length + 1, `by ${measure}, the groups' colours differ from each other and from the grey: ${own.join(', ')}`);
    }
    const costColors = colorByLabel(usersByCost);
    const runtimeColors = colorByLabel(usersByRuntime);
    const inBoth = Object.keys(costColors).filter((label) => label in runtimeColors && !label.startsWith('Others'));
    assert.ok(inBoth.length >= 8, `most users are shown on their own under both measures: ${inBoth.join(', ')}`);
    assert.deepEqual(Object.fromEntries(inBoth.map((l) => [l, runtimeColors[l]])), Object.fromEntries(inBoth.map((l) => [l, costColors[l]])), 'each user\'s colour by runtime against its colour by cost');
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('10 groups are all shown on their own; of 11, the top 10 and "others"', async () => {
    await open(page, query({ measure: 'cost' }));
    const queues = await readLegend(page);
    assert.deepEqual(queues.map((l) => l.label).sort(), Array.from({ length: QUEUES }, (_, k) => `Queue ${k}`).sort(), '10 queues: 10 legend entries, no "others"');
    assert.equal(await page.locator('.chart-wrap').getAttribute('data-series'), '10');
    const colors = queues.map((l) => l.color);
    assert.equal(new Set(colors).size, 10, `10 colours: ${colors.join(', ')}`);
    // None a grey (red, green and blue close together): it would read as "others".
    const spread = (rgb: string) => Math.max(...rgb.match(/\d+/g)!.map(Number)) - Math.min(...rgb.match(/\d+/g)!.map(Number));
    assert.deepEqual(colors.filter((c) => spread(c) < 40), [], 'no grey among the groups\' colours');

    // By cost, user-10 is the 11th (15 minutes a day of the cheaper instance).
    await open(page, query({ groupBy: ['USER_ID'], measure: 'cost' }));
    const users = (await readLegend(page)).map((l) => l.label);
    assert.deepEqual(users, ['user-8', 'user-6', 'user-4', 'user-9', 'user-2', 'user-7', 'user-5', 'user-3', 'user-0', 'user-1', 'Others (1 group)'], '11 users: the top 10 by cost, then "others"');
    assert.equal(await page.locator('.chart-wrap').getAttribute('data-series'), '11');
    // "Others" in April's tooltip: user-10 alone, 30 days of 15 minutes at 0.68 USD an hour.
    await page.focus('.chart');
    await page.keyboard.press('End');
    const others = Number(await page.locator('[data-testid=chart-tooltip] tr[data-key="__others__"] td.num').getAttribute('data-value'));
    assert.ok(Math.abs(others - 30 * 0.25 * 0.68) < 1e-9, `"others" in April: ${others} USD`);
    assert.deepEqual(consoleWatch.problems(), []);
  });
});
