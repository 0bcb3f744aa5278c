// `farmtally stats`: one aggregation end to end through the official SDK: Start, wait with
// progress, fetch every page, print as a table, CSV or JSON.
import { paginateListFleets, paginateListQueues, StartSessionsStatisticsAggregationCommand, type DeadlineClient, type Statistics } from '@aws-sdk/client-deadline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MAX_AGGREGATION_RESOURCES as MAX_RESOURCES } from '../domain/aggregation-limits.js';
import { GROUP_BY_FIELDS, STATISTICS } from '../domain/aggregation-rules.js';
import { PERIODS } from '../domain/buckets.js';
import { formatLocalTime } from '../domain/local-time.js';
import { flatten, statsCsv, type ExportContext } from '../domain/stats-export.js';
import { clientFor } from '../client/deadline-client.js';
import { AggregationEnded, readAggregationRows, type AggregationRead } from './aggregation-rows.js';
import { fail } from './client.js';
import { usageError } from './exit.js';
import { withConnectionOptions, type ConnectionOptions } from './options.js';
import { Progress } from './progress.js';
import { table } from './table.js';
import { timeRange } from './time-range.js';

const GROUP_BY = GROUP_BY_FIELDS;

function listOf(allowed: readonly string[]) {
  return (text: string): string[] => {
    const items = text.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i));
    if (bad.length) throw new InvalidArgumentError(`${bad.join(', ')} not one of ${allowed.join(', ')}.`);
    return items;
  };
}

function oneOf(allowed: readonly string[]) {
  return (text: string): string => {
    const value = text.trim().toUpperCase();
    if (!allowed.includes(value)) throw new InvalidArgumentError(`${text} is not one of ${allowed.join(', ')}.`);
    return value;
  };
}

const ids = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

interface StatsOptions extends ConnectionOptions {
  farm: string;
  queues?: string[];
  fleets?: string[];
  start: string;
  end: string;
  period?: string;
  timezone?: string;
  groupBy: string[];
  statistics: string[];
  format: 'table' | 'csv' | 'json';
}

/** A farm's queues and fleets (ID and name), each listed once per run however many steps ask: the whole-farm default and the names of the table and the CSV. */
function farmLists(client: DeadlineClient, farmId: string) {
  const listed = new Map<string, Promise<{ id: string; name: string }[]>>();
  const list = (kind: 'queues' | 'fleets') => {
    let found = listed.get(kind);
    if (!found) {
      found = (async () => {
        const items: { id: string; name: string }[] = [];
        if (kind === 'queues') for await (const page of paginateListQueues({ client }, { farmId })) items.push(...(page.queues ?? []).map((q) => ({ id: q.queueId!, name: q.displayName! })));
        else for await (const page of paginateListFleets({ client }, { farmId })) items.push(...(page.fleets ?? []).map((f) => ({ id: f.fleetId!, name: f.displayName! })));
        return items;
      })();
      listed.set(kind, found);
    }
    return found;
  };
  return { queues: () => list('queues'), fleets: () => list('fleets') };
}

/**
 * Without --queues or --fleets: the whole farm, as its queues when the model lets one request
 * name them all, else as its fleets (every session names both, so either is the whole farm).
 */
async function wholeFarm(lists: ReturnType<typeof farmLists>, farmId: string): Promise<{ queueIds: string[] } | { fleetIds: string[] }> {
  const queueIds = (await lists.queues()).map((q) => q.id);
  if (queueIds.length === 0) throw new Error(`farm ${farmId} has no queues, so no sessions: create one (CreateQueue), or check the farm ID (farmtally farms list).`);
  if (queueIds.length <= MAX_RESOURCES) return { queueIds };
  const fleetIds = (await lists.fleets()).map((f) => f.id);
  if (fleetIds.length > 0 && fleetIds.length <= MAX_RESOURCES) {
    console.error(`note: farm ${farmId} has ${queueIds.length} queues, more than one request names (${MAX_RESOURCES}), so the whole farm is asked for as its ${fleetIds.length} fleets.`);
    return { fleetIds };
  }
  throw new Error(
    `farm ${farmId} has ${queueIds.length} queues and ${fleetIds.length} fleets, and one request names at most ${MAX_RESOURCES}: pick them with --queues (farmtally queues list --farm ${farmId}) or --fleets, and run stats once per ten.`,
  );
}

/** Display names of the farm's queues and fleets by ID, when the rows are grouped by them (a list failing leaves its names out). */
async function namesOf(lists: ReturnType<typeof farmLists>, groupBy: readonly string[]): Promise<ExportContext['names']> {
  const listed = async (grouped: boolean, list: () => Promise<{ id: string; name: string }[]>) => {
    try {
      return new Map(grouped ? (await list()).map((i) => [i.id, i.name]) : []);
    } catch {
      return new Map<string, string>(); // a principal may read statistics but not list: IDs alone
    }
  };
  return { queues: await listed(groupBy.includes('QUEUE_ID'), lists.queues), fleets: await listed(groupBy.includes('FLEET_ID'), lists.fleets) };
}

/** The CSV's columns the table shows its own way: bucket times on the zone's clock, names in a column before their IDs. */
const SHOWN_OTHERWISE = new Set(['start_local', 'end_local', 'queueName', 'fleetName']);

/**
 * The table's rows: bucket times on the zone's wall clock (with its offset), and each queue
 * and fleet ID's display name in a column beside it (when the farm's lists could be read).
 */
