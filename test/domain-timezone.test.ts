// Time zone parsing (strict and non-strict) and offsets. One case per line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { offsetMinutesAt, parseTimezone, type TimeZone } from '../src/domain/timezone.js';

const fixed = (offsetMinutes: number, name: string): TimeZone => ({ kind: 'fixed', offsetMinutes, name });
const iana = (name: string): TimeZone => ({ kind: 'iana', name });
const at = Date.parse;

describe('parseTimezone, strict: exactly the model form UTC[-+][01][0-9]:(30|00)', () => {
  const accepted: [string, TimeZone][] = [
    ['UTC+05:30', fixed(330, 'UTC+05:30')],
    ['UTC-03:30', fixed(-210, 'UTC-03:30')],
    ['UTC+08:00', fixed(480, 'UTC+08:00')],
    ['UTC-08:00', fixed(-480, 'UTC-08:00')],
    ['UTC+00:00', fixed(0, 'UTC+00:00')],
    ['UTC-00:00', fixed(0, 'UTC+00:00')], // no negative zero
    ['UTC+00:30', fixed(30, 'UTC+00:30')],
    ['UTC-00:30', fixed(-30, 'UTC-00:30')],
    ['UTC+14:00', fixed(840, 'UTC+14:00')],
    ['UTC+19:30', fixed(1170, 'UTC+19:30')], // the model's pattern allows it, so the service does
    ['UTC-19:00', fixed(-1140, 'UTC-19:00')],
  ];
  for (const [text, zone] of accepted) it(`accepts ${text}`, () => assert.deepEqual(parseTimezone(text, true), zone));

  const rejected = [
    'UTC', 'utc', 'GMT', 'Z', 'UTC+8', 'UTC-3', 'UTC+5:30', 'UTC+05:45', 'UTC+05:15', 'UTC+05:59', 'UTC+20:00', 'UTC+29:30',
    'utc+05:30', 'Utc+05:30', ' UTC+05:30', 'UTC+05:30 ', 'UTC+05:30\n', 'UTC+0530', 'UTC 05:30', 'UTC+05:30:00',
    'GMT+05:00', '+05:30', 'UTC\u221205:00' /* minus sign */, 'UTC+05:3\uFF10' /* full-width 0 */, 'Asia/Singapore', 'America/New_York', '',
  ];
  for (const text of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const r = parseTimezone(text, true);
      assert.ok('error' in r, JSON.stringify(r));
      assert.match(r.error, /UTC\+HH:MM or UTC-HH:MM with minutes 00 or 30/);
    });
  }
});

describe('parseTimezone, non-strict: everything strict accepts, and more', () => {
  const accepted: [string, TimeZone][] = [
    ['UTC+05:30', fixed(330, 'UTC+05:30')],
    ['UTC+19:30', fixed(1170, 'UTC+19:30')], // still accepted: non-strict only adds
    ['UTC', fixed(0, 'UTC')],
    ['utc', fixed(0, 'UTC')],
    ['UTC+8', fixed(480, 'UTC+08:00')],
    ['UTC-3', fixed(-180, 'UTC-03:00')],
    ['UTC+08', fixed(480, 'UTC+08:00')],
    ['UTC-0', fixed(0, 'UTC+00:00')],
    ['UTC+05:45', fixed(345, 'UTC+05:45')],
    ['UTC+5:45', fixed(345, 'UTC+05:45')],
    ['UTC-09:59', fixed(-599, 'UTC-09:59')],
    ['UTC+18', fixed(1080, 'UTC+18:00')],
    ['UTC-18:59', fixed(-1139, 'UTC-18:59')], // the rule is on hours: up to 18
    ['utc+5:45', fixed(345, 'UTC+05:45')],
    ['Asia/Singapore', iana('Asia/Singapore')],
    ['asia/singapore', iana('Asia/Singapore')],
    ['America/New_York', iana('America/New_York')],
    ['US/Eastern', iana('America/New_York')], // canonical name kept
    ['Europe/London', iana('Europe/London')],
    ['Etc/GMT+5', iana('Etc/GMT+5')], // POSIX sign: five hours behind UTC
    ['Etc/UTC', fixed(0, 'UTC')],
    ['GMT', fixed(0, 'UTC')],
  ];
  for (const [text, zone] of accepted) it(`accepts ${text}`, () => assert.deepEqual(parseTimezone(text, false), zone));

  const rejected = [
    'Z', 'GMT+8', 'UTC+19', 'UTC+19:45', 'UTC+20:00', 'UTC+24', 'UTC+5:60', 'UTC+5:7', 'UTC+123', 'UTC+', 'UTC+05:30:00',
    '+05:30', '-03:00', 'Mars/Olympus_Mons', 'America/New York', ' UTC', 'UTC ', '',
  ];
  for (const text of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const r = parseTimezone(text, false);
      assert.ok('error' in r, JSON.stringify(r));
      assert.match(r.error, /IANA time zone name/);
      assert.match(r.error, /UTC\+H/);
    });
  }
});

