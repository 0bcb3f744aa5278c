// A streaming run's results as Markdown: what was sent and how, the throughput and latencies,
// the answers by status, the server's CPU and memory, and the checks (each batch's counts, and
// stored = acknowledged per farm). Written between markers of its own in BENCHMARKS.md, under
// "Streaming ingest", so the rest of the file stays as people wrote it.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { version as duckdbVersion } from '@duckdb/node-api';
import { percentile } from '../load/stats.js';
import { int, ms, table, writeBetweenMarkers, type Markers } from '../report.js';
import { ROOT } from '../server.js';
import type { FeedMix } from './feed.js';
import { runningShareOfNew } from './feed.js';
import type { StreamResult } from './run-stream.js';
import type { Stored } from './stored.js';

const MARKERS: Markers = { start: '<!-- bench:stream:start -->', end: '<!-- bench:stream:end -->' };

export interface StreamRunInfo {
  clients: number;
  durationSeconds: number;
  mix: FeedMix;
  rate?: number;
  /** The server: a URL given with --endpoint, or none (a server of the run's own). */
  endpoint?: string;
  /** A server of the run's own: its peak resident memory over the whole run, preload included. */
  serverPeakMiB?: number;
  loadStart: number;
  problems: string[];
}

const percent = (part: number, whole: number) => `${whole ? ((100 * part) / whole).toFixed(1) : '0'} %`;

/** The checkout's commit, and whether the code measured differs from it (BENCHMARKS.md itself, written by --write-docs, does not count). */
/** The reader's GetBudget latencies in words. */
function budgetReads(ms: readonly number[]): string {
  if (!ms.length) return 'no read during the feed';
  const sorted = [...ms].sort((x, y) => x - y);
  const at = (p: number) => percentile(sorted, p).toFixed(1);
  return `read during it ${ms.length} times by one reader, one GetBudget after another (latency p50 ${at(50)} ms, p90 ${at(90)} ms, p99 ${at(99)} ms, max ${sorted.at(-1)!.toFixed(1)} ms)`;
}

