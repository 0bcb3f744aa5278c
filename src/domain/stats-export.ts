// The statistics rows as flat records and CSV: the one export format of `farmtally stats`
// (--format csv and table) and of the usage explorer's CSV download, so both write the same
// columns from the same code. Free of Node APIs: the page's bundle imports it too (its build
// points `csv-stringify/sync` at the library's browser build).
import { stringify } from 'csv-stringify/sync';
import { GROUP_BY_FIELDS, groupFieldValues, type GroupByField, type GroupValues, type Stats } from './aggregation-rules.js';

/** The members of a statistics row that the export reads (the SDK's `Statistics` fits). */
export interface ExportRow extends GroupValues {
  aggregationStartTime?: Date;
  aggregationEndTime?: Date;
  count?: number;
  runtimeInSeconds?: Stats;
  costInUsd?: Stats;
}

/** The group members of the columns, in the order of the request's group-by fields. */
const groupColumns = (groupBy: readonly string[]) =>
  groupBy.flatMap((g) => ((GROUP_BY_FIELDS as readonly string[]).includes(g) ? groupFieldValues(g as GroupByField) : []));

/** The columns of `flatten`: start, end, the requested group fields (in request order), count, then each statistic. */
export function columns(groupBy: readonly string[], statistics: readonly string[]): string[] {
  return [
    'start', 'end', ...groupColumns(groupBy), 'count',
    ...statistics.map((s) => `runtime_${s.toLowerCase()}_s`), ...statistics.map((s) => `cost_${s.toLowerCase()}_usd`),
  ];
}

/**
 * Flat records with the columns of `columns`: the same columns whatever the rows hold (a
 * group with no value for a field, such as the instance type of LICENSE usage, has '').
 */
export function flatten(rows: readonly ExportRow[], groupBy: readonly string[], statistics: readonly string[]): Record<string, string | number>[] {
  const groupFields = groupColumns(groupBy);
  return rows.map((r) => {
    const out: Record<string, string | number> = {
      start: r.aggregationStartTime!.toISOString(),
      end: r.aggregationEndTime!.toISOString(),
    };
    for (const k of groupFields) out[k] = r[k] ?? '';
    out.count = r.count!;
    for (const s of statistics) out[`runtime_${s.toLowerCase()}_s`] = round(r.runtimeInSeconds![s.toLowerCase() as keyof Stats]!, 3);
    for (const s of statistics) out[`cost_${s.toLowerCase()}_usd`] = round(r.costInUsd![s.toLowerCase() as keyof Stats]!, 6);
    return out;
  });
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The CSV of `farmtally stats --format csv`: a header row (even with no rows, so a script always finds its columns), then one line per row. */
export function statsCsv(rows: readonly ExportRow[], groupBy: readonly string[], statistics: readonly string[]): string {
  return stringify(flatten(rows, groupBy, statistics), { header: true, columns: columns(groupBy, statistics) });
}
