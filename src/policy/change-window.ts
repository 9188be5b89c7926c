/**
 * Change windows in local time: `Mon-Fri 09:00-17:00 Europe/Berlin`, `daily 22:00-02:00 UTC`,
 * `Sat,Sun 00:00-24:00`. A window that ends before it starts runs past midnight into the next day.
 */

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface ChangeWindow {
  readonly text: string;
  /** Bit i set: the window opens on weekday i (0 = Sunday). */
  readonly days: number;
  readonly startMinute: number;
  readonly endMinute: number;
  readonly timeZone: string;
}

export type WindowParse =
  | { readonly ok: true; readonly window: ChangeWindow }
  | { readonly ok: false; readonly message: string };

const windowCache = new Map<string, WindowParse>();

export function parseChangeWindow(text: string): WindowParse {
  let parsed = windowCache.get(text);
  if (parsed === undefined) {
    parsed = parseUncached(text);
    if (windowCache.size < 1_000) windowCache.set(text, parsed);
  }
  return parsed;
}

function parseUncached(text: string): WindowParse {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3) {
    return fail(
      text,
      'expected "<days> <HH:MM>-<HH:MM> [time zone]", e.g. "Mon-Fri 09:00-17:00 Europe/Berlin"',
    );
  }
  const [daysText = '', timesText = '', timeZone = 'UTC'] = parts;
  const days = parseDays(daysText);
  if (days === null) return fail(text, `"${daysText}" is not a set of days (e.g. Mon-Fri, Sat,Sun, daily)`);
  const times = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(timesText);
  const start = times === null ? null : minuteOfDay(times[1], times[2]);
  const end = times === null ? null : minuteOfDay(times[3], times[4]);
  if (start === null || end === null || start === end || start === 1440) {
    return fail(text, `"${timesText}" is not a time range (e.g. 09:00-17:00; 24:00 may only end a range)`);
  }
  if (!isTimeZone(timeZone)) return fail(text, `"${timeZone}" is not a known time zone`);
  return { ok: true, window: { text, days, startMinute: start, endMinute: end, timeZone } };
}

function fail(text: string, why: string): WindowParse {
  return { ok: false, message: `bad change window "${text}": ${why}` };
}

function parseDays(text: string): number | null {
  const lower = text.toLowerCase();
  if (lower === 'daily' || lower === '*') return 0b1111111;
  let days = 0;
  for (const part of lower.split(',')) {
    const names = part.split('-');
    if (names.length > 2) return null;
    const [from, to] = names;
    const a = DAY_NAMES.indexOf(from as (typeof DAY_NAMES)[number]);
    const b = to === undefined ? a : DAY_NAMES.indexOf(to as (typeof DAY_NAMES)[number]);
    if (a < 0 || b < 0) return null;
    for (let d = a; ; d = (d + 1) % 7) {
      days |= 1 << d;
      if (d === b) break;
    }
  }
  return days;
}

function minuteOfDay(hours: string | undefined, minutes: string | undefined): number | null {
  const h = Number(hours);
  const m = Number(minutes);
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return null;
  return h * 60 + m;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Weekday (0 = Sunday) and minute of the day of `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): { readonly day: number; readonly minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type === 'weekday')
      day = DAY_NAMES.indexOf(part.value.toLowerCase() as (typeof DAY_NAMES)[number]);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

/** Is `at` inside the window? */
export function isInWindow(window: ChangeWindow, at: Date): boolean {
  const { day, minute } = localTime(at, window.timeZone);
  const opensOn = (d: number) => (window.days & (1 << ((d + 7) % 7))) !== 0;
  if (window.startMinute < window.endMinute) {
    return opensOn(day) && minute >= window.startMinute && minute < window.endMinute;
  }
  // Past midnight: open from start to midnight on an opening day, and until end on the day after one.
  return (opensOn(day) && minute >= window.startMinute) || (opensOn(day - 1) && minute < window.endMinute);
}