function commit(): string {
  const r = spawnSync('git', ['-C', ROOT, 'log', '-1', '--format=%h'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench', 'bin', 'package.json', 'package-lock.json'], { encoding: 'utf8' }).stdout?.trim();
  return r.status === 0 ? `${r.stdout.trim()}${dirty ? ' (with changes not committed)' : ''}` : 'unknown';
}

export function streamMarkdown(result: StreamResult, stored: Stored, info: StreamRunInfo): string {
  const t = result.tally;
  const cpu = cpus();
  const records = t.kinds.newRunning + t.kinds.newFinished + t.kinds.close + t.kinds.resend;
  const preloaded = result.farms.reduce((n, f) => n + f.preloaded, 0);
  const loop = info.rate
    ? `open loop: ${info.rate} batches/s in all on a fixed schedule, latencies counted from when each batch was due`
    : 'closed loop: each client sends its next batch as soon as the last is answered';
  const status = (s: number | string) => (s === 429 ? '429 (throttled: sent again after 1 s)' : s === 'no answer' ? 'no answer (connection broke)' : String(s));
  const lines = [
    MARKERS.start,
    `### Latest run: ${new Date().toISOString().slice(0, 10)}, ${info.clients} clients for ${info.durationSeconds} s, ${int(preloaded)} sessions stored before`,
    '',
    `- Feed: ${info.clients} clients over ${result.farms.length === 1 ? 'one demo farm (10 queues, 5 fleets)' : `${result.farms.length} demo farms (10 queues, 5 fleets each)`}, ${loop}; NDJSON batches of ${info.mix.recordsMin}–${info.mix.recordsMax} records to \`POST /ingest/v1/farms/{farmId}/sessions\`. Of the records, ${percent(info.mix.closeShare, 1)} were to close a session sent earlier as running, ${percent(info.mix.resendShare, 1)} to re-send one already acknowledged, the rest new sessions (${percent(runningShareOfNew(info.mix), 1)} of them sent running).`,
    preloaded
      ? `- Store before the feed: ${int(preloaded)} sessions of the demo generator (src/demo) in ${result.farms.length === 1 ? 'the farm' : 'the farms, evenly'}, posted in batches of 250 000 in ${result.preload.seconds.toFixed(1)} s (${int(result.preload.records / Math.max(result.preload.seconds, 1e-3))} records/s).`
      : '- Store before the feed: empty (`--sessions 0`).',
    ...(result.budgets ? [`- Budgets: ${result.budgets.count}, one on each queue (window from 2025 to 30 days ahead, read once before the feed), held through it; ${budgetReads(result.budgets.readMs)}; after it each read between the statistics' cost SUM taken just before and just after${result.budgets.problems.length ? ` except ${result.budgets.problems.length}` : ''}.`] : []),
    `- Server: ${info.endpoint ? `${info.endpoint} (given with --endpoint)` : 'a server of its own (`bin/farmtally.js serve`) on a temporary data folder'}, farmtally at ${commit()}. Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}; Node ${process.version}, DuckDB ${duckdbVersion()}. Load average (1 min) ${info.loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end; the clients share the machine with the server.`,
    '',
    '#### Throughput and latency (every request, whatever its answer)',
    '',
    table(['seconds', 'batches acknowledged', 'batches/s', 'records/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'requests'], [
      [result.seconds.toFixed(1), int(t.batches), (t.batches / result.seconds).toFixed(1), int(t.records / result.seconds), ms(t.latency.p50), ms(t.latency.p90), ms(t.latency.p99), ms(t.latency.max), int(t.requests)],
    ]),
    '',
    table(['answer', 'requests'], t.statuses.map(([s, n]) => [status(s), int(n)])),
    '',
    '#### Records acknowledged, and the answers\' counts',
    '',
    table(['new, running', 'new, finished', 'closes', 're-sends', 'all'], [
      [`${int(t.kinds.newRunning)} (${percent(t.kinds.newRunning, records)})`, `${int(t.kinds.newFinished)} (${percent(t.kinds.newFinished, records)})`, `${int(t.kinds.close)} (${percent(t.kinds.close, records)})`, `${int(t.kinds.resend)} (${percent(t.kinds.resend, records)})`, int(records)],
    ]),
    '',
    table(['count', 'answered', 'expected (created per new session, updated per close, unchanged per re-send)'], (['received', 'created', 'updated', 'unchanged'] as const).map((k) => [k, int(t.answered[k]), int(t.expected[k])])),
    '',
    `Batches whose answer's counts differ from the expected ones: ${t.mismatches ? `**${t.mismatches}**, such as: ${t.mismatchExamples.join('; ')}` : 'none'}.`,
    '',
    '#### The server during the feed',
    '',
  ];
  if (result.server) {
    const whole = info.serverPeakMiB === undefined ? '' : `; ${int(info.serverPeakMiB)} MiB over the whole run, preload included`;
    const s = result.server;
    lines.push(table(['CPU seconds (user + system)', 'cores busy on average', 'CPU ms per batch', 'CPU µs per record', `peak resident memory (VmHWM)${s.peakReset ? ', the feed only' : ', since the server started'}`], [
      [s.cpuSeconds.toFixed(1), (s.cpuSeconds / result.seconds).toFixed(2), ms((1000 * s.cpuSeconds) / Math.max(t.batches, 1)), int((1e6 * s.cpuSeconds) / Math.max(t.records, 1)), `${int(s.feedPeakMiB)} MiB${whole}`],
    ]));
  } else {
    lines.push('Not measured: the server is not a process of this run (give --server-pid with --endpoint).');
  }
  lines.push(
    '',
    '#### Stored = acknowledged',
    '',
    `Counted from ${stored.how}.`,
    '',
    table(['farm', 'preloaded', 'created by the feed (acknowledged)', 'expected', 'stored', 'running expected', 'running stored'], result.farms.map((f) => {
      const found = stored.farms.find((s) => s.farmId === f.farmId);
      const running = found?.running === undefined ? 'not counted' : found.runningTable === found.running ? int(found.running) : `${int(found.running)} (running_sessions: ${int(found.runningTable ?? 0)})`;
      const uncertain = f.feed.uncertainSessions ? ` (± ${int(f.feed.uncertainSessions)} unanswered)` : '';
      return [`\`${f.farmId}\``, int(f.preloaded), int(f.feed.sessions), `${int(f.preloaded + f.feed.sessions)}${uncertain}`, int(found?.sessions ?? 0), int(f.preloadedRunning + f.feed.running), running];
    })),
    '',
    info.problems.length ? `**Not passed**:\n${info.problems.map((p) => `- ${p}`).join('\n')}` : 'Passed: no 5xx, every batch\'s counts as expected, every farm stores exactly what was acknowledged.',
    MARKERS.end,
  );
  return lines.join('\n');
}

/** Puts `section` between the stream markers of BENCHMARKS.md; missing, they go under a "Streaming ingest" heading before "Where the time goes". */
export function writeStreamReport(file: string, section: string): void {
  writeBetweenMarkers(file, section, MARKERS, (text) => {
    const block = `## Streaming ingest\n\n${MARKERS.start}\n${MARKERS.end}\n\n`;
    const at = text.indexOf('\n## Where the time goes');
    return at === -1 ? `${text.trimEnd()}\n\n${block}` : `${text.slice(0, at + 1)}${block}${text.slice(at + 1)}`;
  });
}
