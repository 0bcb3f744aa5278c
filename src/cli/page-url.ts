// The usage explorer page's address for a query: the server's `/` with the whole query in
// the query string (parameters as the page reads them: farm, queues or fleets, start, end,
// period, tz, groupBy, stats, measure), so `farmtally demo` can print a link that opens
// straight on a chart.

export interface PageQuery {
  farm: string;
  queues?: readonly string[];
  fleets?: readonly string[];
  /** Local dates or date-times in `tz`, without an offset. */
  start?: string;
  end?: string;
  period?: 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY';
  tz?: string;
  groupBy?: readonly string[];
  stats?: readonly string[];
  measure?: 'cost' | 'runtime';
}

/** Each value URL-encoded; lists joined by plain commas, which stay readable in the link. */
export function pageUrl(endpoint: string, q: PageQuery): string {
  const pairs: [string, string | readonly string[] | undefined][] = [
    ['farm', q.farm], ['queues', q.queues], ['fleets', q.fleets], ['start', q.start], ['end', q.end],
    ['period', q.period], ['tz', q.tz], ['groupBy', q.groupBy], ['stats', q.stats], ['measure', q.measure],
  ];
  const query = pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${(typeof v === 'string' ? [v] : v!).map(encodeURIComponent).join(',')}`)
    .join('&');
  return `${endpoint.replace(/\/+$/, '')}/?${query}`;
}
