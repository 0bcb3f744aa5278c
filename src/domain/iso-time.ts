// ISO 8601 / RFC 3339 date-times as the API carries them. Input may have any number of
// fraction digits and a `Z` or `±HH:MM` offset; the value is kept as epoch milliseconds
// (digits past the millisecond are dropped, toward the past). Output is always UTC with `Z`.

/**
 * The accepted form, whole (anchored), with its groups: year, month, day, hour, minute,
 * second, fraction digits, `Z`, offset sign, offset hours, offset minutes. Exported as text
 * so the store's bulk ingest checks timestamps with this same pattern (RE2 reads it alike).
 */
export const ISO_TIMESTAMP_PATTERN = '^(\\d{4})-(\\d{2})-(\\d{2})[Tt ](\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?(?:([Zz])|([+-])(\\d{2}):(\\d{2}))$';
const ISO = new RegExp(ISO_TIMESTAMP_PATTERN);

/** Epoch milliseconds, or undefined when the text is not a valid date-time. */
export function parseIsoTimestamp(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let offsetMinutes = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  // Date.UTC maps years 0..99 to 1900..1999; the service never sees those, so refuse them.
  return year < 1000 || !Number.isFinite(utc) ? undefined : utc;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month (1-based), Gregorian leap years. Arithmetic: ingest calls it per record. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

export function formatIsoTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
