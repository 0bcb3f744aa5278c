// The explorer's query: what the controls hold, how it lives in the URL (the scheme of
// src/domain/explorer-link.ts, shared with `farmtally demo`), the date range presets, and the checks made before
// anything is sent. Dates and times without an offset mean the query's time zone
// (parseLocalTime, the same function the CLI uses).
import { MAX_AGGREGATION_RESOURCES, STRICT_MAX_GROUP_BY } from '../domain/aggregation-limits.js';
import { GROUP_BY_FIELDS, STATISTICS } from '../domain/aggregation-rules.js';
import { PERIODS, type Period } from '../domain/buckets.js';
import { explorerSearch } from '../domain/explorer-link.js';
import { filtersFromParams, requestGroupBy, type Filter } from './filters.js';
import { parseLocalTime } from '../domain/local-time.js';
import { formatOffsetName, offsetMsAt, parseTimezone, type TimeZone } from '../domain/timezone.js';

export type ResourceKind = 'queues' | 'fleets';
export type Measure = 'cost' | 'runtime';
/** The measure's amounts, or each group's share of them in percent. */
export type Show = 'amounts' | 'shares';

export { GROUP_BY_FIELDS, MAX_AGGREGATION_RESOURCES, PERIODS, STATISTICS, STRICT_MAX_GROUP_BY };

export interface Query {
  farm: string;
  kind: ResourceKind;
  ids: string[];
  /** Local date or date-time in `tz`, inclusive. */
  start: string;
  /** Local date or date-time in `tz`, exclusive. */
  end: string;
  /** '' is one bucket over the whole range. */
  period: Period | '';
  tz: string;
  groupBy: string[];
  /** Always holds SUM: the chart stacks sums and the table adds them up. */
  stats: string[];
  measure: Measure;
  show: Show;
  /** Only usage with these group-by values (the URL's `filter`s). */
  filters: Filter[];
  /** Also run over the range of equal length just before, and show each group's change (the URL's `compare=previous`). */
  compare: boolean;
  /**
   * The view this one was drilled from, as its query string without the `?` (the URL's
   * `from`): the breadcrumb's way back, kept in the URL so a shared link keeps the path.
   */
  from?: string;
}

/** Controls an error can be shown beside (ids of their error slots in the page). */
export type Control = 'farm' | 'resources' | 'start' | 'end' | 'period' | 'tz' | 'groupBy' | 'stats' | 'general';
export type FieldErrors = Partial<Record<Control, string>>;

const list = (text: string | null) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** `SUM` first, then the others in the model's order, each once. */
export function normalizeStats(stats: readonly string[]): string[] {
  const upper = new Set(stats.map((s) => s.toUpperCase()));
  return STATISTICS.filter((s) => s === 'SUM' || upper.has(s));
}

/** The query a URL names, the defaults standing in for what it leaves out. */
export function queryFromUrl(search: string, defaults: Query): Query {
  const p = new URLSearchParams(search);
  const fleets = p.get('fleets');
  const kind: ResourceKind = fleets !== null && p.get('queues') === null ? 'fleets' : p.get('queues') !== null ? 'queues' : defaults.kind;
  const period = (p.get('period') ?? '').toUpperCase();
  const measure = p.get('measure');
  const show = p.get('show');
  return {
    farm: p.get('farm') ?? defaults.farm,
    kind,
    ids: p.has('queues') || p.has('fleets') ? list(kind === 'queues' ? p.get('queues') : fleets) : defaults.ids,
    start: p.get('start') ?? defaults.start,
    end: p.get('end') ?? defaults.end,
    // A URL without `period` asks for one bucket, once it names a query at all.
    period: p.has('period') || isQuery(search) ? ((PERIODS as readonly string[]).includes(period) ? (period as Period) : '') : defaults.period,
    tz: p.get('tz') ?? defaults.tz,
    groupBy: p.has('groupBy') ? list(p.get('groupBy')).map((g) => g.toUpperCase()) : defaults.groupBy,
    stats: normalizeStats(p.has('stats') ? list(p.get('stats')) : defaults.stats),
    measure: measure === 'runtime' || measure === 'cost' ? measure : defaults.measure,
    show: show === 'amounts' || show === 'shares' ? show : defaults.show,
    filters: p.has('filter') ? filtersFromParams(p, GROUP_BY_FIELDS) : defaults.filters,
    compare: p.has('compare') ? p.get('compare') === 'previous' : defaults.compare,
    ...(p.get('from') && { from: p.get('from')! }),
  };
}

/** Whether the URL names a query to run: it names a farm (the defaults stand in for the rest). */
export function isQuery(search: string): boolean {
  return new URLSearchParams(search).has('farm');
}

/** The URL's query string for a query, every parameter spelled out (a link reproduces the view). */
export function queryToSearch(q: Query): string {
  return `${explorerSearch({ ...q, compare: q.compare ? 'previous' : undefined })}${q.from ? `&from=${encodeURIComponent(q.from)}` : ''}`;
}

