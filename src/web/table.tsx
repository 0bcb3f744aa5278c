// The table of groups: one row per group with its totals (the sums of its rows from the API),
// sortable by any column, each group's buckets one press away, a queue or fleet name a
// button that drills into it, and the grand total in the footer. Each number's header says
// what it is taken over, and so does a note under the table. On a phone Cost comes first.
// Compared with the previous range, a column of each group's change beside the measure's,
// and the groups gone since then at the end. A group with runtime from sessions still
// running has a "running" mark (drawn by the style sheet after its last label, so a label's
// text stays the group's name), its part in the row's title; so has each of its buckets with
// some. Compared, a change whose previous range's runtime has some from sessions still
// running (those that started before that range ended) is marked too, its part in the cell's
// title.
import { Fragment } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { Statistics } from '@aws-sdk/client-deadline';
import type { Period } from '../domain/buckets.js';
import type { RunningPart, RunningUsage } from '../domain/running-usage.js';
import type { TimeZone } from '../domain/timezone.js';
import { changeText, goneGroups, previousTotalsOf, type Comparison } from './comparison.js';
import { bucketLabel, formatCost, formatCount, formatHours, formatShare } from './format.js';
import type { Measure, Show } from './query.js';
import { FIELD_TITLE, Totals, type Group, type Results } from './results.js';
import { useNarrowScreen } from './screen.js';

interface Props {
  results: Results;
  stats: string[];
  measure: Measure;
  /** Shares: a column of each group's share of the grand total of the measure. */
  show: Show;
  zone: TimeZone;
  period: Period | '';
  /** The previous range's results, when compared: a change column. */
  comparison?: Comparison;
  /** The runtime from sessions still running, by group key (and bucket): those groups (and buckets) are marked. */
  running?: RunningUsage;
  /** The same in the previous range, when compared: those groups' changes are marked. */
  runningBefore?: RunningUsage;
  onDrill(group: Group): void;
}

/** The row's title for a group (or a bucket) with runtime from running sessions: how much, and from how many. */
function runningTitle(part: RunningPart, totals: Totals, of = 'this group\'s runtime'): string {
  return `${formatHours(part.runtime)} of ${of}${shareText(part, totals.runtime)} is from ${sessionsText(part)} still running`;
}

const shareText = (part: RunningPart, whole: number) => (whole > 0 ? ` (${formatShare(Math.min(100, (part.runtime / whole) * 100))})` : '');
const sessionsText = (part: RunningPart) => `${formatCount(part.sessions)} ${part.sessions === 1 ? 'session' : 'sessions'}`;

/** A change cell's title when the previous range's runtime has some from running sessions: how much of it. */
function runningBeforeTitle(part: RunningPart, before: Totals, comparison: Comparison, whose: string): string {
  return `Of ${whose} runtime from ${comparison.start} to ${comparison.end}, ${formatHours(part.runtime)}${shareText(part, before.runtime)} is from ${sessionsText(part)} still running`;
}

interface Column {
  key: string;
  title: string;
  /** What the number is taken over, for the header's tooltip. */
  description: string;
  /** The group's value for sorting and for the cell's data-value. */
  value(t: Totals): number;
  format(n: number): string;
  /** The same statistic of one API row, for the bucket detail. */
  ofRow(r: Statistics): number | undefined;
  /** The cell's text, when it is more than the value formatted (a change: amount and percent). */
  text?(t: Totals): string;
}

// The API counts a usage record in every bucket it overlaps, so the count added up over a
// group's buckets is not a number of sessions and grows with finer periods: the column is
// named for what it adds up, and says why it changes.
const COUNT_TITLE = 'Records counted';
const COUNT_DESCRIPTION = 'Usage records, each counted once in every bucket it overlaps, added up over the group\'s buckets: the number changes with the period';

/** What MIN, MAX and AVG of a group are taken over, by measure. */
const STAT_DESCRIPTION: Record<string, (measure: 'runtime' | 'cost') => string> = {
  MIN: (m) => `${m === 'cost' ? 'Smallest cost' : 'Shortest runtime'} of one usage record within one bucket, over the group's buckets`,
  MAX: (m) => `${m === 'cost' ? 'Largest cost' : 'Longest runtime'} of one usage record within one bucket, over the group's buckets`,
  AVG: (m) => `${m === 'cost' ? 'Cost' : 'Runtime'} per record counted: the total divided by the records counted`,
};

