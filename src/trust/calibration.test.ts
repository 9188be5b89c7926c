/** Tests isotonic calibration: hand-computed pool-adjacent-violators fits, interpolation, and curve properties. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Calibrator, calibrate, fitBlocks, fitIsotonic } from './calibration.ts';
import type { Labelled } from './stats.ts';

const pt = (confidence: number, outcome: 0 | 1): Labelled => ({ confidence, outcome });

/** Knots equal within 1e-12 (weighted means of decimals are not always exact). */
const sameKnots = (model: Calibrator, expected: [number, number][]): void => {
  assert.equal(model.knots.length, expected.length, JSON.stringify(model.knots));
  model.knots.forEach(([x, y], i) => {
    const [ex = Number.NaN, ey = Number.NaN] = expected[i] ?? [];
    assert.ok(
      Math.abs(x - ex) < 1e-12 && Math.abs(y - ey) < 1e-12,
      `knot ${i}: [${x}, ${y}] vs [${ex}, ${ey}]`,
    );
  });
};

/** Confidences on a 0.05 grid (so ties happen) or anywhere in [0, 1]. */
const confidence = fc.oneof(
  fc.integer({ min: 0, max: 20 }).map((i) => i / 20),
  fc.double({ min: 0, max: 1, noNaN: true }),
);
const points = fc.array(fc.record({ confidence, outcome: fc.constantFrom<0 | 1>(0, 1) }), {
  minLength: 1,
  maxLength: 60,
});

describe('fitIsotonic by hand', () => {
  // Sorted: 0.2:0 | 0.4:1 | 0.6:0 violates 0.4:1 → pool (0.4+0.6)/2 = 0.5, (1+0)/2 = 0.5;
  // 0:0 ≤ 0.5, so no further pooling | 0.8:1. Knots [0.2,0] [0.5,0.5] [0.8,1].
  const model = fitIsotonic([pt(0.6, 0), pt(0.2, 0), pt(0.8, 1), pt(0.4, 1)]);

  it('pools the violating pair into one knot', () => {
    sameKnots(model, [
      [0.2, 0],
      [0.5, 0.5],
      [0.8, 1],
    ]);
    assert.equal(model.n, 4);
  });

  const readings: [number, number, string][] = [
    [0.35, 0.25, 'between 0.2 and 0.5: 0 + (0.15/0.3)·(0.5 − 0) = 0.25'],
    [0.65, 0.75, 'between 0.5 and 0.8: 0.5 + (0.15/0.3)·(1 − 0.5) = 0.75'],
    [0.5, 0.5, 'on a knot'],
    [0.1, 0, 'below the first knot: clamped to 0'],
    [0, 0, 'at 0: clamped to 0'],
    [0.9, 1, 'above the last knot: clamped to 1'],
    [1, 1, 'at 1: clamped to 1'],
  ];
  for (const [stated, expected, why] of readings) {
    it(`calibrates ${stated} to ${expected} (${why})`, () =>
      assert.equal(calibrate(model, stated), expected));
  }

  it('merges equal confidences into one weighted block', () => {
    // 0.3: outcomes 1, 0, 1 → one block, rate 2/3, weight 3 | 0.7: 1 → rate 1. No violation.
    const equal = [pt(0.3, 1), pt(0.7, 1), pt(0.3, 0), pt(0.3, 1)];
    sameKnots(fitIsotonic(equal), [
      [0.3, 2 / 3],
      [0.7, 1],
    ]);
    assert.deepEqual(
      fitBlocks(equal).map((b) => b.weight),
      [3, 1],
    );
    // 0.5 is halfway: 2/3 + 0.5·(1 − 2/3) = 5/6 = 0.83333 → 0.8333.
    assert.equal(calibrate(fitIsotonic(equal), 0.5), 0.8333);
  });

  it('weights a merged block when pooling it', () => {
    // 0.6: 1, 1 → rate 1, weight 2 | 0.8: 0 violates → pool: confidence (0.6·2 + 0.8)/3 = 2/3,
    // rate (1 + 1 + 0)/3 = 2/3. One knot, so every reading is 0.6667.
    const model = fitIsotonic([pt(0.6, 1), pt(0.6, 1), pt(0.8, 0)]);
    sameKnots(model, [[2 / 3, 2 / 3]]);
    for (const stated of [0, 0.5, 2 / 3, 1]) assert.equal(calibrate(model, stated), 0.6667);
  });

  it('cascades pooling backwards', () => {
    // 0.1:0 | 0.5:1 | 0.6:1 | 0.7:0 violates 0.6:1 → (0.65, 1/2), w 2; then 0.5:1 > 1/2 → pool
    // ((0.5+0.6+0.7)/3 = 0.6, 2/3), w 3; 0 ≤ 2/3 stops | 0.9:1. Knots [0.1,0] [0.6,2/3] [0.9,1].
    const model = fitIsotonic([pt(0.1, 0), pt(0.5, 1), pt(0.6, 1), pt(0.7, 0), pt(0.9, 1)]);
    sameKnots(model, [
      [0.1, 0],
      [0.6, 2 / 3],
      [0.9, 1],
    ]);
    // 0.75: 2/3 + (0.15/0.3)·(1/3) = 5/6 → 0.8333; 0.35: 0 + (0.25/0.5)·(2/3) = 1/3 → 0.3333.
    assert.equal(calibrate(model, 0.75), 0.8333);
    assert.equal(calibrate(model, 0.35), 0.3333);
  });

  it('pools everything when outcomes run backwards', () => {
    // 0.1:1 0.2:1 0.3:0 0.4:0 pools step by step into one block: (0.25, 2/4 = 0.5).
    sameKnots(fitIsotonic([pt(0.1, 1), pt(0.2, 1), pt(0.3, 0), pt(0.4, 0)]), [[0.25, 0.5]]);
  });

  it('keeps a knot per confidence when all outcomes are 1, and reads 1 everywhere', () => {
    const model = fitIsotonic([pt(0.2, 1), pt(0.9, 1), pt(0.5, 1)]);
    sameKnots(model, [
      [0.2, 1],
      [0.5, 1],
      [0.9, 1],
    ]);
    for (const stated of [0, 0.3, 1]) assert.equal(calibrate(model, stated), 1);
  });

  it('reads 0 everywhere when all outcomes are 0', () => {
    const model = fitIsotonic([pt(0.8, 0), pt(0.95, 0), pt(0.8, 0)]);
    sameKnots(model, [
      [0.8, 0],
      [0.95, 0],
    ]);
    for (const stated of [0, 0.9, 1]) assert.equal(calibrate(model, stated), 0);
  });

  it('fits a single point to a single knot', () => sameKnots(fitIsotonic([pt(0.42, 1)]), [[0.42, 1]]));

  it('survives a JSON round trip', () => {
    const stored = JSON.parse(JSON.stringify(model)) as Calibrator;
    assert.deepEqual(stored, model);
    assert.equal(calibrate(stored, 0.35), 0.25);
  });
});

