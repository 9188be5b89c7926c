/** Reads histogram figures out of a Prometheus text exposition (just what the benchmarks need). */

export interface HistogramFigures {
  readonly count: number;
  readonly sum: number;
  /** Upper bound (`le`) → cumulative count. */
  readonly buckets: ReadonlyMap<string, number>;
}

/**
 * The figures of one histogram series, or null when it has no samples.
 * `labels` narrows to a labelled series, e.g. `route="/v1/actions"`.
 */
export function histogram(text: string, name: string, labels = ''): HistogramFigures | null {
  let count: number | null = null;
  let sum = 0;
  const buckets = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const [, series = '', labelText = '', value = ''] = match;
    if (labels !== '' && !labelText.includes(labels)) continue;
    if (series === `${name}_count`) count = Number(value);
    else if (series === `${name}_sum`) sum = Number(value);
    else if (series === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(labelText)?.[1];
      if (le !== undefined) buckets.set(le, Number(value));
    }
  }
  return count === null || count === 0 ? null : { count, sum, buckets };
}

/** Per-bucket (not cumulative) counts, as `≤1: 3, ≤2: 10, …`, leaving out empty buckets. */
export function bucketSpread(figures: HistogramFigures): string {
  let previous = 0;
  let bound = '0';
  const parts: string[] = [];
  for (const [le, cumulative] of figures.buckets) {
    const inBucket = cumulative - previous;
    previous = cumulative;
    if (inBucket > 0) parts.push(`${le === '+Inf' ? `>${bound}` : `≤${le}`}: ${inBucket}`);
    bound = le;
  }
  return parts.join(', ');
}

/** Several processes' figures of one histogram as one (same buckets); null when none has samples. */
export function mergeHistograms(all: readonly (HistogramFigures | null)[]): HistogramFigures | null {
  const present = all.filter((figures) => figures !== null);
  if (present.length === 0) return null;
  const buckets = new Map<string, number>();
  for (const figures of present) {
    for (const [le, cumulative] of figures.buckets) buckets.set(le, (buckets.get(le) ?? 0) + cumulative);
  }
  return {
    count: present.reduce((sum, figures) => sum + figures.count, 0),
    sum: present.reduce((sum, figures) => sum + figures.sum, 0),
    buckets,
  };
}
