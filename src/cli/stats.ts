// `farmtally stats`: one aggregation end to end through the official SDK: Start, wait with
// progress, fetch every page, print as a table, CSV or JSON.
import {
  GetSessionsStatisticsAggregationCommand, StartSessionsStatisticsAggregationCommand,
  type GetSessionsStatisticsAggregationResponse, type Statistics,
} from '@aws-sdk/client-deadline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { GROUP_BY_FIELDS, STATISTICS } from '../domain/aggregation-rules.js';
import { flatten, statsCsv } from '../domain/stats-export.js';
import { clientFor, fail } from './client.js';
import { Progress } from './progress.js';

const GROUP_BY = GROUP_BY_FIELDS;

function listOf(allowed: readonly string[]) {
  return (text: string): string[] => {
    const items = text.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i));
    if (bad.length) throw new InvalidArgumentError(`${bad.join(', ')} not one of ${allowed.join(', ')}.`);
    return items;
  };
}

const ids = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * An ISO 8601 instant. A date-time without an offset is read as UTC, like a bare date
 * (JavaScript would read `2025-01-01T00:00` in the machine's zone but `2025-01-01` in UTC).
 */
function time(text: string): Date {
  const trimmed = text.trim();
  const d = new Date(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(trimmed) ? `${trimmed}Z` : trimmed);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('use an ISO 8601 date-time such as 2025-01-01T00:00:00Z (or a date, 2025-01-01).');
  return d;
}

interface StatsOptions {
  endpoint: string;
  region: string;
  profile?: string;
  farm: string;
  queues?: string[];
  fleets?: string[];
  start: Date;
  end: Date;
  period?: string;
  timezone?: string;
  groupBy: string[];
  statistics: string[];
  format: 'table' | 'csv' | 'json';
}

export function table(records: Record<string, string | number>[]): string {
  if (!records.length) return '(no rows: no session records overlap the range)';
  const columns = Object.keys(records[0]!);
  const cells = [columns, ...records.map((r) => columns.map((c) => String(r[c])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const numeric = columns.map((c) => typeof records[0]![c] === 'number');
  const line = (row: string[]) => row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function run(o: StatsOptions): Promise<void> {
  if (!!o.queues === !!o.fleets) fail('give exactly one of --queues or --fleets.');
  const client = clientFor(o.endpoint, o.region, o.profile);
  const progress = new Progress('aggregation');
  const { aggregationId } = await client.send(
    new StartSessionsStatisticsAggregationCommand({
      farmId: o.farm,
      resourceIds: o.queues ? { queueIds: o.queues } : { fleetIds: o.fleets! },
      startTime: o.start,
      endTime: o.end,
      timezone: o.timezone,
      period: o.period as never,
      groupBy: o.groupBy as never,
      statistics: o.statistics as never,
    }),
  );
  const rows: Statistics[] = [];
  let nextToken: string | undefined;
  let page: GetSessionsStatisticsAggregationResponse;
  let delay = 50;
  for (;;) {
    page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId: o.farm, aggregationId, nextToken, maxResults: 100 }));
    if (page.status === 'IN_PROGRESS') {
      progress.update(`running (${aggregationId})`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
      continue;
    }
    if (page.status !== 'COMPLETED') {
      progress.done(`${page.status}`);
      fail(`the aggregation ended ${page.status}: ${page.statusMessage ?? 'no reason given'}`);
    }
    rows.push(...(page.statistics ?? []));
    progress.update(`fetching rows: ${rows.length}`);
    nextToken = page.nextToken;
    if (!nextToken) break;
  }
  progress.done(`${rows.length} rows`);
  if (page.statusMessage) console.error(`note: ${page.statusMessage}`);
  if (o.format === 'json') console.log(JSON.stringify(rows, null, 2));
  else if (o.format === 'csv') process.stdout.write(statsCsv(rows, o.groupBy, o.statistics));
  else console.log(table(flatten(rows, o.groupBy, o.statistics)));
}

export function statsCommand(): Command {
  return new Command('stats')
    .description('Run a session statistics aggregation through the official SDK and print its rows.')
    .requiredOption('--endpoint <url>', 'farmtally (or Deadline Cloud) endpoint, e.g. http://127.0.0.1:8080')
    .option('--region <region>', 'region for the SDK client', 'us-west-2')
    .option('--profile <name>', 'sigv4 servers: the AWS profile whose keys sign the requests (default: AWS_PROFILE, the environment, ~/.aws)')
    .requiredOption('--farm <farmId>', 'farm ID')
    .option('--queues <ids>', 'comma-separated queue IDs (or use --fleets)', ids)
    .option('--fleets <ids>', 'comma-separated fleet IDs (or use --queues)', ids)
    .requiredOption('--start <time>', 'start of the range, inclusive (ISO 8601; UTC unless it has an offset)', time)
    .requiredOption('--end <time>', 'end of the range, exclusive (ISO 8601; UTC unless it has an offset)', time)
    .addOption(new Option('--period <period>', 'bucket size; omit for one bucket over the range').choices(['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY']))
    .option('--timezone <zone>', 'time zone of the buckets: UTC+08:00, UTC-03:30 (farmtally also: UTC, Asia/Singapore)')
    .requiredOption('--group-by <fields>', `1 or 2 of ${GROUP_BY.join(', ')} (comma-separated)`, listOf(GROUP_BY))
    .option('--statistics <stats>', `any of ${STATISTICS.join(', ')} (comma-separated)`, listOf(STATISTICS), ['SUM'])
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText(
      'after',
      `
Examples:
  $ farmtally stats --endpoint http://127.0.0.1:8080 --farm farm-... --queues queue-...,queue-... \\
      --start 2025-01-01 --end 2025-04-01 --period DAILY --group-by QUEUE_ID,USAGE_TYPE --statistics SUM,AVG
  $ farmtally stats --endpoint https://farmtally.example:8443 --profile viewer --farm farm-... --fleets fleet-... \\
      --start 2025-01-01 --end 2026-01-01 --period MONTHLY --group-by FLEET_ID --format csv > fleets.csv
`,
    )
    .action((o: StatsOptions) => run(o).catch((err) => fail(err)));
}