/**
 * Each group's share of the grand total of the measure, in percent, beside the measure's
 * column. A bucket's row has none: its share of the bucket is the chart's.
 */
function shareColumn(results: Results, measure: Measure): Column {
  const whole = results.totals.measure(measure);
  const what = measure === 'cost' ? 'cost' : 'runtime';
  return {
    key: 'share', title: `Share of ${what}`, description: `The group's part of the ${what} of all groups in the range, in percent`,
    value: (t) => (whole > 0 ? (t.measure(measure) / whole) * 100 : 0), format: formatShare, ofRow: () => undefined,
  };
}

/**
 * Each group's change in the measure since the previous range: sorted by the amount, shown
 * with the percent. A bucket's row has none (its bucket is not in the previous range).
 */
function changeColumn(results: Results, comparison: Comparison, measure: Measure): Column {
  const before = previousTotalsOf(results, comparison.previous);
  const previous = (t: Totals) => before.get(t) ?? new Totals();
  const what = measure === 'cost' ? 'cost' : 'runtime';
  return {
    key: 'change', title: `Change of ${what}`,
    description: `The group's ${what} less its ${what} from ${comparison.start} to ${comparison.end}, the range of equal length before, and that as a percent of it`,
    value: (t) => t.measure(measure) - previous(t).measure(measure), format: measure === 'cost' ? formatCost : formatHours, ofRow: () => undefined,
    text: (t) => changeText(t, previous(t), measure),
  };
}

function numberColumns(stats: string[]): Column[] {
  const cols: Column[] = [
    { key: 'count', title: COUNT_TITLE, description: COUNT_DESCRIPTION, value: (t) => t.count, format: formatCount, ofRow: (r) => r.count },
    {
      key: 'runtime', title: 'Runtime', description: 'Total runtime of the group\'s usage records in the range',
      value: (t) => t.runtime, format: formatHours, ofRow: (r) => r.runtimeInSeconds?.sum,
    },
    {
      key: 'cost', title: 'Cost', description: 'Total cost of the group\'s usage records in the range',
      value: (t) => t.cost, format: formatCost, ofRow: (r) => r.costInUsd?.sum,
    },
  ];
  // MIN, MAX, AVG over a group's buckets follow exactly from the rows' (avg = sum / count).
  const ofGroup: Record<string, (t: Totals, cost: boolean) => number> = {
    MIN: (t, cost) => (cost ? t.costMin : t.runtimeMin),
    MAX: (t, cost) => (cost ? t.costMax : t.runtimeMax),
    AVG: (t, cost) => (t.count ? (cost ? t.cost : t.runtime) / t.count : 0),
  };
  for (const m of ['runtime', 'cost'] as const) {
    const cost = m === 'cost';
    for (const s of stats) {
      const group = ofGroup[s];
      if (!group) continue;
      const stat = s.toLowerCase() as 'min' | 'max' | 'avg';
      cols.push({
        key: `${m}-${stat}`, title: `${cost ? 'Cost' : 'Runtime'} ${stat}`, description: STAT_DESCRIPTION[s]!(m), value: (t) => group(t, cost),
        format: cost ? formatCost : formatHours, ofRow: (r) => (cost ? r.costInUsd : r.runtimeInSeconds)?.[stat],
      });
    }
  }
  return cols;
}

/**
 * The columns in a phone's order: Cost first, what a producer reads first, and on a phone
 * the only number in view before the table is scrolled sideways.
 */
function costFirst(cols: Column[]): Column[] {
  return [...cols.filter((c) => c.key === 'cost'), ...cols.filter((c) => c.key !== 'cost')];
}

/**
 * The note under the table, a line per term: what the record count counts, and what the
 * statistics picked are taken over (a header's tooltip is out of reach on a phone).
 */
