// The statistics rows as flat records and CSV: the one export format of `farmtally stats`
// (--format csv and table) and of the usage explorer's CSV download, so both write the same
// columns from the same code. Free of Node APIs: the page's bundle imports it too (its build
// points `csv-stringify/sync` at the library's browser build).
//
// The CSV is read by people in spreadsheets as much as by scripts, so beside the API's
// values it carries what a person reads them by: each bucket's start and end on the query's
// zone's clock (with the offset), and each queue's and fleet's name beside its ID, as the
// API puts a job's name beside its ID. Each such column comes right after the one it
// describes; the columns depend only on the request, never on the rows.
import { stringify } from 'csv-stringify/sync';
import { GROUP_BY_FIELDS, groupFieldValues, type GroupByField, type GroupValues, type Stats } from './aggregation-rules.js';
import { formatIsoLocal } from './local-time.js';
import type { TimeZone } from './timezone.js';

/** The members of a statistics row that the export reads (the SDK's `Statistics` fits). */
export interface ExportRow extends GroupValues {
  aggregationStartTime?: Date;
  aggregationEndTime?: Date;
  count?: number;
  runtimeInSeconds?: Stats;
  costInUsd?: Stats;
}

/** What the export knows beyond the rows: the query's zone, and the display names of the farm's queues and fleets by ID. */
export interface ExportContext {
  zone: TimeZone;
  /** A queue or fleet missing here (the lists could not be read) has an empty name. */
  names: { queues: ReadonlyMap<string, string>; fleets: ReadonlyMap<string, string> };
}

/** The column of a name, for the ID columns that have one the rows do not carry. */
const NAME_OF_ID: Partial<Record<keyof GroupValues, { column: string; list: keyof ExportContext['names'] }>> = {
  queueId: { column: 'queueName', list: 'queues' },
  fleetId: { column: 'fleetName', list: 'fleets' },
};

/** The group members of the columns, in the order of the request's group-by fields. */
const groupMembers = (groupBy: readonly string[]) =>
  groupBy.flatMap((g) => ((GROUP_BY_FIELDS as readonly string[]).includes(g) ? groupFieldValues(g as GroupByField) : []));

/**
 * The columns of `flatten`: each bucket's start and end in UTC, each followed by the same
 * instant in the query's zone; the requested group fields in request order (a queue's or
 * fleet's name after its ID); count; then each statistic.
 */
export function columns(groupBy: readonly string[], statistics: readonly string[]): string[] {
  return [
    'start', 'start_local', 'end', 'end_local',
    ...groupMembers(groupBy).flatMap((m) => [m, ...(NAME_OF_ID[m] ? [NAME_OF_ID[m].column] : [])]),
    'count',
    ...statistics.map((s) => `runtime_${s.toLowerCase()}_s`), ...statistics.map((s) => `cost_${s.toLowerCase()}_usd`),
  ];
}

/**
 * Flat records with the columns of `columns`: the same columns whatever the rows hold (a
 * group with no value for a field, such as the instance type of LICENSE usage, has '').
 */
export function flatten(rows: readonly ExportRow[], groupBy: readonly string[], statistics: readonly string[], context: ExportContext): Record<string, string | number>[] {
  const members = groupMembers(groupBy);
  return rows.map((r) => {
    const [start, end] = [r.aggregationStartTime!, r.aggregationEndTime!];
    const out: Record<string, string | number> = {
      start: start.toISOString(),
      start_local: formatIsoLocal(start.getTime(), context.zone),
      end: end.toISOString(),
      end_local: formatIsoLocal(end.getTime(), context.zone),
    };
    for (const m of members) {
      out[m] = r[m] ?? '';
      const named = NAME_OF_ID[m];
      if (named) out[named.column] = (r[m] && context.names[named.list].get(r[m])) ?? '';
    }
    out.count = r.count!;
    for (const s of statistics) out[`runtime_${s.toLowerCase()}_s`] = round(r.runtimeInSeconds![s.toLowerCase() as keyof Stats]!, 3);
    for (const s of statistics) out[`cost_${s.toLowerCase()}_usd`] = round(r.costInUsd![s.toLowerCase() as keyof Stats]!, 6);
    return out;
  });
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The CSV of `farmtally stats --format csv`: a header row (even with no rows, so a script always finds its columns), then one line per row. */
export function statsCsv(rows: readonly ExportRow[], groupBy: readonly string[], statistics: readonly string[], context: ExportContext): string {
  return stringify(flatten(rows, groupBy, statistics, context), { header: true, columns: columns(groupBy, statistics) });
}
