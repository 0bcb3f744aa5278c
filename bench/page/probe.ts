// What is measured inside the page, and how one run is split. A script added before the
// page's own (PROBE) records, on the page's clock: the press of Run or of a drill-down
// (the click event's time), each long task (PerformanceObserver 'longtask': a task of over
// 50 ms, when the page cannot answer input), and when the chart is on screen (the page
// counts each draw of new results in <html data-drawn>; "on screen" is the first moment
// after the next frame following that). The page's calls come from Resource Timing:
// Start (POST without an aggregationId), the polls (Get without nextToken; the last one
// answered COMPLETED with the first page) and the further pages (Get with nextToken).
//
// The probe is a string, not a function: tsx would name functions with a helper the page lacks.
import type { BrowserContext, Page } from 'playwright-core';

const PROBE = `(() => {
  const bench = { inputs: [], longTasks: [], painted: [] };
  window.__pageBench = bench;
  performance.setResourceTimingBufferSize(1000000);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch (err) { bench.noLongTasks = String(err); }
  addEventListener('click', (e) => {
    const hit = e.target instanceof Element ? e.target.closest('#run, button.drill') : null;
    if (hit) bench.inputs.push({ what: hit.id === 'run' ? 'run' : 'drill', at: e.timeStamp });
  }, true);
  // The document has no <html> yet when this runs: watched from the document down.
  new MutationObserver((changes) => {
    if (!changes.some((c) => c.target === document.documentElement)) return;
    const n = document.documentElement.dataset.drawn;
    const drawnAt = performance.now();
    requestAnimationFrame(() => setTimeout(() => bench.painted.push({ n, drawnAt, at: performance.now() })));
  }).observe(document, { attributes: true, attributeFilter: ['data-drawn'], subtree: true });
  bench.reset = () => {
    bench.inputs.length = 0;
    bench.longTasks.length = 0;
    bench.painted.length = 0;
    performance.clearResourceTimings();
  };
  bench.take = () => {
    const last = (name) => performance.getEntriesByName(name).at(-1)?.startTime;
    return {
      inputs: bench.inputs, longTasks: bench.longTasks, painted: bench.painted, noLongTasks: bench.noLongTasks,
      resources: performance.getEntriesByType('resource').map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd })),
      runMark: last('farmtally:run'), drawnMark: last('farmtally:drawn'),
      rowsText: document.querySelector('#download-csv')?.textContent ?? '',
      groups: Number(document.querySelector('table.groups')?.getAttribute('data-groups') ?? NaN),
    };
  };
})()`;

interface Raw {
  inputs: { what: string; at: number }[];
  longTasks: { start: number; duration: number }[];
  painted: { n: string; drawnAt: number; at: number }[];
  noLongTasks?: string;
  resources: { name: string; start: number; end: number }[];
  runMark?: number;
  drawnMark?: number;
  rowsText: string;
  groups: number;
}

/** One run, in ms on the page's clock, each part from the end of the one before. */
export interface RunTiming {
  /** From the press (for a link opened: from the page starting its run) to the chart and table on screen. */
  totalMs: number;
  /** Link only: from the navigation's start. */
  fromNavigationMs?: number;
  /** The page's work before Start is sent (checks, URL, the SDK building the request; for a link the load and lists come before). */
  beforeStartMs: number;
  /** Start sent to the COMPLETED answer received: the server's aggregation as the page sees it, with the round trips. */
  serverMs: number;
  polls: number;
  /** The COMPLETED answer to the last page's answer. */
  pagesMs: number;
  /** Pages read after the first (which comes with COMPLETED). */
  pages: number;
  /** Of pagesMs, the time inside the requests (the rest is the page between them: the SDK reading each answer, progress). */
  pageRequestsMs: number;
  /** The last answer to the chart drawn (the rows grouped, the table and chart rendered). */
  toDrawnMs: number;
  /** The last answer to the frame after it: what the page itself adds once it has every row. */
  renderMs: number;
  longestTaskMs: number;
  /** Total blocking time: the sum over long tasks of their time past 50 ms. */
  blockingMs: number;
  longTasks: number;
  rows: number;
  groups: number;
}

/** Adds the probe to every page the context opens, before the page's own scripts. */
export async function addProbe(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: PROBE });
}

const isApi = (r: { name: string }) => r.name.includes('/sessions-statistics-aggregation');
const hasParam = (name: string, param: string) => new URL(name).searchParams.has(param);

function blocking(tasks: Raw['longTasks'], from: number, to: number) {
  const inRun = tasks.filter((t) => t.start + t.duration > from && t.start < to);
  return {
    longestTaskMs: Math.max(0, ...inRun.map((t) => t.duration)),
    blockingMs: inRun.reduce((sum, t) => sum + Math.max(0, t.duration - 50), 0),
    longTasks: inRun.length,
  };
}