function tableNote(stats: string[]): [string, string][] {
  const lines: [string, string][] = [[
    COUNT_TITLE,
    'each usage record (a session\'s compute, and each license it used) counts once in every bucket it overlaps: '
      + 'a session running past midnight counts twice by day and once by month, so the number changes with the period.',
  ]];
  const extremes = ['MIN', 'MAX'].filter((s) => stats.includes(s));
  if (extremes.length) {
    const term = extremes.map((s) => s.toLowerCase()).join(' and ');
    const what = extremes.map((s) => (s === 'MIN' ? 'smallest' : 'largest')).join(' and ');
    lines.push([`${term[0]!.toUpperCase()}${term.slice(1)}`, `the ${what} single record within one bucket (its time in that bucket), over the group's buckets.`]);
  }
  if (stats.includes('AVG')) lines.push(['Avg', 'the total divided by the records counted.']);
  return lines;
}

type Sort = { column: string; descending: boolean };

/** Groups are many with JOB_ID: the table shows this many until asked for all. */
const FIRST_ROWS = 100;

export function GroupTable({ results, stats, measure, show, zone, period, comparison, running, runningBefore, onDrill }: Props) {
  const narrow = useNarrowScreen();
  const columns = useMemo(() => {
    const cols = narrow ? costFirst(numberColumns(stats)) : numberColumns(stats);
    const added = [show === 'shares' && shareColumn(results, measure), comparison && changeColumn(results, comparison, measure)].filter((c): c is Column => !!c);
    cols.splice(cols.findIndex((c) => c.key === measure) + 1, 0, ...added);
    return cols;
  }, [stats, narrow, show, measure, results, comparison]);
  const groups = useMemo(() => (comparison ? [...results.groups, ...goneGroups(results, comparison.previous)] : results.groups), [results, comparison]);
  const before = useMemo(() => comparison && previousTotalsOf(results, comparison.previous), [results, comparison]);
  /** The change cell's title for a group (or the total) whose previous runtime has some from running sessions. */
  const changeMark = (totals: Totals, part: RunningPart | undefined, whose: string) =>
    (part && part.runtime > 0 && comparison && before ? runningBeforeTitle(part, before.get(totals) ?? new Totals(), comparison, whose) : undefined);
  const [sort, setSort] = useState<Sort>({ column: measure, descending: true });
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [showAll, setShowAll] = useState(false);

  const sorted = useMemo(() => {
    const field = results.groupBy.indexOf(sort.column);
    const col = columns.find((c) => c.key === sort.column);
    const cmp = (a: Group, b: Group) =>
      field >= 0 ? a.labels[field]!.localeCompare(b.labels[field]!) : col ? col.value(a.totals) - col.value(b.totals) : 0;
    return [...groups].sort((a, b) => (sort.descending ? -cmp(a, b) : cmp(a, b)) || (a.key < b.key ? -1 : 1));
  }, [groups, results.groupBy, sort, columns]);
  const shown = showAll ? sorted : sorted.slice(0, FIRST_ROWS);

  const header = (key: string, title: string, numeric: boolean, description?: string) => {
    const active = sort.column === key;
    return (
      <th scope="col" class={numeric ? 'num' : undefined} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'} key={key}>
        <button type="button" class="sort" data-column={key} title={description} onClick={() => setSort({ column: key, descending: active ? !sort.descending : numeric })}>
          {title}
          <span aria-hidden="true" class="sort-mark">{active ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };
  const toggle = (key: string) => setOpen((o) => {
    const next = new Set(o);
    if (!next.delete(key)) next.add(key);
    return next;
  });
  const width = results.groupBy.length + columns.length + 1;

  return (
    <>
      <div class="table-scroll">
        <table class="groups" aria-label={`Groups (${results.groups.length}), with totals`} aria-describedby="table-note" data-groups={results.groups.length}>
          <thead>
            <tr>
              <th scope="col"><span class="visually-hidden">Buckets</span></th>
              {results.groupBy.map((f) => header(f, FIELD_TITLE[f] ?? f, false))}
              {columns.map((c) => header(c.key, c.title, true, c.description))}
            </tr>
          </thead>
          <tbody>
            {shown.map((g) => {
              const part = running?.groups.get(g.key);
              const last = g.labels.length - 1;
              return (
              <Fragment key={g.key}>
                <tr class="group-row" data-key={g.key} data-running={part?.runtime} title={part && runningTitle(part, g.totals)}>
                  <td>
                    {g.rows.length > 0 && <button type="button" class="disclose" aria-expanded={open.has(g.key)} aria-label={`${open.has(g.key) ? 'Hide' : 'Show'} the ${g.rows.length} buckets of ${g.label}`} onClick={() => toggle(g.key)}>
                      {open.has(g.key) ? '▾' : '▸'}
                    </button>}
                  </td>
                  {g.labels.map((label, i) => (
                    <th scope="row" class={part && i === last ? 'group-cell running-marked' : 'group-cell'} key={i} title={part && i === last ? runningTitle(part, g.totals) : g.values[i]}>
                      {i === drillField(results, g) ? (
                        <button type="button" class="drill" onClick={() => onDrill(g)} title={`Drill into ${g.drill!.name}`}>{label}</button>
                      ) : label}
                    </th>
                  ))}
                  {columns.map((c) => (
                    <NumberCell column={c} totals={g.totals} key={c.key} running={c.key === 'change' ? changeMark(g.totals, runningBefore?.groups.get(g.key), 'this group\'s') : undefined} />
                  ))}
                </tr>
                {open.has(g.key) && (
                  <tr class="detail-row">
                    <td colSpan={width}>
                      <BucketTable group={g} columns={columns} zone={zone} period={period} running={running?.buckets.get(g.key)} />
                    </td>
                  </tr>
                )}
              </Fragment>
              );
            })}
          </tbody>
          <tfoot>
            <tr class="totals-row">
              <td />
              <th scope="row" colSpan={results.groupBy.length}>
                All {formatCount(results.groups.length)} groups{groups.length > results.groups.length ? `, and ${formatCount(groups.length - results.groups.length)} gone since the range before` : ''}
              </th>
              {columns.map((c) => (
                <NumberCell column={c} totals={results.totals} key={c.key} running={c.key === 'change' ? changeMark(results.totals, runningBefore?.total, 'the') : undefined} />
              ))}
            </tr>
          </tfoot>
        </table>
        {sorted.length > shown.length && (
          <button type="button" class="more" onClick={() => setShowAll(true)}>Show all {formatCount(sorted.length)} groups</button>
        )}
      </div>
      <div id="table-note" class="table-note">
        {tableNote(stats).map(([term, text]) => <p key={term}><strong>{term}:</strong> {text}</p>)}
      </div>
    </>
  );
}

/**
 * A group's (or the grand total's) number in a column; a group gone since the previous range
 * has no min or max now. `running`: the cell is marked, and that is its title.
 */
function NumberCell({ column, totals, running }: { column: Column; totals: Totals; running?: string }) {
  const value = column.value(totals);
  const text = column.text ? column.text(totals) : Number.isFinite(value) ? column.format(value) : '';
  return <td class={running ? 'num running-marked' : 'num'} data-column={column.key} data-value={value} title={running} key={column.key}>{text}</td>;
}

/** Which label of a group is its queue or fleet (the one that drills). */
function drillField(results: Results, g: Group): number {
  if (!g.drill) return -1;
  return results.groupBy.indexOf(g.drill.kind === 'queues' ? 'QUEUE_ID' : 'FLEET_ID');
}

/** A group's buckets, one row each; a bucket with runtime from running sessions (`running`, by bucket start) is marked. */
/** One API row's totals. */
function rowTotals(row: Statistics): Totals {
  const t = new Totals();
  t.add(row);
  return t;
}

function BucketTable({ group, columns, zone, period, running }: { group: Group; columns: Column[]; zone: TimeZone; period: Period | ''; running?: ReadonlyMap<number, RunningPart> }) {
  return (
    <table class="buckets" aria-label={`Buckets of ${group.label}`}>
      <thead>
        <tr>
          <th scope="col">Bucket</th>
          {columns.map((c) => <th scope="col" class="num" key={c.key} title={c.description}>{c.title}</th>)}
        </tr>
      </thead>
      <tbody>
        {group.rows.map((r) => {
          const start = r.aggregationStartTime!.getTime();
          const part = running?.get(start);
          const title = part && runningTitle(part, rowTotals(r), 'this bucket\'s runtime');
          return (
            <tr key={start} data-start={r.aggregationStartTime!.toISOString()} data-running={part?.runtime} title={title}>
              <th scope="row" class={part ? 'running-marked' : undefined}>{bucketLabel(start, zone, period)}</th>
              {columns.map((c) => {
                const v = c.ofRow(r);
                return <td class="num" data-column={c.key} data-value={v} key={c.key}>{v === undefined ? '' : c.format(v)}</td>;
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
