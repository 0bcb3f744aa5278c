// A real browser for the usage explorer's tests: Debian's Chromium driven by playwright-core
// (`npx playwright install` cannot download browsers here). A test is skipped, saying why,
// when Chromium is missing, unless FARMTALLY_REQUIRE_BROWSER=1 (CI, .ci/run), where that
// fails. Also: a farm filled by the demo generator, a watch on the page's console, and a
// wait for a query run on the page.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDemoFarm } from '../../src/demo/create-farm.js';
import { demoRateCard } from '../../src/demo/farm.js';
import { generateSessions, type DemoIds } from '../../src/demo/generate.js';
import { sendRecords } from '../../src/client/send-records.js';
import type { DeadlineClient } from '@aws-sdk/client-deadline';

export const CHROMIUM = process.env.FARMTALLY_CHROMIUM ?? '/usr/bin/chromium';

/** The flags of a quiet, throw-away browser: no sandbox (root in a container), no GPU, no calls home. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserGate {
  /** For `test(name, { skip }, ...)` or `describe`: the reason to skip, or false to run. */
  skip: string | false;
}

export function browserGate(): BrowserGate {
  const why = existsSync(CHROMIUM) ? undefined : `Chromium is not at ${CHROMIUM}; install it with apt-get install -y chromium (or set FARMTALLY_CHROMIUM)`;
  if (why && process.env.FARMTALLY_REQUIRE_BROWSER === '1') assert.fail(`the browser tests are required here (FARMTALLY_REQUIRE_BROWSER=1) but ${why}`);
  return { skip: why ?? false };
}

/** Headless Chromium with a fresh profile of its own (playwright makes a new --user-data-dir for each launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
}

/**
 * Collects what the page reports as going wrong: console errors, uncaught exceptions,
 * Content-Security-Policy refusals. `allow` lists console messages a test expects (the
 * browser's own "Failed to load resource: ... 403" for an answer the test provoked).
 */
export function watchConsole(page: Page): { problems(allow?: RegExp[]): string[] } {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') seen.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => seen.push(`uncaught: ${err.message}`));
  return { problems: (allow = []) => seen.filter((s) => !allow.some((a) => a.test(s))) };
}

/** A --pricing file holding `card` (a rate card as parseRateCard reads it). */
export function pricingFile(card: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'farmtally-pricing-')), 'pricing.json');
  writeFileSync(file, JSON.stringify(card));
  return file;
}

/** A rate card for the demo's instance types and licenses (what `farmtally demo` writes, less the on-prem fleet's own rate), so costs are not 0. */
export const demoPricingFile = (): string => pricingFile(demoRateCard([]));

/** A 1440 x 900 page in UTC, its console watched (the explorer's tests on a desktop screen). */
export async function desktopPage(browser: Browser): Promise<{ page: Page; consoleWatch: ReturnType<typeof watchConsole> }> {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, timezoneId: 'UTC' })).newPage();
  return { page, consoleWatch: watchConsole(page) };
}

/** Creates the demo studio's farm and sends it `sessions` generated sessions of 2025. */
export async function fillDemoFarm(url: string, client: DeadlineClient, sessions: number, sign?: Parameters<typeof sendRecords>[3]['sign']): Promise<{ farmId: string; ids: DemoIds }> {
  const { farmId, ids } = await createDemoFarm(client);
  await sendRecords(url, farmId, generateSessions(ids, { sessions, seed: 7 }), { batchSize: 50_000, sign });
  return { farmId, ids };
}

/** Waits for a run started by `action` to end (the page marks each one drawn, or done without a chart). */
export async function runAndWait(page: Page, action: () => Promise<unknown>): Promise<void> {
  const drawn = await page.evaluate(() => (globalThis as any).document.documentElement.dataset.drawn ?? '0');
  await action();
  await page.waitForFunction((before) => ((globalThis as any).document.documentElement.dataset.drawn ?? '0') !== before, drawn, { timeout: 20_000 });
  await page.locator('.run-status[data-run-state="done"]').waitFor();
}

/**
 * Waits for the first run of a page just opened to end, the one it starts by itself (a
 * link's query, or a bare `/`'s default view): done, and its chart drawn or, with no usage
 * in its range, no chart to draw. Then `runAndWait` sees only the runs after it.
 */
export async function waitForFirstRun(page: Page): Promise<void> {
  await page.locator('.run-status[data-run-state="done"]').waitFor({ timeout: 20_000 });
  await page.waitForFunction(() => {
    const doc = (globalThis as any).document;
    return doc.documentElement.dataset.drawn !== undefined || doc.querySelector('.results .empty') !== null;
  }, null, { timeout: 20_000 });
}
