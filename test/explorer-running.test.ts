// The usage explorer's mark for runtime from sessions still running, in Chromium: under the
// chart, the share of the runtime shown that comes from running sessions (read with the
// ListRunningSessions extension once the aggregation has started), and in the table a
// "running" mark on each group that has some, its part in the row's title, and on each of its
// buckets that has some. Compared with the range before, the part of that range's runtime
// from the sessions still running (those started by its end) in a second line of the note,
// and the changes of the groups that have some marked. A --strict server has no such
// operation: the page shows nothing of it and does not ask.
//
// The farm: two queues, ended and running sessions in a range of three recent days that ends
// before now, so each running session counts up to the range's end whatever the moment of
// asking, and a few in the three days before. The expected numbers are worked out here from
// the sessions, not read off the page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import type { Browser, Page } from 'playwright-core';
import { explorerUrl } from '../src/domain/explorer-link.js';
import { browserGate, launchChromium, runAndWait, watchConsole } from './support/browser.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, sessionRecord, toNdjson, type IngestRecord } from './support/session-records.js';
import { clientAs, principal, signedFetch, startSigv4, type TestPrincipal } from './support/sigv4.js';
import { postSessions } from './support/statistics-farm.js';

const gate = browserGate();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC five days ago: the range is its three days, ended two days before now. */
const D0 = Math.floor(Date.now() / DAY) * DAY - 5 * DAY;
const RANGE = { start: D0, end: D0 + 3 * DAY };
/** The range of equal length before, which a comparison runs too. */
const PREVIOUS = { start: D0 - 3 * DAY, end: D0 };
type Range = typeof RANGE;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Planned {
  queue: 'Alpha' | 'Beta';
  /** Hours after D0. */
  from: number;
  /** Hours long, or running. */
  hours?: number;
  licenseProducts?: string[];
  userId?: string;
}

const SESSIONS: Planned[] = [
  { queue: 'Alpha', from: 2, hours: 5 },
  { queue: 'Alpha', from: 30, hours: 3 },
  { queue: 'Alpha', from: 40, licenseProducts: ['maya'] }, // running: a COMPUTE and a LICENSE record
  { queue: 'Alpha', from: -10 }, // running since before the range
  { queue: 'Beta', from: 10, hours: 4, userId: 'bo' },
  { queue: 'Beta', from: 60 }, // running
  { queue: 'Beta', from: 80 }, // running, but started after the range: none of it is in it
  { queue: 'Alpha', from: -30, hours: 6 }, // ended, in the range before only
  { queue: 'Beta', from: -20, hours: 2 }, // ended, in the range before only
];

