/** How numbers, times, hashes and levels are written in the console. */

import type { Level } from '../api/types.ts';

export const LEVEL_NAMES: Readonly<Record<Level, string>> = {
  0: 'advisory',
  1: 'assisted execution',
  2: 'conditional autonomy',
  3: 'scoped autonomy',
};

export function levelName(level: number): string {
  return LEVEL_NAMES[level as Level] ?? `level ${level}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

export function formatTime(iso: string | null | undefined): string {
  if (iso == null) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** `sha256:cf5669dc269c` from a full hash, with or without its prefix. */
export function shortHash(hash: string | null | undefined, length = 12): string {
  if (hash == null) return '—';
  const [prefix, value] = hash.includes(':') ? hash.split(':', 2) : ['', hash];
  const short = (value ?? '').slice(0, length);
  return prefix === '' ? short : `${prefix}:${short}`;
}

export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (value == null) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

export function formatPercent(value: number | null | undefined): string {
  return value == null ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** A countdown: `m:ss`, or `h:mm:ss` from an hour on; negative spans are `0:00`. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** Words for a status or effect: `pending_approval` → `pending approval`. */
export function words(value: string): string {
  return value.replaceAll('_', ' ');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
