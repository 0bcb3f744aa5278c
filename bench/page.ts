// `npm run bench:page -- [--sessions N] [--runs R] [--write-docs]`: the usage explorer's
// speed in a real browser (issue 10, point 7). A benchmark, not a test: it asserts nothing
// about times. Fills a demo farm through `farmtally demo`, opens the link the demo prints in
// Chromium (cold), presses Run R times (warm), drills into the costliest queue R times, and
// reports where the time goes (bench/page/probe.ts) and the bundle's size. Prints each phase
// on stderr, the results on stdout and in .bench/page-<sessions>.md, and into BENCHMARKS.md
// only with --write-docs.
import './quiet-sdk.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium, watchConsole } from '../test/support/browser.js';
import { demoFarm } from './page/farm.js';
import { addProbe, settle, timeLink, timePress, type RunTiming } from './page/probe.js';
import { pageMarkdown, writePageReport, type FileSize, type PageMeasured } from './page/report.js';
import { wholeNumber } from '../src/cli/options.js';
import { publish } from './report.js';
import { ensureBuilt, ROOT } from './server.js';

const options = new Command('bench:page')
  .description('Measure the usage explorer in Chromium: from pressing Run to the chart and table on screen, where the time goes, long tasks, a drill-down, the bundle.')
  .option('--sessions <n>', 'sessions in the demo farm', wholeNumber(100), 1_000_000)
  .option('--runs <n>', 'presses of Run after the cold opening, and drill-downs (medians quoted)', wholeNumber(1), 5)
  .option('--timeout <seconds>', 'longest wait for one run before giving up', wholeNumber(1), 120)
  .option('--write-docs', 'also write the results into BENCHMARKS.md (its "Usage explorer" section)', false)
  .parse(process.argv)
  .opts<{ sessions: number; runs: number; timeout: number; writeDocs: boolean }>();

const began = performance.now();
const loadStart = loadavg();
const log = (line: string) => process.stderr.write(`[bench:page ${((performance.now() - began) / 1000).toFixed(1)} s] ${line}\n`);
const timeoutMs = options.timeout * 1000;

if (!existsSync(CHROMIUM)) {
  log(`Chromium is not at ${CHROMIUM}: install it with apt-get install -y chromium, or set FARMTALLY_CHROMIUM.`);
  process.exit(1);
}

/** Builds the page's bundle (the sources as they are now) and reads its sizes. */
function bundle(): { files: FileSize[]; breakdown: string } {
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--sizes'], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/build-web.mjs failed:\n${built.stderr}`);
  const files = ['app.js', 'app.css', 'index.html'].map((name) => {
    const bytes = readFileSync(join(ROOT, 'dist/web', name));
    return { file: `dist/web/${name}`, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
  return { files, breakdown: built.stdout };
}

/** Guards against timing the wrong query: the page's URL must name the demo link's query. */
function assertSameQuery(pageUrl: string, link: string): void {
  const [a, b] = [new URL(pageUrl).searchParams, new URL(link).searchParams];
  const same = ['farm', 'start', 'end', 'period', 'tz', 'groupBy', 'measure'].every((k) => a.get(k) === b.get(k))
    && [...(a.get('queues') ?? '').split(',')].sort().join() === [...(b.get('queues') ?? '').split(',')].sort().join();
  if (!same) throw new Error(`the page ran ${pageUrl}, not the demo's query ${link}`);
}

const say = (r: RunTiming) =>
  `${Math.round(r.totalMs)} ms (server ${Math.round(r.serverMs)}, ${r.pages} more pages ${Math.round(r.pagesMs)}, render ${Math.round(r.renderMs)}; longest task ${Math.round(r.longestTaskMs)} ms)`;

/** The whole measurement on one farm: cold, warm, drill-downs. */
async function measure(files: FileSize[], breakdown: string, workDir: string): Promise<PageMeasured> {
  const { server, link } = await demoFarm(workDir, options.sessions, log);
  try {
    log('launching Chromium');
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await addProbe(context);
      const page: Page = await context.newPage();
      const consoleWatch = watchConsole(page);

      log(`measuring run 1/${options.runs + 1} (cold: opening ${link})`);
      const cold = await timeLink(page, link, timeoutMs);
      assertSameQuery(page.url(), link);
      log(`  ${say(cold)}; ${Math.round(cold.fromNavigationMs!)} ms from navigation`);

      const warm = [];
      for (let i = 0; i < options.runs; i++) {
        log(`measuring run ${i + 2}/${options.runs + 1} (pressing Run)`);
        warm.push(await timePress(page, 'run', () => page.click('#run'), timeoutMs));
        assertSameQuery(page.url(), link);
        log(`  ${say(warm.at(-1)!)}`);
      }

      await page.selectOption('#drill-by', 'JOB_ID');
      const costliest = page.locator('table.groups tbody tr.group-row').first().locator('button.drill');
      const queue = (await costliest.textContent())!.trim();
      const drills: RunTiming[] = [];
      for (let i = 0; i < options.runs; i++) {
        log(`measuring drill-down ${i + 1}/${options.runs} (${queue} by job)`);
        drills.push(await timePress(page, 'drill', () => costliest.click(), timeoutMs));
        const groupBy = new URL(page.url()).searchParams.get('groupBy');
        if (groupBy !== 'JOB_ID') throw new Error(`the drill-down ran a query grouped by ${groupBy}, not JOB_ID`);
        log(`  ${say(drills.at(-1)!)}`);
        await settle(page, () => page.goBack(), timeoutMs);
      }

      const problems = consoleWatch.problems();
      if (problems.length) log(`the page reported problems:\n  ${problems.join('\n  ')}`);
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      return {
        sessions: options.sessions, link, cold, warm, drill: { queue, runs: drills },
        bundle: files, bundleBreakdown: breakdown, serverPeakMiB: server.peakMiB(), chromium: browser.version(),
        packageVersion: pkg.version, loadStart, totalSeconds: 0,
      };
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
  }
}

ensureBuilt(log);
log('building the page (scripts/build-web.mjs --sizes)');
const { files, breakdown } = bundle();
const workDir = mkdtempSync(join(tmpdir(), 'farmtally-bench-page-'));
let measured: PageMeasured;
try {
  measured = await measure(files, breakdown, workDir);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

measured.totalSeconds = (performance.now() - began) / 1000;
const section = pageMarkdown(measured);
publish(section, join(ROOT, '.bench', `page-${options.sessions}.md`), log, options.writeDocs ? () => writePageReport(join(ROOT, 'BENCHMARKS.md'), section) : undefined);
log(`done in ${measured.totalSeconds.toFixed(0)} s`);
