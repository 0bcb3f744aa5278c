// The results as Markdown, written between two markers in BENCHMARKS.md so that the rest of
// the file (how to read it, "What was tried") stays as people wrote it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { version as duckdbVersion } from '@duckdb/node-api';
import { median, type Measured, type QueryResult } from './measure.js';
import { DEFAULT_MEMORY_LIMIT } from '../src/store/duckdb/database.js';

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

export const int = (n: number) => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');
export const ms = (n: number) => (n >= 100 ? int(n) : n.toFixed(1));
export const ratio = (a: number, b: number) => `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×`;
export const rate = (i: { records: number; seconds: number }) => int(i.records / i.seconds);

export interface RunInfo {
  runs: number;
  loadStart: number[];
  totalSeconds: number;
  packageVersion: string;
}

export function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A median and its spread: `median (min–max)`. */
export const spread = (xs: number[]) => `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`;

/** The cells every bench's aggregation table starts a query's row with, to its engine ratio. */
export function queryCells(q: QueryResult): string[] {
  return [
    `**${q.name}** ${q.what}${q.pageRows === 1000 ? '' : `, **pages of ${q.pageRows}**`}`,
    int(q.rows) + (q.rows === q.engineRows ? '' : ` (engine: ${int(q.engineRows)})`),
    int(q.pages),
    spread(q.e2eMs),
    ms(median(q.doneMs)),
    ((median(q.e2eMs) - median(q.doneMs)) / Math.max(q.pages - 1, 1)).toFixed(1),
    spread(q.engineMs),
    ms(median(q.engineAllMs)),
    ratio(median(q.e2eMs), median(q.engineMs)),
  ];
}

function results(m: Measured): string {
  const q1 = m.queries[0]!;
  const floor = median(m.floorMs);
  return [
    '#### Ingest',
    '',
    table(['path', 'what it measures', 'records', 'seconds', 'records/s'], [
      ['`POST /ingest/v1/farms/{farmId}/sessions`', `the server's ingest: the ${int(m.fileMiB)} MiB NDJSON file below, read from disk in the bench process by the uploader \`farmtally import\` uses (src/client: a line scan and a socket write, no JSON), one request per ${int(m.batch)} records, one at a time, into the farm with no sessions yet (all \`created\`). Of the time, ${m.route.commitWaitSeconds!.toFixed(1)} s went waiting for answers after each batch's last byte (the server's work once the body is in)`, int(m.route.records), m.route.seconds.toFixed(1), rate(m.route)],
      ['`farmtally import FILE`', `the CLI streaming that file, ${int(m.batch)} records per request, into the same empty farm on a server of its own (a copy of the data folder before ingest; CLI start-up included)`, int(m.importCli.records), m.importCli.seconds.toFixed(1), rate(m.importCli)],
      ['generator alone', 'src/demo writing that file: how fast the test data is made, for comparison', int(m.sessions), '', int(m.generateRps)],
    ]),
    '',
    '#### Aggregations (median of the runs; min–max in brackets)',
    '',
    table(['query', 'rows', 'pages', 'end to end ms', 'of which until COMPLETED', 'paging ms per page', 'engine ms: groups + rows', 'engine ms: all statements', 'end to end / engine'], m.queries.map(queryCells)),
    '',
    '#### The floor: Q1 as one typed-array loop in JS (one core, columns loaded beforehand)',
    '',
    table(['floor ms', 'engine / floor', 'end to end / floor', 'check against the engine'], [
      [spread(m.floorMs), ratio(median(q1.engineMs), floor), ratio(median(q1.e2eMs), floor), m.floorCheck],
    ]),
    '',
    '#### Peak memory (VmHWM, resident)',
    '',
    table(['process', 'MiB'], [
      ['server: ingest, then all aggregations', int(m.memory.serverPeakMiB)],
      ['server: after ingest', int(m.memory.serverAfterIngestMiB)],
      ['import server (`farmtally import` run)', int(m.memory.importServerPeakMiB)],
      ['bench process (generator, SDK client, engine run, floor arrays)', int(m.memory.benchPeakMiB)],
    ]),
  ].join('\n');
}

function growth(small: Measured, big: Measured): string {
  const row = (what: string, a: number, b: number, unit: string) => [what, `${ms(a)} ${unit}`, `${ms(b)} ${unit}`, `${(b / a).toFixed(1)}×`];
  const rows = [
    row('ingest, route (seconds)', small.route.seconds, big.route.seconds, 's'),
    row('ingest, import (seconds)', small.importCli.seconds, big.importCli.seconds, 's'),
    ...big.queries.flatMap((q, i) => [
      row(`${q.name} end to end${q.pageRows === 1000 ? '' : ` (pages of ${q.pageRows})`}`, median(small.queries[i]!.e2eMs), median(q.e2eMs), 'ms'),
      row(`${q.name} engine`, median(small.queries[i]!.engineMs), median(q.engineMs), 'ms'),
    ]),
    row('Q1 floor', median(small.floorMs), median(big.floorMs), 'ms'),
    row('server peak memory', small.memory.serverPeakMiB, big.memory.serverPeakMiB, 'MiB'),
  ];
  return [`#### Growth from ${int(small.sessions)} to ${int(big.sessions)} sessions (10× the data; 10× the time is linear)`, '', table(['measure', int(small.sessions), int(big.sessions), 'growth'], rows)].join('\n');
}

