/** Pure statistics for trust evidence: Wilson lower bounds on success rates, Brier score and calibration tables. */

/** z for a 95% two-sided interval. */
const Z95 = 1.959963984540054;

/** Slack for bin assignment, so that e.g. 0.57 * 100 = 56.99999999999999 still lands in bin 57. */
const BIN_EPSILON = 1e-9;

/** A success rate with its Wilson lower bound; `rate` and `lower` are null when there were no trials. */
export interface Rate {
  readonly successes: number;
  readonly trials: number;
  readonly rate: number | null;
  readonly lower: number | null;
}

/** A stated confidence in [0, 1] and what actually happened (1 = success). */
export interface Labelled {
  readonly confidence: number;
  readonly outcome: 0 | 1;
}

/** One bin of a reliability table: confidences in [from, to) (the last bin also holds 1). */
export interface ReliabilityBin {
  readonly bin: number;
  readonly from: number;
  readonly to: number;
  /** Mean stated confidence of the bin's points, or null when the bin is empty. */
  readonly meanConfidence: number | null;
  /** Share of the bin's points that succeeded, or null when the bin is empty. */
  readonly observedRate: number | null;
  readonly count: number;
}

function checkCounts(successes: number, trials: number): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials))
    throw new RangeError(`counts must be integers, got ${successes}/${trials}`);
  if (successes < 0 || trials < 0)
    throw new RangeError(`counts must not be negative, got ${successes}/${trials}`);
  if (successes > trials) throw new RangeError(`successes ${successes} exceed trials ${trials}`);
}

function checkZ(z: number): void {
  if (!Number.isFinite(z) || z <= 0) throw new RangeError(`z must be a positive finite number, got ${z}`);
}

function checkBins(bins: number): void {
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`bins must be a positive integer, got ${bins}`);
}

function checkPoint(point: Labelled): void {
  const { confidence, outcome } = point;
  if (Number.isNaN(confidence) || confidence < 0 || confidence > 1)
    throw new RangeError(`confidence must be in [0, 1], got ${confidence}`);
  if (outcome !== 0 && outcome !== 1) throw new RangeError(`outcome must be 0 or 1, got ${String(outcome)}`);
}

/**
 * Wilson score interval lower bound at `z` (default 1.959963984540054, 95% two-sided):
 * (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n). Null when `trials` is 0.
 * @throws RangeError on negative or non-integer counts, successes > trials, or a non-positive z.
 */
export function wilsonLowerBound(successes: number, trials: number, z: number = Z95): number | null {
  checkCounts(successes, trials);
  checkZ(z);
  if (trials === 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const spread = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  const lower = (centre - spread) / (1 + z2 / trials);
  return Math.min(p, Math.max(0, lower));
}

/** The observed rate `successes / trials` with its Wilson lower bound; both null when `trials` is 0. */
export function rateOf(successes: number, trials: number, z: number = Z95): Rate {
  const lower = wilsonLowerBound(successes, trials, z);
  return { successes, trials, rate: trials === 0 ? null : successes / trials, lower };
}

/**
 * Mean squared error of confidence against outcome; null for no points.
 * @throws RangeError on a confidence outside [0, 1] (or NaN) or an outcome other than 0/1.
 */
export function brierScore(points: readonly Labelled[]): number | null {
  if (points.length === 0) return null;
  let sum = 0;
  for (const point of points) {
    checkPoint(point);
    sum += (point.confidence - point.outcome) ** 2;
  }
  return sum / points.length;
}

/** The bin a confidence falls in, robust to floating point error at the bin edges. */
function binOf(confidence: number, bins: number): number {
  return Math.min(bins - 1, Math.floor(confidence * bins + BIN_EPSILON));
}

/**
 * `bins` (default 10) equal-width bins over [0, 1]; bin i holds confidences in [i/bins, (i+1)/bins),
 * the last bin also holds 1. Always returns all bins (empty ones with count 0 and nulls).
 * @throws RangeError on a bad point or a bin count that is not a positive integer.
 */
export function reliabilityTable(points: readonly Labelled[], bins = 10): ReliabilityBin[] {
  checkBins(bins);
  const counts = new Array<number>(bins).fill(0);
  const confidenceSums = new Array<number>(bins).fill(0);
  const successSums = new Array<number>(bins).fill(0);
  for (const point of points) {
    checkPoint(point);
    const b = binOf(point.confidence, bins);
    counts[b] = (counts[b] ?? 0) + 1;
    confidenceSums[b] = (confidenceSums[b] ?? 0) + point.confidence;
    successSums[b] = (successSums[b] ?? 0) + point.outcome;
  }
  return counts.map((count, bin) => ({
    bin,
    from: bin / bins,
    to: (bin + 1) / bins,
    meanConfidence: count === 0 ? null : (confidenceSums[bin] ?? 0) / count,
    observedRate: count === 0 ? null : (successSums[bin] ?? 0) / count,
    count,
  }));
}

/**
 * Expected calibration error: Σ (count_b / n) · |meanConfidence_b − observedRate_b| over the
 * non-empty bins of {@link reliabilityTable}; null for no points.
 */
export function expectedCalibrationError(points: readonly Labelled[], bins = 10): number | null {
  const table = reliabilityTable(points, bins);
  if (points.length === 0) return null;
  let sum = 0;
  for (const { count, meanConfidence, observedRate } of table) {
    if (count === 0 || meanConfidence === null || observedRate === null) continue;
    sum += (count / points.length) * Math.abs(meanConfidence - observedRate);
  }
  return sum;
}
