// The usage explorer's measurements as Markdown: the section `npm run bench:page` prints and
// writes to .bench/page-<sessions>.md, and with --write-docs between its markers in the
// "Usage explorer" section of BENCHMARKS.md (the section is added, before "What was tried",
// when the file has none; text written by people around the markers stays).
import { cpus, loadavg, release, totalmem } from 'node:os';
import { median } from '../measure.js';
import { int, ms, table, writeBetweenMarkers, type Markers } from '../report.js';
import type { RunTiming } from './probe.js';

export const MARKERS: Markers = { start: '<!-- bench:page:start -->', end: '<!-- bench:page:end -->' };

/** The issue's target (issue 10, point 7): a year DAILY by queue on screen within this of pressing Run. */
export const TARGET_MS = 2000;

export interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface PageMeasured {
  sessions: number;
  link: string;
  /** The link opened in a fresh browser on a server that has just started. */
  cold: RunTiming & { navigation: { longestTaskMs: number; blockingMs: number; longTasks: number } };
  /** Presses of Run on that page, same query. */
  warm: (RunTiming & { pressToRunMs?: number })[];
  /** The costliest queue, by job: a press of its name in the table. */
  drill: { queue: string; runs: RunTiming[] };
  bundle: FileSize[];
  /** scripts/build-web.mjs --sizes, as it printed them. */
  bundleBreakdown: string;
  serverPeakMiB: number;
  chromium: string;
  packageVersion: string;
  loadStart: number[];
  totalSeconds: number;
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const mid = (runs: RunTiming[], key: keyof RunTiming) => median(runs.map((r) => r[key] as number));
const range = (xs: number[]) => `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`;

const HEADER = ['run', 'Run → on screen', 'before Start (page)', 'Start → COMPLETED (server; polls)', 'pages (count; in requests)', 'last answer → chart drawn', 'last answer → on screen (page)', 'longest task', 'blocking time (tasks)'];

function row(name: string, r: RunTiming): string[] {
  return [
    name, `**${ms(r.totalMs)}**`, ms(r.beforeStartMs), `${ms(r.serverMs)} (${r.polls})`, `${ms(r.pagesMs)} (${r.pages}; ${ms(r.pageRequestsMs)})`,
    ms(r.toDrawnMs), ms(r.renderMs), ms(r.longestTaskMs), `${ms(r.blockingMs)} (${r.longTasks})`,
  ];
}

function medianRow(name: string, runs: RunTiming[]): string[] {
  return [
    name, `**${range(runs.map((r) => r.totalMs))}**`, ms(mid(runs, 'beforeStartMs')), ms(mid(runs, 'serverMs')), `${ms(mid(runs, 'pagesMs'))} (${mid(runs, 'pages')}; ${ms(mid(runs, 'pageRequestsMs'))})`,
    ms(mid(runs, 'toDrawnMs')), ms(mid(runs, 'renderMs')), ms(Math.max(...runs.map((r) => r.longestTaskMs))) + ' (max)', ms(mid(runs, 'blockingMs')),
  ];
}

function verdict(m: PageMeasured): string {
  const warm = median(m.warm.map((r) => r.totalMs));
  const met = (t: number) => (t < TARGET_MS ? 'met' : '**missed**');
  return `Target (issue 10): a year DAILY by queue on screen under ${int(TARGET_MS)} ms from pressing Run. Warm median ${ms(warm)} ms: ${met(warm)}; cold ${ms(m.cold.totalMs)} ms: ${met(m.cold.totalMs)}.`;
}

export function pageMarkdown(m: PageMeasured): string {
  const cpu = cpus();
  const q = new URL(m.link).searchParams;
  const query = `${q.get('start')} to ${q.get('end')}, ${q.get('period')}, ${q.get('tz')}, ${q.get('measure')} by ${q.get('groupBy')}, ${q.get('queues')?.split(',').length} queues`;
  const pressToRun = m.warm.map((r) => r.pressToRunMs).filter((x): x is number => x !== undefined);
  return [
    MARKERS.start,
    `### Latest run: ${new Date().toISOString().slice(0, 10)}, ${int(m.sessions)} sessions`,
    '',
    `- ${verdict(m)}`,
    `- Query: the link \`farmtally demo\` prints (${query}): ${int(m.cold.rows)} rows, ${m.cold.groups} groups, ${m.cold.pages + 1} pages (the page asks for up to 1000 rows a page, 100 on a \`--strict\` server).`,
    `- Data: \`farmtally demo --sessions ${m.sessions}\` (src/demo, seed 1, all of 2025), then the server restarted with the demo's rate card (\`serve --pricing\`).`,
    `- Machine: ${cpu.length} cores (nproc) × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, shared with other work; ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${release()}. Load average (1 min) ${m.loadStart[0]!.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
    `- Software: farmtally ${m.packageVersion} (\`bin/farmtally.js serve\`), Node ${process.version}; Chromium ${m.chromium} (Debian's, headless, through playwright-core), a 1280×900 viewport, browser and server on the same machine.`,
    `- Run 1 is cold: the link opened in a fresh browser on a server that had just started (its first aggregation), timed from the page starting the run (the point a press of Run reaches). Runs 2 to ${m.warm.length + 1} press Run on that page (timed from the click event; the page started its run ${pressToRun.length ? `${ms(median(pressToRun))} ms` : 'an unknown time'} after it). The benchmark took ${int(m.totalSeconds)} s.`,
    '',
    '#### A year DAILY by queue (ms; each part from the end of the one before)',
    '',
    table(HEADER, [row('1 (cold)', m.cold), ...m.warm.map((r, i) => row(String(i + 2), r)), medianRow(`median of 2–${m.warm.length + 1} (min–max)`, m.warm)]),
    '',
    `Opening the link (run 1) took ${ms(m.cold.fromNavigationMs!)} ms from navigation to the chart on screen: ${ms(m.cold.fromNavigationMs! - m.cold.totalMs)} ms to load the page, ask the server's settings and list the farms, queues and fleets, then the run. Longest task over the whole load ${ms(m.cold.navigation.longestTaskMs)} ms, blocking time ${ms(m.cold.navigation.blockingMs)} ms (${m.cold.navigation.longTasks} long tasks).`,
    '',
    `#### Drill-down: the costliest queue (${m.drill.queue}) by job, a press of its name in the table`,
    '',
    `${int(m.drill.runs[0]!.rows)} rows, ${int(m.drill.runs[0]!.groups)} groups (the table shows the first 100). Back to the year between presses (not timed).`,
    '',
    table(HEADER, [...m.drill.runs.map((r, i) => row(String(i + 1), r)), medianRow('median (min–max)', m.drill.runs)]),
    '',
    '#### The page\'s bundle (dist/web, minified; gzip -9)',
    '',
    table(['file', 'bytes', 'gzip'], m.bundle.map((f) => [f.file, `${int(f.bytes)} (${kib(f.bytes)})`, `${int(f.gzipBytes)} (${kib(f.gzipBytes)})`])),
    '',
    '<details><summary>What the script is made of (scripts/build-web.mjs --sizes)</summary>',
    '',
    '```',
    m.bundleBreakdown.trimEnd(),
    '```',
    '',
    '</details>',
    '',
    `Server peak memory (VmHWM) over the runs: ${int(m.serverPeakMiB)} MiB.`,
    MARKERS.end,
  ].join('\n');
}

const INTRO = `## Usage explorer

\`npm run bench:page\` (default 1 000 000 sessions, 5 presses of Run) measures the page in a
real browser (Debian's Chromium through playwright-core) against a real server filled by
\`farmtally demo\`: the time from pressing Run to the chart and table on screen, split into
the page's own work, the server's aggregation (Start to COMPLETED, as the page sees it), the
pages of rows and the rendering; the longest main-thread task and the blocking time while it
runs (a long task is one of over 50 ms, when the page answers no input; 0 is none); a
drill-down; and the bundle's size. \`--sessions 50000\` is a quick run. The results go to
\`.bench/page-<sessions>.md\`; only \`--write-docs\` puts them here, between the markers.
`;

/** Writes the section into BENCHMARKS.md: between its markers, or as a new "Usage explorer" section before "What was tried". */
export function writePageReport(file: string, section: string): void {
  writeBetweenMarkers(file, section, MARKERS, (text) => {
    const fresh = `${INTRO}\n${MARKERS.start}\n${MARKERS.end}\n\n`;
    const heading = /^## Usage explorer\s*$/m.exec(text);
    if (heading) {
      // A section of that name without the markers: replaced whole.
      const next = text.slice(heading.index + heading[0].length).search(/^## /m);
      const end = next < 0 ? text.length : heading.index + heading[0].length + next;
      return text.slice(0, heading.index) + fresh + text.slice(end);
    }
    const tried = text.search(/^## What was tried/m);
    return tried < 0 ? `${text.trimEnd()}\n\n${fresh}` : text.slice(0, tried) + fresh + text.slice(tried);
  });
}
