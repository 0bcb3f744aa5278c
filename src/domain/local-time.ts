// Dates and times as people type them for a query (the CLI's --start, the page's date
// fields): with an offset or `Z` they name an instant; without one they are local to the
// query's time zone, so `--start 2025-01-01 --timezone UTC+08:00` starts at local midnight,
// the first bucket whole.
import { instantOfWall } from './buckets.js';
import { daysInMonth, parseIsoTimestamp } from './iso-time.js';
import { offsetMsAt, type TimeZone } from './timezone.js';

const LOCAL_FORM = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/** The wall-clock time a local form names (as if it were UTC), or undefined for another form or an impossible date. */
function wallOf(text: string): number | undefined {
  const m = LOCAL_FORM.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/**
 * Epoch milliseconds, or undefined when the text is no date, date-time or ISO 8601 instant.
 * A local time that the zone skips (a daylight-saving gap) is the first instant after the
 * gap, as a bucket's start is (`skippedLocalTime` tells).
 */
export function parseLocalTime(text: string, tz: TimeZone): number | undefined {
  const trimmed = text.trim();
  if (!LOCAL_FORM.test(trimmed)) return parseIsoTimestamp(trimmed);
  const wall = wallOf(trimmed);
  return wall === undefined ? undefined : instantOfWall(tz, wall);
}

/**
 * Whether `text`, a local time, names a wall-clock time the zone skips (clocks went forward
 * over it), so `parseLocalTime` read it as the first instant after the gap.
 */
export function skippedLocalTime(text: string, tz: TimeZone): boolean {
  const wall = wallOf(text);
  if (wall === undefined) return false;
  const at = instantOfWall(tz, wall);
  return at + offsetMsAt(tz, at) !== wall;
}

/** An instant as the zone's wall clock shows it, with the offset: `2025-03-09 03:00 UTC-04:00` (seconds when not zero). */
export function formatLocalTime(epochMs: number, tz: TimeZone): string {
  const offset = offsetMsAt(tz, epochMs);
  const wall = new Date(epochMs + offset).toISOString();
  const time = wall.slice(17, 19) === '00' ? wall.slice(11, 16) : wall.slice(11, 19);
  const minutes = Math.round(offset / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${wall.slice(0, 10)} ${time} UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * An instant as ISO 8601 on the zone's wall clock with its offset, as spreadsheets and
 * scripts read it: `2025-03-09T00:00:00-05:00` (milliseconds when not zero; the offset's
 * seconds for the local mean times some zones had before about 1900).
 */
export function formatIsoLocal(epochMs: number, tz: TimeZone): string {
  const offset = offsetMsAt(tz, epochMs);
  const wall = new Date(epochMs + offset).toISOString();
  const seconds = Math.round(Math.abs(offset) / 1000);
  const hh = String(Math.floor(seconds / 3600)).padStart(2, '0');
  const mm = String(Math.floor(seconds / 60) % 60).padStart(2, '0');
  const ss = seconds % 60 ? `:${String(seconds % 60).padStart(2, '0')}` : '';
  const millis = wall.slice(19, 23) === '.000' ? '' : wall.slice(19, 23);
  return `${wall.slice(0, 19)}${millis}${offset < 0 ? '-' : '+'}${hh}:${mm}${ss}`;
}
