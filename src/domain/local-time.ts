// Dates and times as people type them for a query (the CLI's --start, the page's date
// fields): with an offset or `Z` they name an instant; without one they are local to the
// query's time zone, so `--start 2025-01-01 --timezone UTC+08:00` starts at local midnight,
// the first bucket whole.
import { instantOfWall } from './buckets.js';
import { daysInMonth, parseIsoTimestamp } from './iso-time.js';
import type { TimeZone } from './timezone.js';

const LOCAL_FORM = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/** Epoch milliseconds, or undefined when the text is no date, date-time or ISO 8601 instant. */
export function parseLocalTime(text: string, tz: TimeZone): number | undefined {
  const trimmed = text.trim();
  const m = LOCAL_FORM.exec(trimmed);
  if (!m) return parseIsoTimestamp(trimmed);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  return instantOfWall(tz, Date.UTC(year, month - 1, day, hour, minute, second, millis));
}
