// Time zones of the statistics API (SPEC section 2, rule 6).
//
// Strict mode accepts exactly the model's form: `UTC+HH:MM` / `UTC-HH:MM`, nine characters,
// hours 00 to 19, minutes 00 or 30 (so `UTC+19:30` passes, as it does at the service).
// Non-strict mode accepts everything strict mode does, and also:
//   - `UTC` (offset 0);
//   - `UTC+8`, `UTC-3` (hours only), `UTC+5:45`, `UTC+05:45` (any minutes 00 to 59);
//     hours above 18 are refused in these extra forms (18 is the largest offset any
//     real zone has ever been given a name for; the model's own form keeps its 19);
//   - IANA names such as `Asia/Singapore` or `america/new_york`, checked by the platform's
//     Intl and kept under its canonical spelling (`US/Eastern` becomes `America/New_York`).
//     `GMT` and `Etc/GMT+5` are IANA names too (note the POSIX sign of the latter); `Z` is not
//     accepted, and neither is `GMT+8`, because the platform does not know it as a zone.
// The `UTC` prefix is case-insensitive in the extra forms, as IANA names are.

export type TimeZone = { kind: 'fixed'; offsetMinutes: number; name: string } | { kind: 'iana'; name: string };

const STRICT_FORM = /^UTC[-+][01][0-9]:(30|00)$/;
const EXTENDED_FORM = /^UTC(?:([-+])(\d{1,2})(?::(\d{2}))?)?$/i;
const MAX_EXTENDED_HOURS = 18;

export const STRICT_TIMEZONE_FORMS = 'UTC+HH:MM or UTC-HH:MM with minutes 00 or 30 (for example UTC+05:30 or UTC-03:00)';
export const TIMEZONE_FORMS =
  'UTC, UTC+H, UTC-HH:MM (hours up to 18, any minutes 00 to 59), UTC+HH:MM with minutes 00 or 30, ' +
  'or an IANA time zone name such as America/New_York';

export const UTC_ZONE: TimeZone = Object.freeze({ kind: 'fixed', offsetMinutes: 0, name: 'UTC' });

export function parseTimezone(text: string, strict: boolean): TimeZone | { error: string } {
  if (text.length === 9 && STRICT_FORM.test(text)) {
    return fixedZone(text[3] === '-' ? -1 : 1, Number(text.slice(4, 6)), Number(text.slice(7, 9)));
  }
  if (strict) return { error: `timezone ${JSON.stringify(text)} is not accepted: use ${STRICT_TIMEZONE_FORMS}` };
  const rejected = { error: `timezone ${JSON.stringify(text)} is not accepted: use ${TIMEZONE_FORMS}` };
  const m = EXTENDED_FORM.exec(text);
  if (m) {
    if (!m[1]) return UTC_ZONE;
    const hours = Number(m[2]);
    const minutes = m[3] === undefined ? 0 : Number(m[3]);
    if (hours > MAX_EXTENDED_HOURS || minutes > 59) return rejected;
    return fixedZone(m[1] === '-' ? -1 : 1, hours, minutes);
  }
  const name = canonicalIanaName(text);
  if (name === undefined) return rejected;
  // Intl canonicalises `Etc/UTC`, `GMT`, `utc` to `UTC`: that one needs no Intl at all.
  return name === 'UTC' ? UTC_ZONE : { kind: 'iana', name };
}

function fixedZone(sign: 1 | -1, hours: number, minutes: number): TimeZone {
  const offsetMinutes = sign * (hours * 60 + minutes) || 0; // `|| 0`: UTC-00:00 is not -0
  return { kind: 'fixed', offsetMinutes, name: formatOffsetName(offsetMinutes) };
}

/** `UTC+05:30`, `UTC-03:30`, `UTC+00:00`: the model's form of a whole-minute offset. */
export function formatOffsetName(offsetMinutes: number): string {
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `UTC${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

function canonicalIanaName(text: string): string | undefined {
  // Offsets in IANA spelling (`+05:30`) are left to the UTC forms above, so only names pass.
  if (!/^[A-Za-z]/.test(text)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * Minutes to add to UTC to get local wall-clock time at that instant. Usually an integer;
 * before about 1900 some zones had local mean time offsets with seconds (Singapore was
 * +06:55:25), which come out as fractions of a minute.
 */
export function offsetMinutesAt(tz: TimeZone, epochMs: number): number {
  return offsetMsAt(tz, epochMs) / 60_000;
}

/** The same offset in milliseconds: what bucket arithmetic wants. */
export function offsetMsAt(tz: TimeZone, epochMs: number): number {
  return tz.kind === 'fixed' ? tz.offsetMinutes * 60_000 : ianaOffsets(tz.name).at(epochMs);
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MAX_CACHED_SLOTS = 200_000;

// Intl costs about 5 µs a call. Offsets change rarely, so the offset is cached per UTC day
// when it is the same at both ends of the day, else per UTC hour, else asked of Intl for
// the instant itself. This assumes no zone changes its offset and changes it back within
// one day (none has in the tz database).
class IanaOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly days = new Map<number, number | null>();
  private readonly hours = new Map<number, number | null>();

  constructor(name: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  at(epochMs: number): number {
    const day = this.slot(this.days, Math.floor(epochMs / DAY_MS), DAY_MS);
    if (day !== null) return day;
    const hour = this.slot(this.hours, Math.floor(epochMs / HOUR_MS), HOUR_MS);
    return hour !== null ? hour : this.exact(epochMs);
  }

  /** The offset over the whole slot, or null when it changes inside the slot. */
  private slot(cache: Map<number, number | null>, index: number, size: number): number | null {
    let value = cache.get(index);
    if (value === undefined) {
      const first = this.exact(index * size);
      value = first === this.exact(index * size + size - 1) ? first : null;
      if (cache.size >= MAX_CACHED_SLOTS) cache.clear();
      cache.set(index, value);
    }
    return value;
  }

  private exact(epochMs: number): number {
    const wholeSecond = epochMs - (((epochMs % 1000) + 1000) % 1000);
    const f: Record<string, number> = {};
    for (const part of this.format.formatToParts(wholeSecond)) {
      if (part.type !== 'literal') f[part.type] = Number(part.value);
    }
    const wall = new Date(0);
    wall.setUTCFullYear(f.year ?? 1970, (f.month ?? 1) - 1, f.day ?? 1); // setUTCFullYear: years 0-99 stay themselves
    wall.setUTCHours((f.hour ?? 0) % 24, f.minute ?? 0, f.second ?? 0, 0);
    return wall.getTime() - wholeSecond;
  }
}

const zones = new Map<string, IanaOffsets>();

function ianaOffsets(name: string): IanaOffsets {
  let zone = zones.get(name);
  if (!zone) zones.set(name, (zone = new IanaOffsets(name)));
  return zone;
}