/** The browser's own zone as the server takes it: its IANA name, or in strict mode its current offset. */
export function browserZone(strict: boolean, now = Date.now()): string {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!strict) return name || 'UTC';
  const offset = -new Date(now).getTimezoneOffset();
  return offset % 30 === 0 && Math.abs(offset) < 20 * 60 ? formatOffsetName(offset) : 'UTC+00:00';
}

/** The zone choices offered: the model's fixed offsets, and where the server takes them `UTC` and IANA names. */
export function zoneChoices(strict: boolean): string[] {
  const offsets: string[] = [];
  for (let m = -12 * 60; m <= 14 * 60; m += 30) offsets.push(formatOffsetName(m));
  if (strict) return offsets;
  const names = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...offsets, ...names];
}

/** The named ranges, a whole calendar year (`year-2025`: what a link to a past year is), or custom dates. */
export type Preset = NamedPreset | YearPreset | 'custom';
type NamedPreset = 'last7' | 'last30' | 'thisMonth' | 'lastMonth' | 'thisQuarter' | 'thisYear';
type YearPreset = `year-${number}`;

export const PRESETS: [Preset, string][] = [
  ['last7', 'Last 7 days'], ['last30', 'Last 30 days'], ['thisMonth', 'This month'], ['lastMonth', 'Last month'],
  ['thisQuarter', 'This quarter'], ['thisYear', 'This year'], ['custom', 'Custom'],
];

const YEAR_PRESET = /^year-\d{4}$/;
const isYear = (p: Preset): p is YearPreset => YEAR_PRESET.test(p);

/**
 * The picker's choices: the named ranges, and when the range is a calendar year other than
 * this one, that year too (before Custom), so a link to last year's usage reads as such.
 */
export function presetChoices(shown: Preset): [Preset, string][] {
  return isYear(shown) ? [...PRESETS.slice(0, -1), [shown, `Year ${shown.slice(5)}`], PRESETS.at(-1)!] : PRESETS;
}

const pad = (n: number) => String(n).padStart(2, '0');
const dateText = (y: number, m: number, d: number) => {
  const t = new Date(Date.UTC(y, m - 1, d));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
};

/** A preset's range as local dates in the zone, the end exclusive (so "last 7 days" ends tomorrow at 00:00, today included). */
export function presetRange(preset: Exclude<Preset, 'custom'>, zone: TimeZone, now = Date.now()): { start: string; end: string } {
  const wall = new Date(now + offsetMsAt(zone, now));
  const y = wall.getUTCFullYear();
  const m = wall.getUTCMonth() + 1;
  const d = wall.getUTCDate();
  if (isYear(preset)) {
    const year = Number(preset.slice(5));
    return { start: dateText(year, 1, 1), end: dateText(year + 1, 1, 1) };
  }
  switch (preset) {
    case 'last7':
      return { start: dateText(y, m, d - 6), end: dateText(y, m, d + 1) };
    case 'last30':
      return { start: dateText(y, m, d - 29), end: dateText(y, m, d + 1) };
    case 'thisMonth':
      return { start: dateText(y, m, 1), end: dateText(y, m + 1, 1) };
    case 'lastMonth':
      return { start: dateText(y, m - 1, 1), end: dateText(y, m, 1) };
    case 'thisQuarter': {
      const first = m - ((m - 1) % 3);
      return { start: dateText(y, first, 1), end: dateText(y, first + 3, 1) };
    }
    case 'thisYear':
      return { start: dateText(y, 1, 1), end: dateText(y + 1, 1, 1) };
  }
}

/**
 * The preset a range is, today: a named range, else a whole calendar year, else custom.
 * Ranges are compared as instants in the zone, so dates typed by hand, a link's dates, and
 * the same dates with times of day (2025-01-01T00:00) are the preset whose range they are.
 */
export function presetOf(start: string, end: string, zone: TimeZone | undefined, now = Date.now()): Preset {
  if (!zone) return 'custom';
  const [from, until] = [parseLocalTime(start, zone), parseLocalTime(end, zone)];
  if (from === undefined || until === undefined) return 'custom';
  for (const [preset] of PRESETS) {
    if (preset === 'custom') continue;
    const range = presetRange(preset, zone, now);
    if (parseLocalTime(range.start, zone) === from && parseLocalTime(range.end, zone) === until) return preset;
  }
  const year: YearPreset = `year-${new Date(from + offsetMsAt(zone, from)).getUTCFullYear()}`;
  if (!isYear(year)) return 'custom'; // a year of other than four digits has no date form to link to
  const whole = presetRange(year, zone, now);
  return parseLocalTime(whole.start, zone) === from && parseLocalTime(whole.end, zone) === until ? year : 'custom';
}

