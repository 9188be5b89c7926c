/** Calendar freezes (airlock.yaml `freezes`): the window in force for an environment at a time. Pure. */

/** A calendar freeze: no autonomous execution from `from` to `to` in these environments. */
export interface CalendarFreeze {
  readonly from: string;
  readonly to: string;
  /** Absent: every environment. */
  readonly environments?: readonly string[] | undefined;
  readonly reason: string;
}

/**
 * The first calendar freeze in force in `environment` at `now` (from inclusive, to exclusive), as
 * a decision's freeze fact; null when none is.
 *
 * @example
 * calendarFreezeAt([{ from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00Z', reason: 'holidays' }], 'production', now);
 * // { source: 'calendar', reason: 'holidays', by: 'calendar 2026-12-20T00:00:00Z – 2027-01-04T00:00:00Z' }
 */
export function calendarFreezeAt(
  freezes: readonly CalendarFreeze[],
  environment: string,
  now: Date,
): { source: 'calendar'; reason: string; by: string } | null {
  const at = now.getTime();
  for (const window of freezes) {
    const inWindow = Date.parse(window.from) <= at && at < Date.parse(window.to);
    if (inWindow && (window.environments === undefined || window.environments.includes(environment)))
      return { source: 'calendar', reason: window.reason, by: `calendar ${window.from} – ${window.to}` };
  }
  return null;
}
