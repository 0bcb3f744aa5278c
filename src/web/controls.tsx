// The query form: farm, queues or fleets, date range with presets (in plain words: From,
// Until, and the days it counts, and whether to compare with the range before), period, time zone, group-by fields, filters (only a user, a job…), statistics and
// measure and whether it shows amounts or shares, with Run and Cancel (and the run's progress) in a footer that stays on screen. Each control has a label and an error slot beside it
// (`<control>-error`) that API errors and the page's own checks fill.
import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import type { Named } from './api.js';
import { FilterControls } from './filter-controls.js';
import { formatCount } from './format.js';
import { FIELD_TITLE } from './results.js';
import {
  GROUP_BY_FIELDS, MAX_AGGREGATION_RESOURCES, PERIODS, presetChoices, presetRange, STATISTICS, STRICT_MAX_GROUP_BY, zoneChoices, zoneOf,
  type Control, type FieldErrors, type Preset, type Query, type ResourceKind,
} from './query.js';

interface Props {
  query: Query;
  farms: Named[];
  queues: Named[];
  fleets: Named[];
  strict: boolean;
  preset: Preset;
  errors: FieldErrors;
  running: boolean;
  onChange(q: Query): void;
  onPreset(p: Preset): void;
  onFarm(farmId: string): void;
  onCancel(): void;
  /** The run's progress and what stopped it, shown under Run and Cancel (in view with them). */
  status: ComponentChildren;
}

const DAY_FORMAT = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Past this many hourly buckets the chart's bars are thinner than a pixel and a run takes seconds per group. */
export const MANY_HOURLY_BUCKETS = 24 * 31;

/**
 * How many hourly buckets a range makes, when that is more than a month of them: a year
 * HOURLY is 8 760 buckets per group (52 000 rows by queue and usage type, 15 s, a chart no one
 * can read), so the form says so before Run and offers DAILY. Dates read as UTC: an hour of
 * daylight saving does not matter at this size.
 */
export function manyHourlyBuckets(q: Pick<Query, 'period' | 'start' | 'end'>): number | undefined {
  if (q.period !== 'HOURLY') return undefined;
  const instant = (text: string) => Date.parse(DATE_ONLY.test(text) ? `${text}T00:00Z` : `${text}Z`);
  const hours = Math.ceil((instant(q.end) - instant(q.start)) / 3_600_000);
  return Number.isFinite(hours) && hours > MANY_HOURLY_BUCKETS ? hours : undefined;
}

/**
 * The days a range of dates counts, in words: the end date is not counted (the API's end is
 * exclusive), so the hint names the day before it. Nothing for times of day or a range that
 * is not one (the check says what is wrong with it).
 */
export function rangeHint(start: string, end: string): string | undefined {
  const day = (text: string) => {
    const at = DATE_ONLY.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
    // Not a day the calendar has (2025-02-30 from a URL): no hint, the check says why.
    return !Number.isNaN(at) && new Date(at).toISOString().startsWith(text) ? at : undefined;
  };
  const [from, until] = [day(start), day(end)];
  if (from === undefined || until === undefined || until <= from) return undefined;
  const last = until - 86_400_000;
  return last === from ? `Counts ${DAY_FORMAT.format(from)} only.` : `Counts ${DAY_FORMAT.format(from)} through ${DAY_FORMAT.format(last)}.`;
}

const PERIOD_TITLE: Record<string, string> = { '': 'One bucket (the whole range)', HOURLY: 'Hourly', DAILY: 'Daily', WEEKLY: 'Weekly', MONTHLY: 'Monthly' };

/** aria attributes tying a control to its error slot. */
const invalid = (errors: FieldErrors, control: Control) => (errors[control] ? { 'aria-invalid': true, 'aria-describedby': `${control}-error` } : {});
/** The same for a group of controls (a fieldset is described by the error, not itself invalid). */
const described = (errors: FieldErrors, control: Control) => (errors[control] ? { 'aria-describedby': `${control}-error`, class: 'field has-error' } : {});

export function FieldError({ errors, control }: { errors: FieldErrors; control: Control }) {
  return (
    <p id={`${control}-error`} class="field-error" role="alert" hidden={!errors[control]}>
      {errors[control] ?? ''}
    </p>
  );
}

function Field({ label, id, children, errors, control }: { label: string; id: string; children: ComponentChildren; errors: FieldErrors; control: Control }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      <FieldError errors={errors} control={control} />
    </div>
  );
}