describe('offsetMinutesAt', () => {
  const zone = (text: string) => parseTimezone(text, false) as TimeZone;
  const cases: [string, string, number][] = [
    ['UTC', '2024-07-01T00:00:00Z', 0],
    ['UTC+05:30', '2024-07-01T00:00:00Z', 330],
    ['UTC-03:30', '1969-07-20T20:17:00Z', -210],
    ['America/New_York', '2024-01-15T12:00:00Z', -300],
    ['America/New_York', '2024-07-15T12:00:00Z', -240],
    ['America/New_York', '2024-03-10T06:59:59.999Z', -300], // last instant of EST
    ['America/New_York', '2024-03-10T07:00:00Z', -240], // 03:00 EDT
    ['America/New_York', '2024-11-03T05:59:59.999Z', -240], // last instant of EDT
    ['America/New_York', '2024-11-03T06:00:00Z', -300], // the second 01:00
    ['Europe/London', '2024-03-31T00:59:59.999Z', 0],
    ['Europe/London', '2024-03-31T01:00:00Z', 60],
    ['Europe/London', '2024-10-27T00:59:59.999Z', 60],
    ['Europe/London', '2024-10-27T01:00:00Z', 0],
    ['Asia/Kolkata', '2024-07-01T00:00:00Z', 330],
    ['Asia/Kathmandu', '2024-07-01T00:00:00Z', 345],
    ['Australia/Lord_Howe', '2024-01-15T00:00:00Z', 660], // half-hour daylight saving
    ['Australia/Lord_Howe', '2024-07-15T00:00:00Z', 630],
    ['Pacific/Apia', '2011-12-30T09:59:59Z', -600], // the day Samoa skipped
    ['Pacific/Apia', '2011-12-30T10:00:00Z', 840],
    ['Etc/GMT+5', '2024-07-01T00:00:00Z', -300],
    ['Asia/Singapore', '1900-01-01T00:00:00Z', 415 + 25 / 60], // local mean time +06:55:25
  ];
  for (const [text, time, expected] of cases) {
    it(`${text} at ${time} is ${expected}`, () => assert.equal(offsetMinutesAt(zone(text), at(time)), expected));
  }

  it('agrees with Intl minute by minute across transitions (the cache never hides one)', () => {
    for (const [name, around] of [['America/New_York', '2024-03-10T07:00:00Z'], ['Europe/London', '2024-10-27T01:00:00Z'], ['Australia/Lord_Howe', '2024-04-06T15:00:00Z'], ['Pacific/Apia', '2011-12-30T10:00:00Z']] as const) {
      const tz = zone(name);
      const offsetName = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
      for (let t = at(around) - 3 * 3_600_000; t <= at(around) + 3 * 3_600_000; t += 60_000 - 1) {
        const m = /GMT(?:([+-])(\d\d):(\d\d))?$/.exec(offsetName.format(t))!;
        const expected = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
        assert.equal(offsetMinutesAt(tz, t), expected, `${name} at ${new Date(t).toISOString()}`);
      }
    }
  });

  it('is fast enough for 100k calls', () => {
    const tz = zone('Europe/Paris');
    const began = performance.now();
    let x = 0;
    for (let i = 0; i < 100_000; i++) x += offsetMinutesAt(tz, at('2015-01-01T00:00:00Z') + i * 3_155_760); // ten years
    assert.ok(x > 0);
    assert.ok(performance.now() - began < 1500, `took ${performance.now() - began} ms`);
  });
});