export function markdown(all: Measured[], info: RunInfo): string {
  const big = all[all.length - 1]!;
  const cpu = cpus();
  const lines = [
    START,
    `### Latest run: ${new Date().toISOString().slice(0, 10)}, ${int(big.sessions)} sessions`,
    '',
    `- Data: the demo generator (src/demo, seed 1): ${int(big.sessions)} sessions = ${int(big.usageRecords)} usage records (COMPUTE + LICENSE), 10 queues, 5 fleets, 20 000 jobs, 200 users, all of 2025.`,
    `- Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${release()}. Load average (1 min) at the start ${info.loadStart[0]!.toFixed(1)}, at the end ${loadavg()[0]!.toFixed(1)}: other work on the machine slows every number.`,
    `- Software: farmtally ${info.packageVersion}, Node ${process.version}, DuckDB ${duckdbVersion()} (@duckdb/node-api); the server's DuckDB settings (threads 2, memory_limit ${DEFAULT_MEMORY_LIMIT}, src/store/duckdb/database.ts) for both the server and the engine runs.`,
    `- ${info.runs} runs of each aggregation, medians quoted; ingest measured once per path. The whole benchmark took ${int(info.totalSeconds)} s.`,
    '',
    results(big),
  ];
  if (all.length > 1) lines.push('', growth(all[0]!, big), '', `<details><summary>The ${int(all[0]!.sessions)}-session run</summary>`, '', results(all[0]!), '', '</details>');
  lines.push(END);
  return lines.join('\n');
}

const TEMPLATE = `# Benchmarks

\`npm run bench\` (default 1 000 000 sessions, 5 runs) generates a realistic farm, starts a
real server (\`bin/farmtally.js serve\`), and measures, on the same data in the same run:

- **ingest**: records per second through the ingest route, and through \`farmtally import\` of
  a file into a fresh server;
- **end to end**: four aggregations through the official SDK (Start, poll every 10 ms, every
  page of 1000 rows, as \`farmtally stats\` and the usage explorer ask), as a client sees
  them; Q1 also in the SDK's default pages of 100;
- **engine**: the same aggregations as the SQL the server runs until COMPLETED (the grouping
  and the read of the result rows), on the server's data file in the bench process once the
  server has stopped; \`end to end / engine\` is what the API, the polling and the paging add;
- **floor**: Q1 as one single-threaded typed-array loop in JS, the practical floor for this
  work on this machine;
- **peak memory** of the server process (VmHWM from /proc).

Options: \`npm run bench -- --sessions 20000\` (a quick smoke run), \`--runs 3\`, \`--scale\` (also
run at a tenth of the sessions and report how times grow; automatic from 2 000 000 sessions).

${START}
${END}

## What was tried

Record here what was changed to make these numbers better (or worse), with the numbers
before and after, so nobody tries the same thing twice.
`;

export interface Markers {
  start: string;
  end: string;
}

/**
 * Writes `section` (which begins with `markers.start` and ends with `markers.end`) over what
 * lies between those markers in `file`. Where the file or its markers are missing, `place`
 * gives the text with empty markers put where they belong; the rest stays as people wrote it.
 */
export function writeBetweenMarkers(file: string, section: string, markers: Markers, place: (text: string) => string): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : TEMPLATE;
  if (!text.includes(markers.start) || !text.includes(markers.end)) text = place(text);
  writeFileSync(file, text.slice(0, text.indexOf(markers.start)) + section + text.slice(text.indexOf(markers.end) + markers.end.length));
}

export function writeReport(file: string, section: string): void {
  writeBetweenMarkers(file, section, { start: START, end: END }, (text) => `${text.trimEnd()}\n\n${START}\n${END}\n`);
}

/**
 * A run's results, where they go: printed, kept in the run's own file under .bench/ (so a run
 * for a look leaves the checkout clean), and into BENCHMARKS.md only when asked (`intoDocs`).
 */
export function publish(section: string, own: string, log: (line: string) => void, intoDocs?: () => void): void {
  process.stdout.write(`${section}\n`);
  mkdirSync(dirname(own), { recursive: true });
  writeFileSync(own, `${section}\n`);
  log(`results written to ${own}`);
  if (!intoDocs) return;
  intoDocs();
  log('results written to BENCHMARKS.md');
}