/** The zone a query's text names, read the lenient way (the server judges strictness itself). */
export function zoneOf(tz: string): TimeZone | undefined {
  const zone = parseTimezone(tz.trim(), false);
  return 'error' in zone ? undefined : zone;
}

/** StartSessionsStatisticsAggregation's input for a query. */
export interface StartInput {
  farmId: string;
  resourceIds: { queueIds: string[] } | { fleetIds: string[] };
  startTime: Date;
  endTime: Date;
  timezone: string;
  period?: Period;
  groupBy: string[];
  statistics: string[];
}

const TIME_HINT = 'a date such as 2025-01-01, or a date and time such as 2025-01-01T08:00';

/** What the page checks itself before sending: what it can say better than the API (an end before the start, a date it cannot read). */
export function checkQuery(q: Query, maxGroupBy: number = GROUP_BY_FIELDS.length): { input: StartInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const groupBy = requestGroupBy(q.groupBy, q.filters);
  if (groupBy.length > maxGroupBy) errors.groupBy = filterRoomText(q, maxGroupBy);
  if (!q.farm) errors.farm = 'Pick a farm.';
  if (q.ids.length === 0) errors.resources = `Pick at least one ${q.kind === 'queues' ? 'queue' : 'fleet'}.`;
  else if (q.ids.length > MAX_AGGREGATION_RESOURCES) errors.resources = `Pick at most ${MAX_AGGREGATION_RESOURCES} ${q.kind}: the API takes ${MAX_AGGREGATION_RESOURCES} at a time.`;
  if (q.groupBy.length === 0) errors.groupBy = 'Pick a field to group by.';
  const zone = zoneOf(q.tz);
  if (!zone) errors.tz = `"${q.tz}" is not a time zone: use UTC, an offset such as UTC+08:00, or a name such as America/New_York.`;
  const start = zone ? parseLocalTime(q.start, zone) : undefined;
  const end = zone ? parseLocalTime(q.end, zone) : undefined;
  if (zone && start === undefined) errors.start = q.start ? `"${q.start}" is not a date: use ${TIME_HINT}.` : `Give a start: ${TIME_HINT}.`;
  if (zone && end === undefined) errors.end = q.end ? `"${q.end}" is not a date: use ${TIME_HINT}.` : `Give an end: ${TIME_HINT}.`;
  if (start !== undefined && end !== undefined && end <= start) {
    errors.end = end === start
      ? `The end is the same as the start (${q.start}): the range would be empty. Pick an end after the start.`
      : `The end (${q.end}) is before the start (${q.start}). Pick an end after the start.`;
  }
  if (Object.keys(errors).length) return { errors };
  return {
    input: {
      farmId: q.farm,
      resourceIds: q.kind === 'queues' ? { queueIds: q.ids } : { fleetIds: q.ids },
      startTime: new Date(start!),
      endTime: new Date(end!),
      timezone: q.tz.trim(),
      ...(q.period && { period: q.period }),
      groupBy,
      statistics: q.stats,
    },
  };
}

/**
 * The range of equal length just before the input's, as instants: a comparison's other
 * run. Measured in milliseconds, not calendar units, so a 30-day range is compared with
 * the 30 days before it whatever the months (a range across a change of offset keeps its
 * hours, and its previous range's bounds move by that hour on the clock).
 */
export function previousInput(input: StartInput): StartInput {
  const length = input.endTime.getTime() - input.startTime.getTime();
  return { ...input, startTime: new Date(input.startTime.getTime() - length), endTime: input.startTime };
}

/**
 * Why the filters do not fit: a filter on a field not grouped by takes a group-by field of
 * the request, and the server takes `maxGroupBy` (2 in strict mode).
 */
export function filterRoomText(q: Pick<Query, 'groupBy' | 'filters'>, maxGroupBy: number): string {
  return `This server groups by at most ${maxGroupBy} fields, and a filter on a field not grouped by needs one of them `
    + `(here ${requestGroupBy(q.groupBy, q.filters).length}): group by the filter's field, or by fewer fields, or remove a filter.`;
}

/** An instant as the form writes it in the zone: a date, or a date and time when not at midnight (`2025-03-01`, `2025-03-01T08:00`). */
export function localText(at: Date, zone: TimeZone): string {
  const wall = new Date(at.getTime() + offsetMsAt(zone, at.getTime())).toISOString();
  return wall.slice(11, 16) === '00:00' ? wall.slice(0, 10) : wall.slice(0, 16);
}

/** The control an API fieldList name points at (`resourceIds.queueIds.2` → the resource picker). */
export function controlOfField(name: string): Control {
  const head = name.split('.')[0];
  const map: Record<string, Control> = {
    farmId: 'farm', resourceIds: 'resources', startTime: 'start', endTime: 'end',
    period: 'period', timezone: 'tz', groupBy: 'groupBy', statistics: 'stats',
  };
  return map[head ?? ''] ?? 'general';
}