export function Controls(props: Props) {
  const { query: q, errors, strict, onChange } = props;
  const set = (patch: Partial<Query>) => onChange({ ...q, ...patch });
  const zones = useMemo(() => zoneChoices(strict), [strict]);
  const items = q.kind === 'queues' ? props.queues : props.fleets;
  // IDs the URL named that the farm does not list stay visible, so they can be unticked.
  const listed = [...items, ...q.ids.filter((id) => !items.some((i) => i.id === id)).map((id) => ({ id, name: `${id} (not found)` }))];
  const withTimes = q.start.includes('T') || q.end.includes('T');
  const hourly = manyHourlyBuckets(q);
  const hint = withTimes ? undefined : rangeHint(q.start, q.end);
  const maxGroupBy = strict ? STRICT_MAX_GROUP_BY : GROUP_BY_FIELDS.length;

  const toggleId = (id: string, on: boolean) => set({ ids: on ? [...q.ids, id] : q.ids.filter((i) => i !== id) });
  const setKind = (kind: ResourceKind) => set({ kind, ids: (kind === 'queues' ? props.queues : props.fleets).slice(0, MAX_AGGREGATION_RESOURCES).map((i) => i.id) });
  const setTimes = (on: boolean) => {
    const cut = (t: string) => t.slice(0, 10);
    set(on ? { start: `${cut(q.start)}T00:00`, end: `${cut(q.end)}T00:00` } : { start: cut(q.start), end: cut(q.end) });
  };
  const setZone = (tz: string) => {
    const zone = zoneOf(tz);
    // A preset is about the zone's own calendar: moving zones moves its dates with it.
    const range = zone && props.preset !== 'custom' ? presetRange(props.preset, zone) : undefined;
    const withTime = (t: string) => (withTimes ? `${t}T00:00` : t);
    set({ tz, ...(range && { start: withTime(range.start), end: withTime(range.end) }) });
  };
  const setGroupField = (i: number, field: string) => set({ groupBy: q.groupBy.map((g, j) => (j === i ? field : g)) });

  return (
    <>
      <Field label="Farm" id="farm" errors={errors} control="farm">
        <select id="farm" value={q.farm} onChange={(e) => props.onFarm(e.currentTarget.value)} {...invalid(errors, 'farm')}>
          {props.farms.length === 0 && <option value="">(no farms yet)</option>}
          {q.farm && !props.farms.some((f) => f.id === q.farm) && <option value={q.farm}>{q.farm} (not found)</option>}
          {props.farms.map((f) => <option value={f.id} key={f.id}>{f.name}</option>)}
        </select>
      </Field>

      <fieldset class="field" {...described(errors, 'resources')}>
        <legend>Queues or fleets</legend>
        <div class="segmented">
          {(['queues', 'fleets'] as const).map((kind) => (
            <label key={kind}>
              <input type="radio" name="kind" value={kind} checked={q.kind === kind} onChange={() => setKind(kind)} />
              {kind === 'queues' ? 'Queues' : 'Fleets'}
            </label>
          ))}
        </div>
        <div class="picker-actions">
          <button type="button" class="link" onClick={() => set({ ids: items.slice(0, MAX_AGGREGATION_RESOURCES).map((i) => i.id) })}>
            {items.length > MAX_AGGREGATION_RESOURCES ? `First ${MAX_AGGREGATION_RESOURCES}` : 'All'}
          </button>
          <button type="button" class="link" onClick={() => set({ ids: [] })}>None</button>
          <span class="muted" id="picked-count">{q.ids.length} of at most {MAX_AGGREGATION_RESOURCES} picked</span>
        </div>
        <ul class="checklist" aria-describedby="picked-count">
          {listed.map((i) => {
            const on = q.ids.includes(i.id);
            return (
              <li key={i.id}>
                <label title={i.id}>
                  <input type="checkbox" name="resource" value={i.id} checked={on} disabled={!on && q.ids.length >= MAX_AGGREGATION_RESOURCES} onChange={(e) => toggleId(i.id, e.currentTarget.checked)} />
                  {i.name}
                </label>
              </li>
            );
          })}
          {listed.length === 0 && <li class="muted">This farm has no {q.kind}.</li>}
        </ul>
        <FieldError errors={errors} control="resources" />
      </fieldset>

      <fieldset class="field">
        <legend>Date range</legend>
        <label for="preset" class="visually-hidden">Range preset</label>
        <select id="preset" value={props.preset} onChange={(e) => props.onPreset(e.currentTarget.value as Preset)}>
          {presetChoices(props.preset).map(([p, title]) => <option value={p} key={p}>{title}</option>)}
        </select>
        <div class="range">
          <div>
            <label for="start">From</label>
            <input id="start" type={withTimes ? 'datetime-local' : 'date'} value={q.start} onInput={(e) => set({ start: e.currentTarget.value })} {...invalid(errors, 'start')} />
          </div>
          <div>
            <label for="end">Until (not included)</label>
            <input
              id="end" type={withTimes ? 'datetime-local' : 'date'} value={q.end} onInput={(e) => set({ end: e.currentTarget.value })}
              {...invalid(errors, 'end')} aria-describedby={[hint && 'range-hint', errors.end && 'end-error'].filter(Boolean).join(' ') || undefined}
            />
          </div>
        </div>
        {hint && <p id="range-hint" class="range-hint">{hint}</p>}
        <label class="inline">
          <input type="checkbox" id="with-times" checked={withTimes} onChange={(e) => setTimes(e.currentTarget.checked)} /> Times of day
        </label>
        <label class="inline" title="Also runs the range of equal length just before this one, and shows each group's change since then">
          <input type="checkbox" id="compare" checked={q.compare} onChange={(e) => set({ compare: e.currentTarget.checked })} /> Compare with previous period
        </label>
        <FieldError errors={errors} control="start" />
        <FieldError errors={errors} control="end" />
      </fieldset>

      <Field label="Period" id="period" errors={errors} control="period">
        <select id="period" value={q.period} onChange={(e) => set({ period: e.currentTarget.value as Query['period'] })} {...invalid(errors, 'period')}>
          {['', ...PERIODS].map((p) => <option value={p} key={p}>{PERIOD_TITLE[p]}</option>)}
        </select>
      </Field>
      {hourly !== undefined && (
        <p id="many-buckets" class="many-buckets" role="status">
          Hourly over this range makes {formatCount(hourly)} buckets for each group: the chart's bars would be thinner than a pixel, and the run slow.{' '}
          <button type="button" class="link" onClick={() => set({ period: 'DAILY' })}>Show it daily</button>
        </p>
      )}
      {/* A row of its own, the form's full width: zone names run to 30 characters
          (America/Argentina/Buenos_Aires), and beside Period even America/New_York was cut. */}
      <Field label="Time zone" id="tz" errors={errors} control="tz">
        <input id="tz" list="tz-choices" value={q.tz} autocomplete="off" spellcheck={false} onChange={(e) => setZone(e.currentTarget.value)} {...invalid(errors, 'tz')} />
        <datalist id="tz-choices">
          {zones.map((z) => <option value={z} key={z} />)}
        </datalist>
      </Field>

      <fieldset class="field" {...described(errors, 'groupBy')}>
        <legend>Group by</legend>
        {q.groupBy.map((field, i) => (
          <div class="group-by" key={i}>
            <label for={`group-by-${i}`} class="visually-hidden">{i === 0 ? 'Group by' : `Then by (field ${i + 1})`}</label>
            <span aria-hidden="true" class="muted group-by-n">{i === 0 ? 'by' : 'then'}</span>
            <select id={`group-by-${i}`} value={field} onChange={(e) => setGroupField(i, e.currentTarget.value)}>
              {GROUP_BY_FIELDS.filter((f) => f === field || !q.groupBy.includes(f)).map((f) => <option value={f} key={f}>{FIELD_TITLE[f]}</option>)}
            </select>
            {q.groupBy.length > 1 && (
              <button type="button" class="icon" aria-label={`Remove ${FIELD_TITLE[field] ?? field} from the grouping`} onClick={() => set({ groupBy: q.groupBy.filter((_, j) => j !== i) })}>×</button>
            )}
          </div>
        ))}
        {q.groupBy.length < maxGroupBy && (
          <button type="button" class="link" onClick={() => set({ groupBy: [...q.groupBy, GROUP_BY_FIELDS.find((f) => !q.groupBy.includes(f))!] })}>
            + Add a field{strict ? ' (this server takes 2)' : ''}
          </button>
        )}
        <FieldError errors={errors} control="groupBy" />
      </fieldset>

      <FilterControls query={q} queues={props.queues} fleets={props.fleets} strict={strict} onChange={(filters) => set({ filters })} />

      <fieldset class="field" {...described(errors, 'stats')}>
        <legend>Statistics</legend>
        <div class="checks">
          {STATISTICS.map((s) => (
            <label key={s} class="inline" title={s === 'SUM' ? 'Always: the chart and the totals add up sums' : undefined}>
              <input type="checkbox" name="stat" value={s} checked={q.stats.includes(s)} disabled={s === 'SUM'} onChange={(e) => set({ stats: STATISTICS.filter((x) => x === 'SUM' || (x === s ? e.currentTarget.checked : q.stats.includes(x))) })} />
              {s}
            </label>
          ))}
        </div>
        <FieldError errors={errors} control="stats" />
      </fieldset>

      <fieldset class="field">
        <legend>Measure</legend>
        <div class="segmented">
          {(['cost', 'runtime'] as const).map((m) => (
            <label key={m}>
              <input type="radio" name="measure" value={m} checked={q.measure === m} onChange={() => set({ measure: m })} />
              {m === 'cost' ? 'Cost' : 'Runtime'}
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset class="field">
        <legend>Show</legend>
        <div class="segmented">
          {(['amounts', 'shares'] as const).map((s) => (
            <label key={s}>
              <input type="radio" name="show" value={s} checked={q.show === s} onChange={() => set({ show: s })} />
              {s === 'amounts' ? 'Amounts' : 'Share (%)'}
            </label>
          ))}
        </div>
      </fieldset>

      <div class="form-foot">
        <div class="actions">
          <button type="submit" class="primary" id="run" disabled={props.running}>Run</button>
          <button type="button" id="cancel" disabled={!props.running} onClick={props.onCancel}>Cancel</button>
        </div>
        {props.status}
      </div>
    </>
  );
}
