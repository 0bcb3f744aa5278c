// The usage explorer's stacked chart as drawn in Chromium at 1440x900, on a farm of known
// sessions: each bar spans its own bucket (read from the canvas's pixels).
//
// The farm: 10 queues on one service-managed fleet, a session a day each from March to May
// 2025. Queue k (0..9) runs (k + 1) × 10 minutes a day as user-k, the even queues on an
// instance type about three times the price of the odd ones', so ranking by cost and by
// runtime give different orders; user-10 runs 15 cheap minutes a day in queue 1: 11 users, the 11th
// by cost but not by runtime.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateFarmCommand, CreateFleetCommand, CreateQueueCommand } from '@aws-sdk/client-deadline';
import type { Browser, Page } from 'playwright-core';
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

/** Opens the page on `url` and waits for its run (from a blank page: the page counts its draws from 0 again). */
async function open(page: Page, url: string): Promise<void> {
  await page.goto('about:blank');
  await runAndWait(page, () => page.goto(url));
}

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
});
