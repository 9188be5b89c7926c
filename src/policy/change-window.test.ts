/** Tests change windows: parsing (with error messages), localTime across DST, and isInWindow incl. overnight windows. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChangeWindow, isInWindow, localTime, parseChangeWindow } from './change-window.ts';

function windowOf(text: string): ChangeWindow {
  const parsed = parseChangeWindow(text);
  if (!parsed.ok) assert.fail(`expected "${text}" to parse, got: ${parsed.message}`);
  return parsed.window;
}

const SUN = 1 << 0;
const MON = 1 << 1;
const TUE = 1 << 2;
const WED = 1 << 3;
const THU = 1 << 4;
const FRI = 1 << 5;
const SAT = 1 << 6;

describe('parseChangeWindow', () => {
  const valid: { text: string; days: number; start: number; end: number; zone: string }[] = [
    {
      text: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      days: MON | TUE | WED | THU | FRI,
      start: 540,
      end: 1020,
      zone: 'Europe/Berlin',
    },
    { text: 'daily 22:00-02:00 UTC', days: 0b1111111, start: 1320, end: 120, zone: 'UTC' },
    { text: '* 00:00-24:00', days: 0b1111111, start: 0, end: 1440, zone: 'UTC' },
    { text: 'Sat,Sun 00:00-24:00', days: SAT | SUN, start: 0, end: 1440, zone: 'UTC' },
    {
      text: 'Fri-Mon 10:30-11:45 America/New_York',
      days: FRI | SAT | SUN | MON,
      start: 630,
      end: 705,
      zone: 'America/New_York',
    },
    { text: 'Sun-Sat 08:00-09:00', days: 0b1111111, start: 480, end: 540, zone: 'UTC' },
    { text: 'Mon,Wed-Thu 23:59-00:01', days: MON | WED | THU, start: 1439, end: 1, zone: 'UTC' },
    { text: 'MON-fri 09:00-17:00', days: MON | TUE | WED | THU | FRI, start: 540, end: 1020, zone: 'UTC' },
    { text: 'Fri 22:00-02:00', days: FRI, start: 1320, end: 120, zone: 'UTC' },
    { text: '  Tue   09:00-10:00   Asia/Tokyo ', days: TUE, start: 540, end: 600, zone: 'Asia/Tokyo' },
  ];
  for (const c of valid) {
    it(`parses "${c.text}"`, () => {
      assert.deepEqual(parseChangeWindow(c.text), {
        ok: true,
        window: { text: c.text, days: c.days, startMinute: c.start, endMinute: c.end, timeZone: c.zone },
      });
    });
  }

  it('defaults to UTC when no time zone is given', () => {
    assert.equal(windowOf('Mon-Fri 09:00-17:00').timeZone, 'UTC');
  });

  const FORMAT = 'expected "<days> <HH:MM>-<HH:MM> [time zone]", e.g. "Mon-Fri 09:00-17:00 Europe/Berlin"';
  const DAYS = 'is not a set of days (e.g. Mon-Fri, Sat,Sun, daily)';
  const TIMES = 'is not a time range (e.g. 09:00-17:00; 24:00 may only end a range)';
  const invalid: { text: string; why: string }[] = [
    { text: '', why: FORMAT },
    { text: 'Mon-Fri', why: FORMAT },
    { text: 'Mon-Fri 09:00-17:00 Europe/Berlin extra', why: FORMAT },
    { text: 'Mon-Fry 09:00-17:00', why: `"Mon-Fry" ${DAYS}` },
    { text: 'Funday 09:00-17:00', why: `"Funday" ${DAYS}` },
    { text: 'Monday 09:00-17:00', why: `"Monday" ${DAYS}` },
    { text: 'Mon, 09:00-17:00', why: `"Mon," ${DAYS}` },
    { text: 'Mon- 09:00-17:00', why: `"Mon-" ${DAYS}` },
    { text: 'Mon-Tue-Wed 09:00-17:00', why: `"Mon-Tue-Wed" ${DAYS}` },
    { text: 'Mon 25:00-26:00', why: `"25:00-26:00" ${TIMES}` },
    { text: 'Mon 09:00-25:00', why: `"09:00-25:00" ${TIMES}` },
    { text: 'Mon 09:00-09:00', why: `"09:00-09:00" ${TIMES}` },
    { text: 'Mon 9:00-17:00', why: `"9:00-17:00" ${TIMES}` },
    { text: 'Mon 09:60-17:00', why: `"09:60-17:00" ${TIMES}` },
    { text: 'Mon 24:00-02:00', why: `"24:00-02:00" ${TIMES}` },
    { text: 'Mon 09:00-24:30', why: `"09:00-24:30" ${TIMES}` },
    { text: 'Mon 09:00', why: `"09:00" ${TIMES}` },
    { text: 'Mon 09:00–17:00', why: `"09:00–17:00" ${TIMES}` },
    { text: 'Mon-Fri 09:00-17:00 Mars/Olympus', why: '"Mars/Olympus" is not a known time zone' },
    { text: 'Mon-Fri 09:00-17:00 CEST+1', why: '"CEST+1" is not a known time zone' },
  ];
  for (const { text, why } of invalid) {
    it(`rejects "${text}": ${why}`, () => {
      assert.deepEqual(parseChangeWindow(text), {
        ok: false,
        message: `bad change window "${text}": ${why}`,
      });
    });
  }
});

describe('localTime', () => {
  const cases: { at: string; zone: string; day: number; minute: number; note: string }[] = [
    { at: '2026-06-08T00:00:00Z', zone: 'UTC', day: 1, minute: 0, note: 'midnight is 00:00, not 24:00' },
    { at: '2026-06-08T23:59:59Z', zone: 'UTC', day: 1, minute: 1439, note: 'seconds are dropped' },
    {
      at: '2026-06-08T22:30:00Z',
      zone: 'Asia/Tokyo',
      day: 2,
      minute: 450,
      note: 'a zone ahead moves to the next day',
    },
    {
      at: '2026-06-08T02:00:00Z',
      zone: 'America/New_York',
      day: 0,
      minute: 1320,
      note: 'a zone behind moves to the day before',
    },
    {
      at: '2026-03-29T00:59:00Z',
      zone: 'Europe/Berlin',
      day: 0,
      minute: 119,
      note: 'last minute of CET (01:59)',
    },
    {
      at: '2026-03-29T01:00:00Z',
      zone: 'Europe/Berlin',
      day: 0,
      minute: 180,
      note: 'first minute of CEST (03:00)',
    },
    {
      at: '2026-10-25T00:30:00Z',
      zone: 'Europe/Berlin',
      day: 0,
      minute: 150,
      note: '02:30 CEST, before the clocks go back',
    },
    {
      at: '2026-10-25T01:30:00Z',
      zone: 'Europe/Berlin',
      day: 0,
      minute: 150,
      note: '02:30 CET, after the clocks go back',
    },
  ];
  for (const c of cases) {
    it(`${c.at} in ${c.zone}: ${c.note}`, () => {
      assert.deepEqual(localTime(new Date(c.at), c.zone), { day: c.day, minute: c.minute });
    });
  }
});

describe('isInWindow', () => {
  const cases: { window: string; at: string; open: boolean; note: string }[] = [
    // Office hours in Berlin, winter time (UTC+1) before 2026-03-29 and summer time (UTC+2) after.
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-27T07:59:00Z',
      open: false,
      note: 'Fri 08:59 CET',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-27T08:00:00Z',
      open: true,
      note: 'Fri 09:00 CET',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-27T15:59:00Z',
      open: true,
      note: 'Fri 16:59 CET',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-27T16:00:00Z',
      open: false,
      note: 'Fri 17:00 CET: end is exclusive',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-29T08:00:00Z',
      open: false,
      note: 'Sun 10:00 CEST (DST day)',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-30T06:59:00Z',
      open: false,
      note: 'Mon 08:59 CEST',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-30T07:00:00Z',
      open: true,
      note: 'Mon 09:00 CEST',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-30T14:59:00Z',
      open: true,
      note: 'Mon 16:59 CEST',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-03-30T15:00:00Z',
      open: false,
      note: 'Mon 17:00 CEST',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-10-23T07:00:00Z',
      open: true,
      note: 'Fri 09:00 CEST',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-10-23T15:00:00Z',
      open: false,
      note: 'Fri 17:00 CEST',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-10-25T09:00:00Z',
      open: false,
      note: 'Sun 10:00 CET (DST day)',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-10-26T07:30:00Z',
      open: false,
      note: 'Mon 08:30 CET',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-10-26T08:00:00Z',
      open: true,
      note: 'Mon 09:00 CET',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Europe/Berlin',
      at: '2026-10-26T16:00:00Z',
      open: false,
      note: 'Mon 17:00 CET',
    },
    // On the DST days themselves.
    {
      window: 'daily 09:00-17:00 Europe/Berlin',
      at: '2026-03-29T06:59:00Z',
      open: false,
      note: 'Sun 08:59 CEST',
    },
    {
      window: 'daily 09:00-17:00 Europe/Berlin',
      at: '2026-03-29T07:00:00Z',
      open: true,
      note: 'Sun 09:00 CEST',
    },
    {
      window: 'daily 09:00-17:00 Europe/Berlin',
      at: '2026-10-25T07:30:00Z',
      open: false,
      note: 'Sun 08:30 CET',
    },
    {
      window: 'daily 09:00-17:00 Europe/Berlin',
      at: '2026-10-25T08:00:00Z',
      open: true,
      note: 'Sun 09:00 CET',
    },
    {
      window: 'Sun 02:00-03:00 Europe/Berlin',
      at: '2026-03-29T00:59:00Z',
      open: false,
      note: '01:59: the hour that is skipped never opens',
    },
    {
      window: 'Sun 02:00-03:00 Europe/Berlin',
      at: '2026-03-29T01:00:00Z',
      open: false,
      note: 'clocks jump to 03:00',
    },
    {
      window: 'Sun 02:00-03:00 Europe/Berlin',
      at: '2026-10-25T00:30:00Z',
      open: true,
      note: 'the first 02:30 (CEST)',
    },
    {
      window: 'Sun 02:00-03:00 Europe/Berlin',
      at: '2026-10-25T01:30:00Z',
      open: true,
      note: 'the repeated 02:30 (CET)',
    },
    // Overnight, every day.
    { window: 'daily 22:00-02:00 UTC', at: '2026-06-08T21:59:00Z', open: false, note: 'just before start' },
    { window: 'daily 22:00-02:00 UTC', at: '2026-06-08T22:00:00Z', open: true, note: 'start' },
    { window: 'daily 22:00-02:00 UTC', at: '2026-06-08T23:59:00Z', open: true, note: 'before midnight' },
    { window: 'daily 22:00-02:00 UTC', at: '2026-06-09T00:00:00Z', open: true, note: 'midnight' },
    { window: 'daily 22:00-02:00 UTC', at: '2026-06-09T01:59:00Z', open: true, note: 'after midnight' },
    { window: 'daily 22:00-02:00 UTC', at: '2026-06-09T02:00:00Z', open: false, note: 'end is exclusive' },
    { window: 'daily 22:00-02:00 UTC', at: '2026-06-09T12:00:00Z', open: false, note: 'midday' },
    // Overnight, only from Friday: the early hours belong to Saturday.
    { window: 'Fri 22:00-02:00', at: '2026-06-05T21:59:00Z', open: false, note: 'Fri 21:59' },
    { window: 'Fri 22:00-02:00', at: '2026-06-05T23:00:00Z', open: true, note: 'Fri 23:00' },
    { window: 'Fri 22:00-02:00', at: '2026-06-06T01:00:00Z', open: true, note: 'Sat 01:00 (after Friday)' },
    { window: 'Fri 22:00-02:00', at: '2026-06-06T02:00:00Z', open: false, note: 'Sat 02:00' },
    {
      window: 'Fri 22:00-02:00',
      at: '2026-06-06T23:00:00Z',
      open: false,
      note: 'Sat 23:00 (Saturday does not open)',
    },
    {
      window: 'Fri 22:00-02:00',
      at: '2026-06-07T01:00:00Z',
      open: false,
      note: 'Sun 01:00 (after Saturday)',
    },
    {
      window: 'Fri 22:00-02:00',
      at: '2026-06-05T01:00:00Z',
      open: false,
      note: 'Fri 01:00 (after Thursday)',
    },
    {
      window: 'Sat 22:00-02:00',
      at: '2026-06-07T01:00:00Z',
      open: true,
      note: 'Sun 01:00 after Saturday (week wraps)',
    },
    { window: 'Sat 22:00-02:00', at: '2026-06-08T01:00:00Z', open: false, note: 'Mon 01:00 after Sunday' },
    // Whole days.
    { window: 'Sat,Sun 00:00-24:00', at: '2026-06-05T23:59:00Z', open: false, note: 'Fri 23:59' },
    { window: 'Sat,Sun 00:00-24:00', at: '2026-06-06T00:00:00Z', open: true, note: 'Sat 00:00' },
    { window: 'Sat,Sun 00:00-24:00', at: '2026-06-06T12:00:00Z', open: true, note: 'Sat 12:00' },
    { window: 'Sat,Sun 00:00-24:00', at: '2026-06-07T23:59:00Z', open: true, note: 'Sun 23:59' },
    { window: 'Sat,Sun 00:00-24:00', at: '2026-06-08T00:00:00Z', open: false, note: 'Mon 00:00' },
    // Day ranges that wrap past Saturday.
    { window: 'Fri-Mon 09:00-17:00', at: '2026-06-05T10:00:00Z', open: true, note: 'Fri' },
    { window: 'Fri-Mon 09:00-17:00', at: '2026-06-06T10:00:00Z', open: true, note: 'Sat' },
    { window: 'Fri-Mon 09:00-17:00', at: '2026-06-07T10:00:00Z', open: true, note: 'Sun' },
    { window: 'Fri-Mon 09:00-17:00', at: '2026-06-08T10:00:00Z', open: true, note: 'Mon' },
    { window: 'Fri-Mon 09:00-17:00', at: '2026-06-09T10:00:00Z', open: false, note: 'Tue' },
    { window: 'Fri-Mon 09:00-17:00', at: '2026-06-04T10:00:00Z', open: false, note: 'Thu' },
    // No zone means UTC.
    { window: 'Mon 09:00-17:00', at: '2026-06-08T08:59:00Z', open: false, note: 'UTC 08:59' },
    { window: 'Mon 09:00-17:00', at: '2026-06-08T09:00:00Z', open: true, note: 'UTC 09:00' },
    { window: 'Mon 09:00-17:00', at: '2026-06-08T16:59:59Z', open: true, note: 'UTC 16:59:59' },
    { window: 'Mon 09:00-17:00', at: '2026-06-08T17:00:00Z', open: false, note: 'UTC 17:00' },
    {
      window: 'Mon-Fri 09:00-17:00 Asia/Tokyo',
      at: '2026-06-08T00:00:00Z',
      open: true,
      note: 'Mon 09:00 in Tokyo',
    },
    {
      window: 'Mon-Fri 09:00-17:00 Asia/Tokyo',
      at: '2026-06-07T23:59:00Z',
      open: false,
      note: 'Mon 08:59 in Tokyo',
    },
  ];
  for (const c of cases) {
    it(`"${c.window}" at ${c.at} (${c.note}) is ${c.open ? 'open' : 'closed'}`, () => {
      assert.equal(isInWindow(windowOf(c.window), new Date(c.at)), c.open);
    });
  }
});
