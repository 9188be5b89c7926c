/** Tests trust statistics against hand-computed values: Wilson bounds, Brier score, reliability tables and ECE. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  brierScore,
  expectedCalibrationError,
  type Labelled,
  rateOf,
  reliabilityTable,
  wilsonLowerBound,
} from './stats.ts';

const TOLERANCE = 1e-4;

const near = (actual: number | null, expected: number, tolerance = TOLERANCE): void => {
  assert.notEqual(actual, null);
  assert.ok(
    Math.abs((actual ?? Number.NaN) - expected) <= tolerance,
    `${actual} is not within ${tolerance} of ${expected}`,
  );
};

const pt = (confidence: number, outcome: 0 | 1): Labelled => ({ confidence, outcome });

const labelled = fc.record({
  confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  outcome: fc.constantFrom<0 | 1>(0, 1),
});

describe('wilsonLowerBound', () => {
  // Formula: (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964, z² = 3.841459.
  const cases: [number, number, number, string][] = [
    // p = 0: z²/20 − z·√(z²/400) = z²/20 − z²/20 = 0.
    [0, 10, 0, 'p = 0 gives exactly 0'],
    // p = 1: 1 + z²/20 − z²/20 = 1 over 1 + 3.841459/10 = 1.3841459 → 1/1.3841459 = 0.722467.
    [10, 10, 0.722467, 'ten of ten'],
    // n = 1, p = 1: 1 over 1 + 3.841459 = 4.841459 → 0.206549.
    [1, 1, 0.206549, 'one of one'],
    // p = 0.5, n = 10: 0.5 + 0.192073 − 1.959964·√(0.025 + 0.009604) = 0.5 + 0.192073 − 1.959964·0.186021
    //   = 0.692073 − 0.364594 = 0.327479; / 1.384146 = 0.236593.
    [5, 10, 0.236593, 'five of ten'],
    // p = 0.9, n = 10: 0.9 + 0.192073 − 1.959964·√(0.009 + 0.009604) = 1.092073 − 1.959964·0.136395
    //   = 1.092073 − 0.267330 = 0.824743; / 1.384146 = 0.595850.
    [9, 10, 0.59585, 'nine of ten'],
    // p = 0.9, n = 50: z²/100 = 0.038415; p(1−p)/n = 0.09/50 = 0.0018; z²/10000 = 0.000384;
    //   √0.002184 = 0.046735; ·z = 0.091599; 0.9 + 0.038415 − 0.091599 = 0.846816; / 1.076829 = 0.786398.
    [45, 50, 0.786398, 'forty-five of fifty'],
    // p = 0.81, n = 100: z²/200 = 0.019207; 0.81·0.19/100 = 0.001539; z²/40000 = 0.000096;
    //   √0.001635 = 0.040436; ·z = 0.079252; 0.81 + 0.019207 − 0.079252 = 0.749955; / 1.038415 = 0.722212.
    [81, 100, 0.722212, 'eighty-one of a hundred'],
  ];
  for (const [successes, trials, expected, why] of cases) {
    it(`(${successes}, ${trials}) ≈ ${expected} (${why})`, () =>
      near(wilsonLowerBound(successes, trials), expected));
  }

  it('is null with no trials', () => assert.equal(wilsonLowerBound(0, 0), null));

  it('takes another z: z = 1, (10, 10) → 1 / (1 + 1/10) = 0.909091', () =>
    near(wilsonLowerBound(10, 10, 1), 0.909091));

  const bad: [number, number, string][] = [
    [-1, 10, 'negative successes'],
    [0, -1, 'negative trials'],
    [11, 10, 'successes above trials'],
    [1.5, 10, 'fractional successes'],
    [1, 10.5, 'fractional trials'],
    [Number.NaN, 10, 'NaN successes'],
  ];
  for (const [successes, trials, why] of bad) {
    it(`throws RangeError on ${why}`, () =>
      assert.throws(() => wilsonLowerBound(successes, trials), RangeError));
  }

  it('throws RangeError on a non-positive z', () =>
    assert.throws(() => wilsonLowerBound(1, 2, 0), RangeError));

  it('property: 0 ≤ lower ≤ rate ≤ 1', () => {
    const counts = fc
      .integer({ min: 1, max: 10_000 })
      .chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)));
    fc.assert(
      fc.property(counts, ([successes, trials]) => {
        const { rate, lower } = rateOf(successes, trials);
        assert.ok(rate !== null && lower !== null);
        assert.ok(lower >= 0 && lower <= rate && rate <= 1, `${lower} ≤ ${rate}`);
      }),
    );
  });

  it('property: more successes at fixed trials give a higher lower bound', () => {
    const counts = fc
      .integer({ min: 1, max: 10_000 })
      .chain((n) => fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constant(n)));
    fc.assert(
      fc.property(counts, ([successes, trials]) => {
        const now = wilsonLowerBound(successes, trials) ?? Number.NaN;
        const more = wilsonLowerBound(successes + 1, trials) ?? Number.NaN;
        assert.ok(more > now, `${more} > ${now}`);
      }),
    );
  });
});

describe('rateOf', () => {
  it('reports the rate and its lower bound', () => {
    const rate = rateOf(10, 10);
    assert.equal(rate.rate, 1);
    assert.equal(rate.successes, 10);
    assert.equal(rate.trials, 10);
    near(rate.lower, 0.722467);
  });

  it('reports nulls with no trials', () =>
    assert.deepEqual(rateOf(0, 0), { successes: 0, trials: 0, rate: null, lower: null }));

  it('throws RangeError on bad counts', () => assert.throws(() => rateOf(3, 2), RangeError));
});

describe('brierScore', () => {
  const cases: [Labelled[], number, string][] = [
    // (0.9−1)² + (0.8−0)² + (0.6−1)² = 0.01 + 0.64 + 0.16 = 0.81; / 3 = 0.27.
    [[pt(0.9, 1), pt(0.8, 0), pt(0.6, 1)], 0.27, 'mixed set'],
    // (1−1)² + (0−0)² = 0.
    [[pt(1, 1), pt(0, 0)], 0, 'perfect and certain'],
    // (1−0)² = 1.
    [[pt(1, 0)], 1, 'certain and wrong'],
    // (0.5−0)² + (0.5−1)² = 0.25 + 0.25 = 0.5; / 2 = 0.25.
    [[pt(0.5, 0), pt(0.5, 1)], 0.25, 'coin flip'],
  ];
  for (const [points, expected, why] of cases) {
    it(`${why} → ${expected}`, () => near(brierScore(points), expected, 1e-12));
  }

  it('is null for no points', () => assert.equal(brierScore([]), null));

  for (const confidence of [-0.1, 1.1, Number.NaN]) {
    it(`throws a RangeError naming confidence ${confidence}`, () =>
      assert.throws(() => brierScore([pt(confidence, 1)]), {
        name: 'RangeError',
        message: new RegExp(String(confidence)),
      }));
  }

  it('throws RangeError on an outcome other than 0/1', () =>
    assert.throws(() => brierScore([{ confidence: 0.5, outcome: 2 as 0 | 1 }]), RangeError));

  it('property: lies in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(labelled, { minLength: 1 }), (points) => {
        const score = brierScore(points) ?? Number.NaN;
        assert.ok(score >= 0 && score <= 1);
      }),
    );
  });
});

// Spans three of ten bins; 0.2 and 0.5 sit on lower bin edges and 1.0 on the top edge.
//   bin 2: 0.2 (0), 0.25 (1)                → mean conf 0.45/2 = 0.225, observed 1/2 = 0.5,  gap 0.275, count 2
//   bin 5: 0.5 (1), 0.5 (0), 0.56 (1), 0.54 (1) → mean conf 2.1/4 = 0.525, observed 3/4 = 0.75, gap 0.225, count 4
//   bin 9: 0.9 (1), 1.0 (1), 0.95 (0), 0.95 (1) → mean conf 3.8/4 = 0.95, observed 3/4 = 0.75,  gap 0.2,   count 4
//   ECE = 2/10·0.275 + 4/10·0.225 + 4/10·0.2 = 0.055 + 0.09 + 0.08 = 0.225.
const HAND_BIN_2: Labelled[] = [pt(0.2, 0), pt(0.25, 1)];
const HAND_BIN_5: Labelled[] = [pt(0.5, 1), pt(0.5, 0), pt(0.56, 1), pt(0.54, 1)];
const HAND_BIN_9: Labelled[] = [pt(0.9, 1), pt(1, 1), pt(0.95, 0), pt(0.95, 1)];
const HAND_SET: Labelled[] = [...HAND_BIN_2, ...HAND_BIN_5, ...HAND_BIN_9];

describe('reliabilityTable', () => {
  it('tabulates the hand set into bins 2, 5 and 9', () => {
    const table = reliabilityTable(HAND_SET);
    assert.equal(table.length, 10);
    const filled = new Map([
      [2, [0.225, 0.5, 2]],
      [5, [0.525, 0.75, 4]],
      [9, [0.95, 0.75, 4]],
    ]);
    for (const row of table) {
      near(row.from, row.bin / 10, 1e-12);
      near(row.to, (row.bin + 1) / 10, 1e-12);
      const expected = filled.get(row.bin);
      if (expected === undefined) {
        assert.deepEqual([row.meanConfidence, row.observedRate, row.count], [null, null, 0]);
        continue;
      }
      const [meanConfidence = 0, observedRate = 0, count = 0] = expected;
      near(row.meanConfidence, meanConfidence, 1e-12);
      near(row.observedRate, observedRate, 1e-12);
      assert.equal(row.count, count);
    }
  });

  const placements: [number, number, number, string][] = [
    [0, 10, 0, '0 in the first bin'],
    [1, 10, 9, '1.0 in the last bin'],
    [0.3, 10, 3, '0.3 on the edge of bin 3'],
    [0.7, 10, 7, '0.7 on the edge of bin 7 (0.7·10 = 7.000000000000001)'],
    [0.29999, 10, 2, 'just below 0.3 in bin 2'],
    [0.57, 100, 57, '0.57 in bin 57 of 100 (0.57·100 = 56.99999999999999)'],
    [0.29, 100, 29, '0.29 in bin 29 of 100 (0.29·100 = 28.999999999999996)'],
    [1 / 3, 3, 1, '1/3 in bin 1 of 3'],
    [0.99, 1, 0, 'anything in the only bin'],
  ];
  for (const [confidence, bins, bin, why] of placements) {
    it(`puts ${why}`, () => {
      const table = reliabilityTable([pt(confidence, 1)], bins);
      assert.deepEqual(
        table.filter((row) => row.count > 0).map((row) => row.bin),
        [bin],
      );
    });
  }

  it('returns every bin, empty, for no points', () => {
    const table = reliabilityTable([], 4);
    assert.deepEqual(
      table.map((row) => [row.bin, row.from, row.to, row.count, row.meanConfidence, row.observedRate]),
      [
        [0, 0, 0.25, 0, null, null],
        [1, 0.25, 0.5, 0, null, null],
        [2, 0.5, 0.75, 0, null, null],
        [3, 0.75, 1, 0, null, null],
      ],
    );
  });

  for (const bins of [0, -1, 2.5, Number.NaN]) {
    it(`throws RangeError for ${bins} bins`, () =>
      assert.throws(() => reliabilityTable([], bins), RangeError));
  }

  it('throws a RangeError naming a confidence outside [0, 1]', () =>
    assert.throws(() => reliabilityTable([pt(1.5, 1)]), { name: 'RangeError', message: /1\.5/ }));

  it('property: bin counts sum to the number of points', () => {
    fc.assert(
      fc.property(fc.array(labelled), fc.integer({ min: 1, max: 50 }), (points, bins) => {
        const table = reliabilityTable(points, bins);
        assert.equal(table.length, bins);
        assert.equal(
          table.reduce((sum, row) => sum + row.count, 0),
          points.length,
        );
      }),
    );
  });
});

describe('expectedCalibrationError', () => {
  it('is 0.225 for the hand set', () => near(expectedCalibrationError(HAND_SET), 0.225, 1e-12));

  // One bin of 5: 0.1 (1), 0.1 (1) → mean conf 0.1, observed 1, gap 0.9 → ECE = 0.9.
  it('is 0.9 for two confident-low successes', () =>
    near(expectedCalibrationError([pt(0.1, 1), pt(0.1, 1)], 5), 0.9));

  // With one bin: mean conf (0.2 + 0.8)/2 = 0.5, observed 1/2 → gap 0 even though each point is off.
  it('is 0 when one bin averages out', () =>
    near(expectedCalibrationError([pt(0.2, 0), pt(0.8, 1)], 1), 0, 1e-12));

  it('is null for no points', () => assert.equal(expectedCalibrationError([]), null));

  it('throws RangeError on NaN confidence', () =>
    assert.throws(() => expectedCalibrationError([pt(Number.NaN, 0)]), RangeError));

  it('property: lies in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(labelled, { minLength: 1 }), fc.integer({ min: 1, max: 20 }), (points, bins) => {
        const ece = expectedCalibrationError(points, bins) ?? Number.NaN;
        assert.ok(ece >= 0 && ece <= 1 + 1e-12, `${ece}`);
      }),
    );
  });

  it('property: 0 when every confidence equals the observed rate of its group', () => {
    // Each group: m points at confidence k/m, k of them successes. Groups sharing a bin pool to
    // mean confidence Σ m·(k/m) / Σ m = Σ k / Σ m = observed rate, so every bin's gap is 0.
    const group = fc
      .integer({ min: 1, max: 20 })
      .chain((m) => fc.tuple(fc.constant(m), fc.integer({ min: 0, max: m })));
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 20 }),
        (groups, bins) => {
          const points = groups.flatMap(([m, k]) =>
            Array.from({ length: m }, (_, i): Labelled => pt(k / m, i < k ? 1 : 0)),
          );
          near(expectedCalibrationError(points, bins), 0, 1e-9);
        },
      ),
    );
  });
});
