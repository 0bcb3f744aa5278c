// Above the chart: where the view was drilled from, its title, range and grand total, the
// CSV download, and what a click on a queue or fleet groups by.
import { useEffect, useMemo } from 'preact/hooks';
import { statsCsv } from '../../domain/stats-export.js';
import { changeText } from '../comparison.js';
import { Breadcrumb, groupingText, viewedResource } from '../breadcrumb.js';
import { formatCount, formatMeasure, valueTitle } from '../format.js';
import type { Query } from '../query.js';
import { FIELD_TITLE } from '../results.js';
import type { TimeZone } from '../../domain/timezone.js';
import type { Shown } from './shown.js';

export const DRILL_FIELDS = ['JOB_ID', 'USER_ID', 'INSTANCE_TYPE', 'USAGE_TYPE', 'LICENSE_PRODUCT'];

/** "Cost (USD) by queue" ("Share of cost (%) by queue"), and for one queue or fleet alone its name: "Cost (USD) of queue Lighting by job". */
function resultsTitle({ query, names }: Shown): string {
  const resource = viewedResource(query, names);
  return `${valueTitle(query.measure, query.show)}${resource ? ` of ${resource.what} ${resource.name}` : ''} ${groupingText(query.groupBy)}`;
}

/** A filter's value as the reader knows it: a queue's or fleet's name, else the value itself. */
function filterValueName(field: string, value: string, { names }: Shown): string {
  return (field === 'QUEUE_ID' ? names.queues.get(value) : field === 'FLEET_ID' ? names.fleets.get(value) : undefined) ?? value;
}

interface Props {
  shown: Shown;
  zone: TimeZone;
  drillBy: string;
  onDrillBy(field: string): void;
  onGo(q: Query): void;
}

export function ResultsHead({ shown, zone, drillBy, onDrillBy, onGo }: Props) {
  const csvUrl = useMemo(() => {
    const csv = statsCsv(shown.results.rows, shown.query.groupBy, shown.query.stats, { zone, names: shown.names });
    return URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  }, [shown.results, zone]);
  useEffect(() => () => URL.revokeObjectURL(csvUrl), [csvUrl]);
  const { query, results } = shown;

  return (
    <div class="results-head">
      <Breadcrumb query={query} names={shown.names} onGo={onGo} />
      <h2>{resultsTitle(shown)}</h2>
      <p class="muted">
        {query.start} to {query.end} ({query.tz}), {query.period ? query.period.toLowerCase() : 'one bucket'}: {' '}
        <strong data-testid="grand-total">{formatMeasure(query.measure === 'cost' ? results.totals.cost : results.totals.runtime / 3600, query.measure)}</strong>
      </p>
      {shown.comparison && (
        <p class="muted" data-testid="compared-with">
          Against the range before, {shown.comparison.start} to {shown.comparison.end}:{' '}
          <strong data-testid="grand-change">{changeText(results.totals, shown.comparison.previous.totals, query.measure)}</strong>
        </p>
      )}
      {query.filters.length > 0 && (
        <p class="muted" data-testid="filters-shown">
          Only {query.filters.map((f) => `${(FIELD_TITLE[f.field] ?? f.field).toLowerCase()} ${filterValueName(f.field, f.value, shown)}`).join(', ')}.
        </p>
      )}
      <div class="results-actions">
        <a class="button" href={csvUrl} download={`farmtally-${query.farm}-${query.start}-${query.end}.csv`} id="download-csv">
          Download CSV ({formatCount(results.rows.length)} rows)
        </a>
        <label class="inline">
          Clicking a queue or fleet shows it by{' '}
          <select id="drill-by" value={drillBy} onChange={(e) => onDrillBy(e.currentTarget.value)}>
            {DRILL_FIELDS.map((f) => <option value={f} key={f}>{FIELD_TITLE[f]?.toLowerCase()}</option>)}
          </select>
        </label>
      </div>
      {shown.statusMessage && <p class="note" role="note">{shown.statusMessage}</p>}
    </div>
  );
}
