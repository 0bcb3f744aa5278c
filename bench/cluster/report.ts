// The cluster run's results as Markdown: the DuckDB report's tables (bench/report.ts) with the
// cluster's own words, the load averages of every phase, and what the shards logged.
import { cpus, loadavg, release, totalmem } from 'node:os';
import { median } from '../measure.js';
import { int, ms, queryCells, rate, ratio, spread, table, type RunInfo } from '../report.js';
import type { ClusterMeasured } from './measure.js';

export const START = '<!-- bench:cluster:start -->';
export const END = '<!-- bench:cluster:end -->';

const mib = (bytes: number) => `${int(bytes / 2 ** 20)} MiB`;

function results(m: ClusterMeasured): string {
  const q1 = m.queries[0]!;
  const floor = median(m.floorMs);
  const ingestRows = [
    ['`POST /ingest/v1/farms/{farmId}/sessions`', `the server's ingest on the cluster: the ${int(m.fileMiB)} MiB NDJSON file, read from disk in the bench process by the uploader \`farmtally import\` uses, one request per ${int(m.batch)} records, one at a time, into the farm with no sessions yet (all \`created\`). Of the time, ${m.route.commitWaitSeconds!.toFixed(1)} s went waiting for answers after each batch's last byte (the server's work once the body is in)`, int(m.route.records), m.route.seconds.toFixed(1), rate(m.route)],
  ];
  if (m.importCli.records) ingestRows.push(['`farmtally import FILE`', `the CLI streaming that file, ${int(m.batch)} records per request, into the same empty farm on a server of its own over a copy of the state (PostgreSQL database from the first as a template) and empty shard tables (CLI start-up included)`, int(m.importCli.records), m.importCli.seconds.toFixed(1), rate(m.importCli)]);
  ingestRows.push(['generator alone', 'src/demo writing that file, for comparison', int(m.sessions), '', int(m.generateRps)]);
  return [
    '#### Ingest',
    '',
    table(['path', 'what it measures', 'records', 'seconds', 'records/s'], ingestRows),
    '',
    `Stored: ${m.rowsPerShard.map((n, i) => `shard ${i + 1} ${int(n)} rows`).join(', ')}; on disk (compressed, both shards) ${Object.entries(m.tableBytes).map(([t, b]) => `${t} ${mib(b)}`).join(', ')}.`,
    '',
    '#### Aggregations (median of the runs; min–max in brackets)',
    '',
    'The engine columns are the ClickHouse SQL alone (store/clickhouse/aggregation-sql.ts, sent by the bench process as the server sends it, the initiator taken in turn, on the same snapshot): the statement until its rows are parsed, and with the statement naming missing rates. Rows read and memory are each shard\'s own (query_log, the last engine run; the initiator, marked *, also merges the shards\' groups).',
    '',
    table(['query', 'rows', 'pages', 'end to end ms', 'of which until COMPLETED', 'paging ms per page', 'ClickHouse ms: statement + rows', 'ClickHouse ms: with missing rates', 'end to end / ClickHouse', 'rows read per shard', 'memory per shard MiB', 'SQL bytes'], m.queries.map((q, i) => [
      ...queryCells(q),
      m.shardLogs[i]!.readRows.map((n, s) => `${int(n)}${s === m.shardLogs[i]!.initiator ? '*' : ''}`).join(' + '),
      m.shardLogs[i]!.memoryMiB.map((n, s) => `${int(n)}${s === m.shardLogs[i]!.initiator ? '*' : ''}`).join(' / '),
      int(m.shardLogs[i]!.sqlBytes),
    ])),
    '',
    '#### The floor: Q1 as one typed-array loop in JS (one core, columns loaded from the shards beforehand)',
    '',
    table(['floor ms', 'ClickHouse / floor', 'end to end / floor', 'check against the ClickHouse SQL'], [
      [spread(m.floorMs), ratio(median(q1.engineMs), floor), ratio(median(q1.e2eMs), floor), m.floorCheck],
    ]),
    '',
    '#### Peak memory (VmHWM, resident)',
    '',
    table(['process', 'MiB'], [
      ['server (node): ingest, then all aggregations', int(m.memory.serverPeakMiB)],
      ['server (node): after ingest', int(m.memory.serverAfterIngestMiB)],
      ...(m.importCli.records ? [['import server (`farmtally import` run)', int(m.memory.importServerPeakMiB)]] : []),
      ['bench process (generator, SDK client, floor arrays)', int(m.memory.benchPeakMiB)],
    ]),
    '',
    '#### Load averages (1 / 5 / 15 min) per phase',
    '',
    table(['phase', 'at the start', 'at the end'], m.loads.map(([p, a, b]) => [p, a, b])),
  ].join('\n');
}

