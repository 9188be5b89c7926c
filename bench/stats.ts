/** Small numeric helpers for the benchmarks: latency percentiles and a seeded random generator. */

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Percentiles (nearest rank) of durations in nanoseconds, returned in microseconds. */
export function summarizeNs(durations: Float64Array): LatencySummary {
  const sorted = Float64Array.from(durations).sort();
  const at = (p: number) =>
    (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0) / 1e3;
  let sum = 0;
  for (const d of sorted) sum += d;
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: (sorted[sorted.length - 1] ?? 0) / 1e3,
    mean: sorted.length === 0 ? 0 : sum / sorted.length / 1e3,
  };
}

export type Random = () => number;

/** mulberry32: a tiny deterministic PRNG, so every run generates the same bundles and requests. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** An integer in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Pick by weight: `[[0.45, 'allow'], [0.4, 'escalate'], [0.15, 'deny']]`. */
export function weighted<T>(random: Random, choices: readonly (readonly [number, T])[]): T {
  const total = choices.reduce((sum, [weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [weight, value] of choices) {
    roll -= weight;
    if (roll < 0) return value;
  }
  const last = choices[choices.length - 1];
  if (last === undefined) throw new Error('weighted pick from no choices');
  return last[1];
}
