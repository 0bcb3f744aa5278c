// The usage explorer's address for a query, written by the page itself (so a link reproduces
// the view) and by `farmtally demo` (so its last line opens straight on a chart). The page is
// the server's `/`; its query string holds, each optional (the page's defaults stand in):
//   farm      the farm ID
//   queues    queue IDs, comma-separated, 1 to 10; or fleets (never both)
//   start     a local date or date-time in tz, no offset (2025-01-01, 2025-01-01T08:00), inclusive
//   end       the same, exclusive (as the API's endTime)
//   period    HOURLY, DAILY, WEEKLY, MONTHLY; absent for one bucket over the range
//   tz        the time zone as the API takes it (UTC, UTC+08:00, America/New_York)
//   groupBy   group-by fields, comma-separated, in order
//   stats     statistics, comma-separated
//   measure   what the chart shows: cost or runtime
//   show      amounts (the default), or shares: each group's percent of each bucket's total
//             (the chart) and of the grand total (the table)
//   filter    FIELD:value, one parameter per filter (filter=USER_ID:ana&filter=USER_ID:bo): only
//             usage with that group-by value (values of one field are alternatives)
//   compare   previous: the same query also run over the range of equal length just before,
//             and each group's change since then in the table
//   from      written by the page only (src/web/query.ts): the view a drilled view came
//             from, its own query string encoded, the breadcrumb's way back
// The page reads it back with URLSearchParams (src/web/query.ts queryFromUrl).

export interface ExplorerLink {
  farm: string;
  kind: 'queues' | 'fleets';
  ids: readonly string[];
  start: string;
  end: string;
  /** '' or absent: one bucket over the whole range. */
  period?: string;
  tz: string;
  groupBy: readonly string[];
  stats: readonly string[];
  measure: 'cost' | 'runtime';
  /** Absent: amounts. */
  show?: 'amounts' | 'shares';
  /** Only usage with these group-by values. */
  filters?: readonly { field: string; value: string }[];
  /** Absent: no comparison. */
  compare?: 'previous';
}

/** The query string, `?` included; commas, colons and slashes stay readable, the rest is encoded as usual. */
export function explorerSearch(q: ExplorerLink): string {
  const parts: [string, string][] = [['farm', q.farm], [q.kind, q.ids.join(',')], ['start', q.start], ['end', q.end]];
  if (q.period) parts.push(['period', q.period]);
  parts.push(['tz', q.tz], ['groupBy', q.groupBy.join(',')], ['stats', q.stats.join(',')], ['measure', q.measure]);
  if (q.show) parts.push(['show', q.show]);
  for (const f of q.filters ?? []) parts.push(['filter', `${f.field}:${f.value}`]);
  if (q.compare) parts.push(['compare', q.compare]);
  return `?${parts.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%2F/g, '/')}`).join('&')}`;
}

/** The page's full address on the server at `endpoint`. */
export function explorerUrl(endpoint: string, q: ExplorerLink): string {
  return `${endpoint.replace(/\/+$/, '')}/${explorerSearch(q)}`;
}