function split(raw: Raw, from: number): RunTiming {
  if (raw.noLongTasks) throw new Error(`this browser does not report long tasks: ${raw.noLongTasks}`);
  const painted = raw.painted.at(-1)!;
  const api = raw.resources.filter((r) => isApi(r) && r.start >= from - 1 && r.end <= painted.at);
  const start = api.find((r) => !hasParam(r.name, 'aggregationId'));
  const polls = api.filter((r) => hasParam(r.name, 'aggregationId') && !hasParam(r.name, 'nextToken'));
  const pages = api.filter((r) => hasParam(r.name, 'nextToken'));
  if (!start || polls.length === 0) throw new Error(`the page's Start and Get calls were not seen in Resource Timing: ${JSON.stringify(raw.resources.map((r) => r.name))}`);
  const completed = Math.max(...polls.map((r) => r.end));
  const lastAnswer = Math.max(completed, ...pages.map((r) => r.end));
  return {
    totalMs: painted.at - from,
    beforeStartMs: start.start - from,
    serverMs: completed - start.start,
    polls: polls.length,
    pagesMs: lastAnswer - completed,
    pages: pages.length,
    pageRequestsMs: pages.reduce((sum, r) => sum + (r.end - r.start), 0),
    toDrawnMs: (raw.drawnMark ?? painted.drawnAt) - lastAnswer,
    renderMs: painted.at - lastAnswer,
    ...blocking(raw.longTasks, from, painted.at),
    rows: Number(/\(([\d,\s]+) rows?\)/.exec(raw.rowsText)?.[1]?.replace(/\D/g, '') ?? NaN),
    groups: raw.groups,
  };
}

// In-page functions stay anonymous and inline: tsx would name a const arrow with a helper
// the page lacks, and strings are refused by the page's Content-Security-Policy (no eval).
const drawnCount = (page: Page): Promise<string> => page.evaluate(() => (globalThis as any).document.documentElement.dataset.drawn ?? '0');
const reset = (page: Page): Promise<void> => page.evaluate(() => (globalThis as any).__pageBench.reset());

/** Waits until the run `action` started is on screen and done (its table listed), then gives the page's records. */
async function runAndTake(page: Page, before: string, action: () => Promise<unknown>, timeoutMs: number): Promise<Raw> {
  await action();
  await page.waitForFunction((n) => ((globalThis as any).document.documentElement.dataset.drawn ?? '0') !== n && (globalThis as any).__pageBench.painted.length > 0, before, { timeout: timeoutMs });
  await page.locator('.run-status[data-run-state="done"]').waitFor({ timeout: timeoutMs });
  await page.locator('table.groups tbody tr.group-row').first().waitFor({ timeout: timeoutMs });
  // Long tasks are reported after they end, in batches: let the last ones arrive.
  await page.waitForTimeout(250);
  return (await page.evaluate(() => (globalThis as any).__pageBench.take())) as Raw;
}

/** Waits for a run that is not measured (Back to the year after a drill-down). */
export async function settle(page: Page, action: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const before = await drawnCount(page);
  await reset(page);
  await runAndTake(page, before, action, timeoutMs);
}

/** A press (of Run, or of a drill-down): timed from the click event. */
export async function timePress(page: Page, what: 'run' | 'drill', press: () => Promise<unknown>, timeoutMs: number): Promise<RunTiming & { pressToRunMs?: number }> {
  const before = await drawnCount(page);
  await reset(page);
  const raw = await runAndTake(page, before, press, timeoutMs);
  const input = raw.inputs.filter((i) => i.what === what).at(-1);
  if (!input) throw new Error(`the press of ${what} was not seen by the page`);
  return { ...split(raw, input.at), pressToRunMs: raw.runMark === undefined ? undefined : raw.runMark - input.at };
}

/** A link opened in a fresh page (the page runs the query it names): timed from the page starting the run, and from navigation. */
export async function timeLink(page: Page, url: string, timeoutMs: number): Promise<RunTiming & { navigation: ReturnType<typeof blocking> }> {
  const raw = await runAndTake(page, '0', () => page.goto(url), timeoutMs);
  if (raw.runMark === undefined) throw new Error('the page set no farmtally:run mark: the start of its run is not known');
  const timing = split(raw, raw.runMark);
  return { ...timing, fromNavigationMs: raw.painted.at(-1)!.at, navigation: blocking(raw.longTasks, 0, raw.painted.at(-1)!.at) };
}
