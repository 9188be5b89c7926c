/** Reading the durable counters that policy limits need, as one transaction (or the store) sees them. */

import type { CounterQuery } from '../policy/limits.ts';
import type { StoreReader } from '../store/store.ts';

/** Read every counter the limits need; one that cannot be read is left out (the limit then fails closed). */
export async function countLimits(
  store: StoreReader,
  counters: readonly CounterQuery[],
  now: Date,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const counter of counters) {
    if (counts.has(counter.key)) continue;
    counts.set(
      counter.key,
      counter.kind === 'rate'
        ? await store.countUsage(counter.key, new Date(now.getTime() - (counter.since ?? 0)).toISOString())
        : await store.countInFlight(counter.key),
    );
  }
  return counts;
}