describe('fitIsotonic and calibrate errors', () => {
  it('throws RangeError for no points', () => assert.throws(() => fitIsotonic([]), RangeError));

  for (const bad of [-0.01, 1.01, Number.NaN]) {
    it(`throws a RangeError naming confidence ${bad} when fitting`, () =>
      assert.throws(() => fitIsotonic([pt(bad, 1)]), {
        name: 'RangeError',
        message: new RegExp(String(bad)),
      }));
    it(`throws RangeError calibrating confidence ${bad}`, () =>
      assert.throws(() => calibrate(fitIsotonic([pt(0.5, 1)]), bad), RangeError));
  }

  it('throws RangeError for an outcome other than 0/1', () =>
    assert.throws(() => fitIsotonic([{ confidence: 0.5, outcome: 3 as 0 | 1 }]), RangeError));

  it('throws RangeError calibrating with a model without knots', () =>
    assert.throws(() => calibrate({ knots: [], n: 0 }, 0.5), RangeError));
});

describe('isotonic properties', () => {
  it('property: knots ascend strictly in confidence and never decrease in rate', () => {
    fc.assert(
      fc.property(points, (data) => {
        const { knots, n } = fitIsotonic(data);
        assert.equal(n, data.length);
        for (let i = 1; i < knots.length; i++) {
          const [x0 = 0, y0 = 0] = knots[i - 1] ?? [];
          const [x1 = 0, y1 = 0] = knots[i] ?? [];
          assert.ok(x1 > x0, `confidence ${x0} then ${x1}`);
          assert.ok(y1 >= y0, `rate ${y0} then ${y1}`);
        }
      }),
    );
  });

  it('property: calibrate is monotone non-decreasing and stays in [0, 1]', () => {
    const pair = fc.tuple(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    fc.assert(
      fc.property(points, pair, (data, [a, b]) => {
        const model = fitIsotonic(data);
        const [low, high] = a <= b ? [a, b] : [b, a];
        const [out1, out2] = [calibrate(model, low), calibrate(model, high)];
        assert.ok(out1 <= out2, `${low} → ${out1} but ${high} → ${out2}`);
        assert.ok(out1 >= 0 && out2 <= 1);
      }),
    );
  });

  it('property: block weights sum to n and preserve the mean outcome', () => {
    fc.assert(
      fc.property(points, (data) => {
        const blocks = fitBlocks(data);
        assert.equal(
          blocks.reduce((sum, b) => sum + b.weight, 0),
          data.length,
        );
        const fittedMean = blocks.reduce((sum, b) => sum + b.weight * b.rate, 0) / data.length;
        const observedMean = data.reduce((sum, p) => sum + p.outcome, 0) / data.length;
        assert.ok(Math.abs(fittedMean - observedMean) <= 1e-9, `${fittedMean} vs ${observedMean}`);
      }),
    );
  });

  it('property: the knots are the blocks', () => {
    fc.assert(
      fc.property(points, (data) => {
        assert.deepEqual(
          fitIsotonic(data).knots,
          fitBlocks(data).map((b) => [b.confidence, b.rate]),
        );
      }),
    );
  });
});