function growth(small: ClusterMeasured, big: ClusterMeasured): string {
  const row = (what: string, a: number, b: number, unit: string) => [what, `${ms(a)} ${unit}`, `${ms(b)} ${unit}`, `${(b / a).toFixed(1)}×`];
  const rows = [
    row('ingest, route (seconds)', small.route.seconds, big.route.seconds, 's'),
    ...(big.importCli.records ? [row('ingest, import (seconds)', small.importCli.seconds, big.importCli.seconds, 's')] : []),
    ...big.queries.flatMap((q, i) => [
      row(`${q.name} end to end${q.pageRows === 1000 ? '' : ` (pages of ${q.pageRows})`}`, median(small.queries[i]!.e2eMs), median(q.e2eMs), 'ms'),
      row(`${q.name} ClickHouse`, median(small.queries[i]!.engineMs), median(q.engineMs), 'ms'),
    ]),
    row('Q1 floor', median(small.floorMs), median(big.floorMs), 'ms'),
    row('server peak memory', small.memory.serverPeakMiB, big.memory.serverPeakMiB, 'MiB'),
  ];
  return [`#### Growth from ${int(small.sessions)} to ${int(big.sessions)} sessions (10× the data; 10× the time is linear)`, '', table(['measure', int(small.sessions), int(big.sessions), 'growth'], rows)].join('\n');
}

export function clusterMarkdown(all: ClusterMeasured[], info: RunInfo & { shards: number; cluster: string; postgresVersion: string }, extra: string[] = []): string {
  const big = all[all.length - 1]!;
  const cpu = cpus();
  const lines = [
    START,
    `### Cluster run: ${new Date().toISOString().slice(0, 10)}, ${int(big.sessions)} sessions`,
    '',
    `- Data: the demo generator (src/demo, seed 1), as the DuckDB run: ${int(big.sessions)} sessions = ${int(big.usageRecords)} usage records (COMPUTE + LICENSE), 10 queues, 5 fleets, 20 000 jobs, 200 users, all of 2025.`,
    `- Cluster: ClickHouse ${big.clickhouseVersion}, ${info.shards} shards (cluster \`${info.cluster}\`), PostgreSQL ${info.postgresVersion}; a scratch database of the run's own on each. Shards, PostgreSQL, the server and the bench process all on this one machine.`,
    `- Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${release()}. Load average (1 / 5 / 15 min) at the start ${info.loadStart.map((l) => l.toFixed(1)).join(' / ')}, at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')}; shared with other work, which slows every number (each phase's loads below).`,
    `- Software: farmtally ${info.packageVersion}, Node ${process.version}.`,
    `- ${info.runs} runs of each aggregation, medians quoted; ingest measured once per path. The whole benchmark took ${int(info.totalSeconds)} s.`,
    '',
    results(big),
  ];
  if (all.length > 1) lines.push('', growth(all[0]!, big), '', `<details><summary>The ${int(all[0]!.sessions)}-session run</summary>`, '', results(all[0]!), '', '</details>');
  for (const section of extra) lines.push('', section);
  lines.push(END);
  return lines.join('\n');
}