/** Seconds of each usage record of a planned session within a range (the range's by default), running ones up to the range's end (before now). */
function recordSeconds(s: Planned, range: Range = RANGE): number[] {
  const start = D0 + s.from * HOUR;
  const end = s.hours === undefined ? Infinity : start + s.hours * HOUR;
  const seconds = Math.max(0, Math.min(end, range.end) - Math.max(start, range.start)) / 1000;
  return [seconds, ...(s.licenseProducts ?? []).map(() => seconds)];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const secondsOf = (list: Planned[], range: Range = RANGE) => sum(list.flatMap((s) => recordSeconds(s, range)));
const runningOf = (list: Planned[], range: Range = RANGE) => list.filter((s) => s.hours === undefined && secondsOf([s], range) > 0);
const hours = (seconds: number) => `${(seconds / 3600).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} h`;
const share = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)} %`;

async function createFarm(ft: Farmtally, as?: TestPrincipal): Promise<{ farmId: string; queueIds: string[] }> {
  const client: DeadlineClient = as ? clientAs(ft.url, as) : ft.client;
  const parents = await farmWithParents(client, 'Running');
  const queues: Record<string, string> = {};
  for (const name of ['Alpha', 'Beta']) queues[name] = (await client.send(new CreateQueueCommand({ farmId: parents.farmId, displayName: name }))).queueId!;
  const sessions: IngestRecord[] = SESSIONS.map((s) => {
    const start = D0 + s.from * HOUR;
    return sessionRecord({ ...parents, queueId: queues[s.queue]! }, {
      startedAt: new Date(start).toISOString(),
      endedAt: s.hours === undefined ? undefined : new Date(start + s.hours * HOUR).toISOString(),
      ...(s.licenseProducts && { licenseProducts: s.licenseProducts }),
      ...(s.userId && { userId: s.userId }),
    });
  });
  if (as) {
    const res = await signedFetch(ft.url, as, { method: 'POST', path: `/ingest/v1/farms/${parents.farmId}/sessions`, body: toNdjson(sessions), headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(res.status, 200, res.text);
  } else await postSessions(ft.url, parents.farmId, sessions);
  return { farmId: parents.farmId, queueIds: Object.values(queues) };
}

const linkFor = (ft: Farmtally, farm: { farmId: string; queueIds: string[] }, over: Partial<Parameters<typeof explorerUrl>[1]> = {}) =>
  explorerUrl(ft.url, {
    farm: farm.farmId, kind: 'queues', ids: farm.queueIds, start: day(RANGE.start), end: day(RANGE.end), period: 'DAILY', tz: 'UTC', groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'runtime', ...over,
  });

/** The table's rows by their first label: the running mark's presence and the row's title. */
async function marks(page: Page): Promise<Record<string, { running: boolean; title: string | null }>> {
  const rows = await page.locator('table.groups tr.group-row').evaluateAll((trs) =>
    trs.map((tr: any) => [tr.querySelector('th.group-cell').textContent.trim(), { running: tr.querySelector('th.running-marked') !== null, title: tr.getAttribute('title') }]));
  return Object.fromEntries(rows);
}

/** A group's buckets (opened) by their start: the title of those marked running, null for the others. */
async function bucketMarks(page: Page, group: string): Promise<Record<string, string | null>> {
  const row = page.locator('table.groups tr.group-row', { has: page.locator('th.group-cell', { hasText: group }) });
  await row.locator('button.disclose').click();
  const rows = await page.locator(`table.buckets[aria-label="Buckets of ${group}"] tbody tr`).evaluateAll((trs) =>
    trs.map((tr: any) => [tr.dataset.start, tr.querySelector('th.running-marked') ? tr.getAttribute('title') : null]));
  await row.locator('button.disclose').click();
  return Object.fromEntries(rows);
}

/** The change column's cells by group (and the total's): the title of those marked running, null for the others. */
async function changeMarks(page: Page): Promise<Record<string, string | null>> {
  const rows = await page.locator('table.groups tr.group-row, table.groups tr.totals-row').evaluateAll((trs) => trs.map((tr: any) => {
    const cell = tr.querySelector('td[data-column=change]');
    return [tr.classList.contains('totals-row') ? '(total)' : tr.querySelector('th.group-cell').textContent.trim(), cell.classList.contains('running-marked') ? cell.getAttribute('title') : null];
  }));
  return Object.fromEntries(rows);
}

describe('the usage explorer\'s mark for runtime from running sessions in Chromium', { skip: gate.skip }, () => {
  let ft: Farmtally;
  let strict: Farmtally;
  let farm: { farmId: string; queueIds: string[] };
  let strictFarm: { farmId: string; queueIds: string[] };
  let browser: Browser;
  let page: Page;
  let consoleWatch: ReturnType<typeof watchConsole>;

  before(async () => {
    [ft, strict, browser] = await Promise.all([startFarmtally(), startFarmtally({ args: ['--strict'] }), launchChromium()]);
    [farm, strictFarm] = await Promise.all([createFarm(ft), createFarm(strict)]);
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, timezoneId: 'UTC' })).newPage();
    consoleWatch = watchConsole(page);
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
    await strict?.stop();
  });

  test('the share of the runtime from running sessions under the chart, and the groups that have some marked', async () => {
    await runAndWait(page, () => page.goto(linkFor(ft, farm)));
    const total = secondsOf(SESSIONS);
    const running = runningOf(SESSIONS);
    const runningSeconds = secondsOf(running);
    assert.deepEqual([total / 3600, runningSeconds / 3600, running.length], [160, 148, 3], 'the farm is as meant');

    const note = page.locator('.running-note');
    assert.equal(
      (await note.textContent())!.replace(/^running\s*/, ''),
      `${share(runningSeconds, total)} of this runtime (${hours(runningSeconds)}) is from 3 sessions still running, counted up to when the statistics were asked for.`,
    );
    const byQueue = (q: string) => SESSIONS.filter((s) => s.queue === q);
    const expected = Object.fromEntries(['Alpha', 'Beta'].map((q) => {
      const own = runningOf(byQueue(q));
      const part = secondsOf(own);
      return [q, { running: true, title: `${hours(part)} of this group's runtime (${share(part, secondsOf(byQueue(q)))}) is from ${own.length} ${own.length === 1 ? 'session' : 'sessions'} still running` }];
    }));
    assert.deepEqual(await marks(page), expected);

    // Each queue's days: those with some runtime from running sessions marked, with how much.
    const expectedBuckets = (q: string) => {
      const out: Record<string, string | null> = {};
      for (let d = 0; d < 3; d++) {
        const bucket = { start: D0 + d * DAY, end: D0 + (d + 1) * DAY };
        const all = secondsOf(byQueue(q), bucket);
        if (all === 0) continue; // no row
        const own = runningOf(byQueue(q), bucket);
        const part = secondsOf(own, bucket);
        out[new Date(bucket.start).toISOString()] = part > 0
          ? `${hours(part)} of this bucket's runtime (${share(part, all)}) is from ${own.length} ${own.length === 1 ? 'session' : 'sessions'} still running`
          : null;
      }
      return out;
    };
    const iso = (hour: number) => new Date(D0 + hour * HOUR).toISOString();
    assert.deepEqual(expectedBuckets('Alpha'), {
      [iso(0)]: '24.00 h of this bucket\'s runtime (82.8 %) is from 1 session still running',
      [iso(24)]: '40.00 h of this bucket\'s runtime (93.0 %) is from 2 sessions still running',
      [iso(48)]: '72.00 h of this bucket\'s runtime (100.0 %) is from 2 sessions still running',
    }, 'the farm is as meant');
    assert.deepEqual(await bucketMarks(page, 'Alpha'), expectedBuckets('Alpha'));
    assert.deepEqual(await bucketMarks(page, 'Beta'), expectedBuckets('Beta'));
    assert.deepEqual(Object.values(expectedBuckets('Beta')), [null, '12.00 h of this bucket\'s runtime (100.0 %) is from 1 session still running'], 'a day of Beta unmarked');

    // By usage type: COMPUTE has the three sessions' compute records, LICENSE the one maya record.
    await runAndWait(page, () => page.goto(linkFor(ft, farm, { groupBy: ['USAGE_TYPE'] })));
    const computeSeconds = sum(running.map((s) => recordSeconds(s)[0]!));
    const licenseSeconds = runningSeconds - computeSeconds;
    const computeTotal = sum(SESSIONS.map((s) => recordSeconds(s)[0]!));
    assert.deepEqual(await marks(page), {
      COMPUTE: { running: true, title: `${hours(computeSeconds)} of this group's runtime (${share(computeSeconds, computeTotal)}) is from 3 sessions still running` },
      LICENSE: { running: true, title: `${hours(licenseSeconds)} of this group's runtime (100.0 %) is from 1 session still running` },
    });

    // Cost: the note still speaks of runtime.
    await runAndWait(page, () => page.check('input[name=measure][value=cost]'));
    assert.match((await note.textContent())!, new RegExp(`Of the runtime behind this cost, ${share(runningSeconds, total).replace('.', '\\.')} \\(${hours(runningSeconds).replace('.', '\\.')}\\) is from 3 sessions still running`));

    // Compared with the three days before: the running session that started before them has
    // some of their runtime, its queue's change marked; Beta's ended session is not marked.
    await runAndWait(page, () => page.goto(linkFor(ft, farm, { compare: 'previous' })));
    const before = runningOf(SESSIONS, PREVIOUS);
    const [beforeRunning, beforeTotal] = [secondsOf(before, PREVIOUS), secondsOf(SESSIONS, PREVIOUS)];
    assert.deepEqual([beforeRunning / 3600, beforeTotal / 3600, before.length], [10, 18, 1], 'the farm is as meant');
    const [from, to] = [day(PREVIOUS.start), day(PREVIOUS.end)];
    assert.equal(
      (await page.locator('.running-note .running-before').textContent())!.replace(/^running\s*/, ''),
      `In the range before, ${from} to ${to}, ${share(beforeRunning, beforeTotal)} of its runtime (${hours(beforeRunning)}) is from 1 session still running `
        + 'that had started by its end; the change column marks the groups that have some.',
    );
    const alphaBefore = secondsOf(byQueue('Alpha'), PREVIOUS);
    assert.deepEqual(await changeMarks(page), {
      Alpha: `Of this group's runtime from ${from} to ${to}, ${hours(beforeRunning)} (${share(beforeRunning, alphaBefore)}) is from 1 session still running`,
      Beta: null,
      '(total)': `Of the runtime from ${from} to ${to}, ${hours(beforeRunning)} (${share(beforeRunning, beforeTotal)}) is from 1 session still running`,
    });
    assert.equal(share(beforeRunning, alphaBefore), '62.5 %', 'the farm is as meant');
    // The first line is as without the comparison.
    assert.match((await note.textContent())!, new RegExp(`^running\\s*${share(runningSeconds, total).replace('.', '\\.')} of this runtime`));

    // Filtered to a user with nothing running: no note, no marks.
    await runAndWait(page, () => page.goto(linkFor(ft, farm, { filters: [{ field: 'USER_ID', value: 'bo' }] })));
    assert.deepEqual(Object.keys(await marks(page)), ['Beta']);
    assert.equal(await note.count(), 0);
    assert.ok(Object.values(await marks(page)).every((m) => !m.running && m.title === null));
    assert.deepEqual(consoleWatch.problems(), []);
  });

  test('a --strict server: no note, no marks, and the page does not ask for running sessions', async () => {
    const asked: string[] = [];
    page.on('request', (r) => void (r.url().includes('/sessions/running') && asked.push(r.url())));
    await runAndWait(page, () => page.goto(linkFor(strict, strictFarm, { tz: 'UTC+00:00' }))); // a --strict server takes only the model's zones
    assert.ok(await page.locator('table.groups tr.group-row').count() > 0);
    assert.equal(await page.locator('.running-note').count(), 0);
    assert.equal(await page.locator('.running-marked').count(), 0);
    assert.deepEqual(asked, []);
  });
});

