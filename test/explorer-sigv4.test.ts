// The usage explorer against a sigv4, --strict server, in Chromium: the page asks for keys,
// keeps them in the tab's sessionStorage only, signs its calls with them (a query runs and
// its totals are the API's), says so in words when the secret is wrong and lets the keys be
// entered again; it offers only what a strict server takes (offsets, two group-by fields),
// and an API error lands beside the control its fieldList names.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ingestSigner } from '../src/client/credentials.js';
import { browserGate, demoPricingFile, fillDemoFarm, launchChromium, waitForFirstRun, watchConsole } from './support/browser.js';
import type { Farmtally } from './support/server.js';
import { clientAs, principal, startSigv4, type TestPrincipal } from './support/sigv4.js';
import { runAggregation } from './support/statistics-farm.js';

const gate = browserGate();

/** The browser reports each refused request itself ("Failed to load resource: ... 403"): expected here, nothing else is. */
const REFUSALS = [/Failed to load resource: the server responded with a status of (400|403)/];

describe('the usage explorer on a sigv4, strict server', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let farmId: string;
  let queueIds: readonly string[];
  let viewer: TestPrincipal;
  let lister: TestPrincipal;
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;

  before(async () => {
    const admin = principal('admin');
    viewer = principal('viewer', ['deadline:List*', 'deadline:Get*', 'deadline:StartSessionsStatisticsAggregation']);
    lister = principal('lister', ['deadline:List*']);
    ({ ft } = await startSigv4([admin, viewer, lister], ['--strict', '--pricing', demoPricingFile()]));
    const sign = ingestSigner(async () => admin, 'us-west-2');
    let ids;
    [{ farmId, ids }, browser] = await Promise.all([fillDemoFarm(ft.url, clientAs(ft.url, admin), 500, sign), launchChromium()]);
    queueIds = ids.queueIds;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Kolkata' });
    page = await context.newPage();
    consoleWatch = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  test('a wrong secret is refused in words; the right keys sign a query whose totals are the API\'s', async () => {
    await page.goto(`${ft.url}/`);
    await page.fill('#access-key-id', viewer.accessKeyId);
    await page.fill('#secret-access-key', `${viewer.secretAccessKey}x`);
    await page.click('.sign-in button[type=submit]');
    const problem = page.locator('#sign-in-error');
    await problem.waitFor({ state: 'visible' });
    assert.match((await problem.textContent())!, /secret access key does not match this access key ID/);
    assert.equal(await page.evaluate(() => (globalThis as any).sessionStorage.length), 0, 'refused keys are not kept');

    await page.fill('#secret-access-key', viewer.secretAccessKey);
    await page.click('.sign-in button[type=submit]');
    await page.locator('#farm option', { hasText: 'Demo studio' }).waitFor({ state: 'attached' });
    await waitForFirstRun(page); // the default view of a bare `/`, signed with the keys just taken
    const kept = await page.evaluate(() => [(globalThis as any).sessionStorage.getItem('farmtally.keys'), (globalThis as any).localStorage.length]);
    assert.deepEqual(JSON.parse(kept[0]), { accessKeyId: viewer.accessKeyId, secretAccessKey: viewer.secretAccessKey }, 'the keys live in sessionStorage');
    assert.equal(kept[1], 0, 'and nowhere that outlives the tab');

    // What a strict server takes: the browser's zone as the model's offset, two group-by fields at most.
    assert.equal(await page.inputValue('#tz'), 'UTC+05:30');
    await page.getByRole('button', { name: /Add a field/ }).click();
    assert.equal(await page.locator('select[id^=group-by-]').count(), 2);
    assert.equal(await page.getByRole('button', { name: /Add a field/ }).count(), 0, 'no third field on a strict server');
    await page.selectOption('#group-by-1', 'USAGE_TYPE');

    await page.selectOption('#preset', 'custom');
    await page.fill('#start', '2025-01-01');
    await page.fill('#end', '2026-01-01');
    await page.selectOption('#period', 'MONTHLY');
    const drawn = await page.evaluate(() => (globalThis as any).document.documentElement.dataset.drawn ?? '0');
    await page.click('#run');
    await page.waitForFunction((before) => ((globalThis as any).document.documentElement.dataset.drawn ?? '0') !== before, drawn);
    const api = await runAggregation(clientAs(ft.url, viewer), {
      farmId, resourceIds: { queueIds: [...queueIds] }, startTime: new Date('2024-12-31T18:30:00Z'), endTime: new Date('2025-12-31T18:30:00Z'),
      timezone: 'UTC+05:30', period: 'MONTHLY', groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM'],
    });
    const total = await page.locator('table.groups tfoot td[data-column=count]').getAttribute('data-value');
    assert.equal(Number(total), api.rows.reduce((a, r) => a + r.count, 0));
    assert.equal(await page.locator('table.groups').getAttribute('data-groups'), String(new Set(api.rows.map((r) => `${r.queueId}|${r.usageType}`)).size));
    assert.deepEqual(consoleWatch.problems(REFUSALS), []);
  });

  test('a shared link with an IANA zone: the strict server\'s refusal shows beside the time zone', async () => {
    const url = new URL(page.url());
    url.searchParams.set('tz', 'America/New_York');
    await page.goto(url.href);
    const error = page.locator('#tz-error');
    await error.waitFor({ state: 'visible' });
    // The server's own words (the model's constraint), then what to pick.
    assert.match((await error.textContent())!, /^Value 'America\/New_York' at 'timezone' failed to satisfy constraint: .* This server runs with --strict and takes only UTC\+HH:MM or UTC-HH:MM/);
    assert.equal(await page.getAttribute('#tz', 'aria-invalid'), 'true');
    assert.equal(await page.locator('.run-status').getAttribute('data-run-state'), 'failed');
    assert.deepEqual(consoleWatch.problems(REFUSALS), []);
  });

  test('keys the server stops knowing: the refusal says so, and the keys can be entered again', async () => {
    // Another tab of the same session, its stored keys changed to ones the server never issued.
    await page.evaluate(() => (globalThis as any).sessionStorage.setItem('farmtally.keys', JSON.stringify({ accessKeyId: 'AKIDNOTKNOWN', secretAccessKey: 'x' })));
    await page.reload();
    const problem = page.locator('#sign-in-error');
    await problem.waitFor({ state: 'visible' });
    assert.match((await problem.textContent())!, /does not know this access key ID/);
    await page.fill('#access-key-id', viewer.accessKeyId);
    await page.fill('#secret-access-key', viewer.secretAccessKey);
    await page.click('.sign-in button[type=submit]');
    await page.locator('#farm option', { hasText: 'Demo studio' }).waitFor({ state: 'attached' });
    assert.deepEqual(consoleWatch.problems(REFUSALS), []);
  });

  test('keys that may list but not aggregate: the run\'s refusal says who may not do what, and other keys can be entered', async () => {
    await page.click('text=Change keys');
    await page.fill('#access-key-id', lister.accessKeyId);
    await page.fill('#secret-access-key', lister.secretAccessKey);
    await page.click('.sign-in button[type=submit]');
    // The link in the URL runs at once. The run state may still be 'failed' from the tests
    // before (the IANA zone), so wait for this run's own refusal to be shown.
    const refusal = /User: lister is not authorized to perform: deadline:StartSessionsStatisticsAggregation/;
    await page.locator('#general-error', { hasText: refusal }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.run-status').getAttribute('data-run-state'), 'failed');
    await page.getByRole('button', { name: 'Enter keys again' }).click();
    await page.locator('#access-key-id').waitFor();
    assert.deepEqual(consoleWatch.problems(REFUSALS), []);
  });
});
