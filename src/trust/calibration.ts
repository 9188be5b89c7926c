/** Calibrating an agent's stated confidence against observed outcomes by isotonic regression (pool-adjacent-violators). */

import { type EvidenceRecord, inScope, labelledPoints, type ScopePattern } from './evidence.ts';
import type { Labelled } from './stats.ts';

/**
 * A fitted calibration curve: knots (stated confidence → observed success rate), ascending in
 * confidence, non-decreasing in rate. Plain JSON so it can be stored in decision facts.
 */
export interface Calibrator {
  readonly knots: readonly (readonly [number, number])[];
  readonly n: number;
}

/** One pooled block of the PAV fit: weighted mean confidence, weighted mean outcome, and its weight (point count). */
export interface Block {
  readonly confidence: number;
  readonly rate: number;
  readonly weight: number;
}

/** A block under construction: sums so that pooling is exact addition. */
interface Sums {
  confidence: number;
  successes: number;
  weight: number;
}

function checkConfidence(confidence: number): void {
  if (Number.isNaN(confidence) || confidence < 0 || confidence > 1)
    throw new RangeError(`confidence must be in [0, 1], got ${confidence}`);
}

function checkPoint(point: Labelled): void {
  checkConfidence(point.confidence);
  if (point.outcome !== 0 && point.outcome !== 1)
    throw new RangeError(`outcome must be 0 or 1, got ${String(point.outcome)}`);
}

/** Whether `left` has a higher rate than `right`; compared by cross-multiplying the integer sums. */
function violates(left: Sums, right: Sums): boolean {
  return left.successes * right.weight > right.successes * left.weight;
}

/**
 * The PAV blocks behind {@link fitIsotonic}: sort by confidence, merge equal confidences into one
 * weighted block, then pool adjacent blocks (weighted) while a block's rate exceeds the next one's.
 * @throws RangeError for no points, a confidence outside [0, 1] (or NaN), or an outcome other than 0/1.
 */
export function fitBlocks(points: readonly Labelled[]): Block[] {
  if (points.length === 0) throw new RangeError('cannot fit a calibration curve to no points');
  for (const point of points) checkPoint(point);
  const sorted = [...points].sort((a, b) => a.confidence - b.confidence);
  const stack: Sums[] = [];
  let last: number | null = null;
  for (const { confidence, outcome } of sorted) {
    const top = stack.at(-1);
    if (top !== undefined && confidence === last) {
      top.confidence += confidence;
      top.successes += outcome;
      top.weight += 1;
    } else {
      stack.push({ confidence, successes: outcome, weight: 1 });
    }
    last = confidence;
    poolViolators(stack);
  }
  return stack.map((s) => ({
    confidence: s.confidence / s.weight,
    rate: s.successes / s.weight,
    weight: s.weight,
  }));
}

/** Pool the top of the stack into its predecessor while the predecessor's rate is higher. */
function poolViolators(stack: Sums[]): void {
  for (;;) {
    const right = stack.at(-1);
    const left = stack.at(-2);
    if (right === undefined || left === undefined || !violates(left, right)) return;
    stack.pop();
    left.confidence += right.confidence;
    left.successes += right.successes;
    left.weight += right.weight;
  }
}

/**
 * Fit by PAV (see {@link fitBlocks}): each block becomes a knot (weighted mean confidence, weighted
 * mean outcome); `n` is the number of points.
 * @throws RangeError for no points or a bad point.
 */
export function fitIsotonic(points: readonly Labelled[]): Calibrator {
  const knots = fitBlocks(points).map((b): readonly [number, number] => [b.confidence, b.rate]);
  return { knots, n: points.length };
}

/**
 * Map a stated confidence through the curve: linear interpolation between adjacent knots, clamped
 * to the first/last knot's rate outside them; rounded to 4 decimals.
 * @throws RangeError for a confidence outside [0, 1] (or NaN) or a model without knots.
 */
export function calibrate(model: Calibrator, confidence: number): number {
  checkConfidence(confidence);
  const { knots } = model;
  const first = knots[0];
  const final = knots.at(-1);
  if (first === undefined || final === undefined) throw new RangeError('calibrator has no knots');
  if (confidence <= first[0]) return round4(first[1]);
  if (confidence >= final[0]) return round4(final[1]);
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i] ?? final;
    if (confidence > x1) continue;
    const [x0, y0] = knots[i - 1] ?? first;
    const t = x1 > x0 ? (confidence - x0) / (x1 - x0) : 1;
    return round4(y0 + t * (y1 - y0));
  }
  return round4(final[1]);
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** A scope's curve as decisions store it: how many labelled outcomes, and the knots (null: too few). */
export interface ScopeCurve {
  readonly n: number;
  readonly knots: readonly (readonly [number, number])[] | null;
}

/**
 * The calibration curve of one scope from an agent's evidence (any scope; this keeps what falls in
 * `scope`): stated confidences are rounded to the hundredth, so at most 101 knots however many
 * outcomes; no knots with fewer than `minEvidence` labelled outcomes.
 */
export function fitScopeCurve(
  evidence: readonly EvidenceRecord[],
  scope: ScopePattern,
  minEvidence: number,
): ScopeCurve {
  const points = labelledPoints(evidence.filter((e) => inScope(scope, e))).map((p) => ({
    ...p,
    confidence: Math.round(p.confidence * 100) / 100,
  }));
  if (points.length < minEvidence) return { n: points.length, knots: null };
  return { n: points.length, knots: fitIsotonic(points).knots };
}
