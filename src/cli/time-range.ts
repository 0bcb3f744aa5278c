// --start, --end and --timezone as every command that takes a time range reads them (stats,
// sessions delete): without an offset a time is local to --timezone (UTC by default), so
// `--start 2025-01-01 --timezone UTC+08:00` is local midnight; a local time the zone skips
// (a daylight-saving gap) is read as the first instant after it, with a note saying so.
import { formatLocalTime, parseLocalTime, skippedLocalTime } from '../domain/local-time.js';
import { parseTimezone, UTC_ZONE, type TimeZone } from '../domain/timezone.js';
import { usageError } from './exit.js';

const TIME_FORMS = 'a date (2025-01-01), a local date-time (2025-01-01T08:00) or an instant with an offset (2025-01-01T00:00:00Z)';

/** --start and --end as epoch milliseconds, and the zone they were read in; a usage error of `command` otherwise. */
export function timeRange(o: { start: string; end: string; timezone?: string }, command: string): { start: number; end: number; zone: TimeZone } {
  const zone = o.timezone === undefined ? UTC_ZONE : parseTimezone(o.timezone, false);
  if ('error' in zone) usageError(`--timezone ${o.timezone}: ${zone.error}`, command);
  return { start: timeOption('--start', o.start, command, zone), end: timeOption('--end', o.end, command, zone), zone };
}

/** One time option (`--start` or `--end` given alone) as epoch milliseconds, read in `zone`; a usage error of `command` otherwise. */
export function timeOption(option: string, text: string, command: string, zone: TimeZone = UTC_ZONE): number {
  const ms = parseLocalTime(text, zone);
  if (ms === undefined) usageError(`${option} ${text} is not a time: give ${TIME_FORMS}.`, command);
  if (skippedLocalTime(text, zone)) {
    console.error(`note: ${option} ${text} does not exist in ${zone.name} (the clocks went forward over it); it was read as ${formatLocalTime(ms, zone)}, the first instant after.`);
  }
  return ms;
}