describe('the mark on a sigv4 server in Chromium: the page signs its request for the running sessions', { skip: gate.skip }, () => {
  const admin = principal('admin');
  // deadline:List* includes ListRunningSessions; the other key may list only the pickers' lists.
  const viewer = principal('viewer', ['deadline:List*', 'deadline:Get*', 'deadline:StartSessionsStatisticsAggregation']);
  const narrow = principal('narrow', ['deadline:ListFarms', 'deadline:ListQueues', 'deadline:ListFleets', 'deadline:Get*', 'deadline:StartSessionsStatisticsAggregation']);
  let ft: Farmtally;
  let farm: { farmId: string; queueIds: string[] };
  let browser: Browser;

  before(async () => {
    let started;
    [started, browser] = await Promise.all([startSigv4([admin, viewer, narrow]), launchChromium()]);
    ft = started.ft;
    farm = await createFarm(ft, admin);
  });
  after(async () => {
    await browser?.close();
    await ft?.stop();
  });

  async function signedIn(keys: TestPrincipal): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC' })).newPage();
    await page.goto(`${ft.url}/`);
    await page.fill('#access-key-id', keys.accessKeyId);
    await page.fill('#secret-access-key', keys.secretAccessKey);
    await page.click('.sign-in button[type=submit]');
    await page.locator('#farm option', { hasText: 'Running' }).waitFor({ state: 'attached' });
    await runAndWait(page, () => page.goto(linkFor(ft, farm)));
    return page;
  }

  test('granted (deadline:List*): the same share; not granted: the line says the server refused, the run stands', async () => {
    const total = secondsOf(SESSIONS);
    const runningSeconds = secondsOf(runningOf(SESSIONS));
    const page = await signedIn(viewer);
    assert.match((await page.locator('.running-note').textContent())!, new RegExp(`^running\\s*${share(runningSeconds, total).replace('.', '\\.')} of this runtime`));

    const refused = await signedIn(narrow);
    assert.match((await refused.locator('.running-note').textContent())!, /could not be read: .*not authorized to perform: deadline:ListRunningSessions/);
    assert.equal(await refused.locator('.running-marked').count(), 0);
    assert.ok(await refused.locator('table.groups tr.group-row').count() > 0);
  });
});
