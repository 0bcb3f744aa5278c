// How the page writes numbers and times: costs in US dollars to the cent, runtime in hours to
// the hundredth, counts whole, and bucket times as wall-clock time in the query's zone.
import type { Period } from '../domain/buckets.js';
import { offsetMsAt, type TimeZone } from '../domain/timezone.js';
import type { Measure, Show } from './query.js';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const hours = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const formatCost = (n: number) => usd.format(n);
export const formatHours = (seconds: number) => `${hours.format(seconds / 3600)} h`;
export const formatCount = (n: number) => whole.format(n);

/** A value in the measure's chart unit (USD, or hours). */
export const formatMeasure = (value: number, measure: Measure) => (measure === 'cost' ? usd.format(value) : `${hours.format(value)} h`);

/** A share in percent, to a tenth: `37.5 %`. */
export const formatShare = (percentValue: number) => `${percent.format(percentValue)} %`;

/** A chart's value: the measure's amount, or (showing shares) a percent. */
export const formatValue = (value: number, measure: Measure, show: Show) => (show === 'shares' ? formatShare(value) : formatMeasure(value, measure));

/** Axis ticks: short (`$12K`, `1.2K h`, `40 %`). */
export const formatTick = (value: number, measure: Measure, show: Show = 'amounts') =>
  (show === 'shares' ? `${compact.format(value)} %` : measure === 'cost' ? `$${compact.format(value)}` : `${compact.format(value)} h`);

export const MEASURE_TITLE: Record<Measure, string> = { cost: 'Cost (USD)', runtime: 'Runtime (hours)' };
export const SHARE_TITLE: Record<Measure, string> = { cost: 'Share of cost (%)', runtime: 'Share of runtime (%)' };
export const valueTitle = (measure: Measure, show: Show) => (show === 'shares' ? SHARE_TITLE : MEASURE_TITLE)[measure];

const pad = (n: number) => String(n).padStart(2, '0');

/** The wall-clock fields of an instant in the zone, as a Date whose UTC fields hold them. */
export function wallClock(epochMs: number, zone: TimeZone): Date {
  return new Date(epochMs + offsetMsAt(zone, epochMs));
}

/** A bucket's start as people read it for its period: `2025-03`, `2025-03-01`, `2025-03-01 14:00`. */
export function bucketLabel(epochMs: number, zone: TimeZone, period: Period | ''): string {
  const w = wallClock(epochMs, zone);
  const date = `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}`;
  const time = `${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;
  if (period === 'MONTHLY' && w.getUTCDate() === 1 && time === '00:00') return date.slice(0, 7);
  if (period === 'WEEKLY') return `week of ${date}${time === '00:00' ? '' : ` ${time}`}`;
  if (period === 'HOURLY' || time !== '00:00') return `${date} ${time}`;
  return date;
}