function tableRows(rows: readonly Statistics[], o: StatsOptions, context: ExportContext): Record<string, string | number>[] {
  const NAMED: Record<string, [string, string]> = { queueId: ['queue', 'queueName'], fleetId: ['fleet', 'fleetName'] };
  const listed = context.names.queues.size + context.names.fleets.size > 0;
  return flatten(rows, o.groupBy, o.statistics, context).map((flat, i) => {
    const out: Record<string, string | number> = {};
    for (const [key, value] of Object.entries(flat)) {
      if (key === 'start' || key === 'end') {
        const at = key === 'start' ? rows[i]!.aggregationStartTime! : rows[i]!.aggregationEndTime!;
        out[key] = formatLocalTime(at.getTime(), context.zone);
        continue;
      }
      if (SHOWN_OTHERWISE.has(key)) continue;
      const named = NAMED[key];
      if (named && listed) out[named[0]] = flat[named[1]]!;
      out[key] = value;
    }
    return out;
  });
}

async function run(o: StatsOptions): Promise<void> {
  if (o.queues && o.fleets) usageError('give one of --queues or --fleets, not both (neither: every queue of the farm).', 'stats');
  const range = timeRange(o, 'stats');
  const [start, end, zone] = [new Date(range.start), new Date(range.end), range.zone];
  const client = clientFor(o.endpoint, o.region, o.profile);
  const lists = farmLists(client, o.farm);
  if (!o.queues && !o.fleets) {
    const whole = await wholeFarm(lists, o.farm);
    if ('queueIds' in whole) o.queues = whole.queueIds;
    else o.fleets = whole.fleetIds;
  }
  const progress = new Progress('aggregation');
  const { aggregationId } = await client.send(
    new StartSessionsStatisticsAggregationCommand({
      farmId: o.farm,
      resourceIds: o.queues ? { queueIds: o.queues } : { fleetIds: o.fleets! },
      startTime: start,
      endTime: end,
      timezone: o.timezone,
      period: o.period as never,
      groupBy: o.groupBy as never,
      statistics: o.statistics as never,
    }),
  );
  let read: AggregationRead;
  try {
    read = await readAggregationRows(client, o.farm, aggregationId!, (what) => progress.update(what));
  } catch (err) {
    if (!(err instanceof AggregationEnded)) throw err;
    progress.done(err.status);
    fail(err.message);
  }
  const { rows } = read;
  progress.done(`${rows.length} rows`);
  if (read.statusMessage) console.error(`note: ${read.statusMessage}`);
  if (o.format === 'json') {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const context: ExportContext = { zone, names: await namesOf(lists, o.groupBy) };
  if (o.format === 'csv') process.stdout.write(statsCsv(rows, o.groupBy, o.statistics, context));
  else console.log(table(tableRows(rows, o, context), '(no rows: no session records overlap the range)'));
}

export function statsCommand(): Command {
  return withConnectionOptions(new Command('stats').description('Run a session statistics aggregation through the official SDK and print its rows.'))
    .requiredOption('--farm <farmId>', 'farm ID (farmtally farms list shows them)')
    .option('--queues <ids>', 'comma-separated queue IDs, 1 to 10 (or use --fleets; farmtally queues list shows them); neither: every queue of the farm', ids)
    .option('--fleets <ids>', 'comma-separated fleet IDs, 1 to 10 (or use --queues; farmtally fleets list shows them)', ids)
    .requiredOption('--start <time>', 'start of the range, inclusive: a date or date-time, local to --timezone unless it has an offset')
    .requiredOption('--end <time>', 'end of the range, exclusive: a date or date-time, local to --timezone unless it has an offset')
    .addOption(new Option('--period <period>', `bucket size: ${PERIODS.join(', ')} (any case); omit for one bucket over the range`).argParser(oneOf(PERIODS)))
    .option('--timezone <zone>', 'time zone of the buckets and of --start/--end (default UTC): UTC+08:00, UTC-03:30 (farmtally also: UTC, Asia/Singapore)')
    .requiredOption('--group-by <fields>', `1 to 7 of ${GROUP_BY.join(', ')}, comma-separated, in row order (a --strict server, like Deadline Cloud, takes 1 or 2)`, listOf(GROUP_BY))
    .addOption(new Option('--statistics <stats>', `any of ${STATISTICS.join(', ')} (comma-separated)`).argParser(listOf(STATISTICS)).default(['SUM'], 'SUM'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText(
      'after',
      `
Examples:
  $ farmtally stats --farm farm-... --queues queue-...,queue-... --start 2025-01-01 --end 2025-04-01 \\
      --period DAILY --timezone UTC+08:00 --group-by QUEUE_ID,USAGE_TYPE --statistics SUM,AVG
  $ farmtally stats --endpoint https://farmtally.example:8443 --profile viewer --farm farm-... --fleets fleet-... \\
      --start 2025-01-01 --end 2026-01-01 --period MONTHLY --group-by FLEET_ID --format csv > fleets.csv

A date without an offset is local midnight in --timezone: with UTC+08:00, 2025-01-01 is
2024-12-31T16:00:00Z. Rows go to stdout (csv and json: only data), progress to stderr. The
table shows bucket times on --timezone's clock and queue and fleet names beside their IDs.
csv has each bucket's start and end in UTC and on --timezone's clock (start, start_local,
end, end_local) and a queueName and fleetName after each queueId and fleetId; json is the
API's rows as they are (UTC instants, IDs).
`,
    )
    .action((o: StatsOptions) => run(o).catch((err) => fail(err)));
}
