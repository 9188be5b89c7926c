/** decide() with a calibration fact: the confidence cap uses the calibrated value if any, and policies see it. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blanket, bundleOf, factsOf } from '../../test/fixtures.ts';
import type { Decision, Reason } from '../domain/decision.ts';
import { decide, policyInput } from './decide.ts';
import type { CalibrationFact, DecisionFacts } from './facts.ts';

const SCOPE = 'service.restart@staging';
const ALLOW = bundleOf(blanket('allow'));

/** A scope with 40 labelled outcomes (30 needed), its curve, and `calibrated` as the mapped value. */
const calibratedFact = (calibrated: number | null): CalibrationFact => ({
  scope: SCOPE,
  n: 40,
  minEvidence: 30,
  knots: [
    [0.5, 0.3],
    [0.95, 0.9],
  ],
  calibrated,
});

/** Too little evidence: 12 of 30 outcomes, no curve. */
const UNCALIBRATED: CalibrationFact = { scope: SCOPE, n: 12, minEvidence: 30, knots: null, calibrated: null };

function withCalibration(
  overrides: Parameters<typeof factsOf>[0],
  calibration: CalibrationFact | undefined,
): DecisionFacts {
  return { ...factsOf(overrides), calibration };
}

function confidenceCap(decision: Decision): Extract<Reason, { kind: 'cap' }> {
  const cap = decision.reasons.find((r) => r.kind === 'cap' && r.code === 'confidence');
  assert.ok(cap !== undefined && cap.kind === 'cap', JSON.stringify(decision.reasons));
  return cap;
}

const failedCaps = (decision: Decision) =>
  decision.reasons.filter((r) => r.kind === 'cap' && !r.passed).map((r) => (r.kind === 'cap' ? r.code : ''));

describe('decide: the confidence cap with a calibration fact', () => {
  it('calibrated 0.9 (stated 0.95) at level 2: the cap uses 0.9 and passes', () => {
    const decision = decide(withCalibration({ request: { confidence: 0.95 } }, calibratedFact(0.9)), ALLOW);
    assert.equal(decision.effect, 'execute');
    const cap = confidenceCap(decision);
    assert.equal(cap.passed, true);
    assert.equal(cap.basis, 'calibrated');
    assert.equal(
      cap.message,
      'calibrated confidence 0.9 ≥ 0.8 (stated 0.95, calibrated on 40 outcomes of service.restart@staging)',
    );
  });

  it('stated 0.95 but calibrated 0.6 at level 2: escalate, the confidence cap failed', () => {
    const decision = decide(withCalibration({ request: { confidence: 0.95 } }, calibratedFact(0.6)), ALLOW);
    assert.equal(decision.effect, 'escalate');
    assert.equal(decision.policyEffect, 'allow');
    assert.deepEqual(failedCaps(decision), ['confidence']);
    const cap = confidenceCap(decision);
    assert.equal(cap.basis, 'calibrated');
    assert.match(cap.message, /stated 0\.95/);
    assert.match(cap.message, /calibrated/);
    assert.equal(
      cap.message,
      'calibrated confidence 0.6 < 0.8 (stated 0.95, calibrated on 40 outcomes of service.restart@staging)',
    );
  });

  it('the calibrated value can raise a low stated one over the threshold', () => {
    // Stated 0.5, calibrated 0.85 ≥ 0.8: the calibrated value decides, in both directions.
    const decision = decide(withCalibration({ request: { confidence: 0.5 } }, calibratedFact(0.85)), ALLOW);
    assert.equal(decision.effect, 'execute');
    assert.equal(confidenceCap(decision).basis, 'calibrated');
  });

  it('level 3 checks the calibrated value against its own threshold (0.7), inclusive', () => {
    const at = (calibrated: number) =>
      decide(
        withCalibration({ trust: { granted: 3 }, request: { confidence: 0.99 } }, calibratedFact(calibrated)),
        ALLOW,
      );
    assert.equal(at(0.7).effect, 'execute');
    assert.equal(confidenceCap(at(0.7)).message.startsWith('calibrated confidence 0.7 ≥ 0.7'), true);
    assert.equal(at(0.69).effect, 'escalate');
    assert.deepEqual(failedCaps(at(0.69)), ['confidence']);
  });

  it('uncalibrated (no knots): the stated confidence, and a note saying how much evidence is missing', () => {
    const decision = decide(withCalibration({ request: { confidence: 0.95 } }, UNCALIBRATED), ALLOW);
    assert.equal(decision.effect, 'execute');
    const cap = confidenceCap(decision);
    assert.equal(cap.basis, 'stated');
    assert.equal(
      cap.message,
      'stated confidence 0.95 ≥ 0.8 (uncalibrated: 12 of 30 outcomes of service.restart@staging needed)',
    );
  });

  it('uncalibrated with a low stated confidence: escalate on the stated value', () => {
    const decision = decide(withCalibration({ request: { confidence: 0.5 } }, UNCALIBRATED), ALLOW);
    assert.equal(decision.effect, 'escalate');
    assert.deepEqual(failedCaps(decision), ['confidence']);
    const cap = confidenceCap(decision);
    assert.equal(cap.basis, 'stated');
    assert.match(cap.message, /^stated confidence 0\.5 < 0\.8 \(uncalibrated: 12 of 30 outcomes/);
  });

  it('no calibration fact (facts stored before calibration): the stated value, no note', () => {
    const decision = decide(withCalibration({ request: { confidence: 0.95 } }, undefined), ALLOW);
    const cap = confidenceCap(decision);
    assert.equal(cap.basis, 'stated');
    assert.equal(cap.message, 'confidence 0.95 ≥ 0.8');
  });

  it('a curve but no stated confidence: nothing to calibrate, the cap fails on the missing value', () => {
    const decision = decide(withCalibration({ request: { confidence: null } }, calibratedFact(null)), ALLOW);
    assert.equal(decision.effect, 'escalate');
    const cap = confidenceCap(decision);
    assert.equal(cap.passed, false);
    assert.equal(cap.basis, 'stated');
    assert.equal(cap.message, 'no confidence given; level 2 needs at least 0.8');
  });
});

describe('decide: policies see request.calibratedConfidence', () => {
  const bundle = bundleOf([
    blanket('allow'),
    `rules:
  - name: poorly-calibrated
    when: has(request.calibratedConfidence) && request.calibratedConfidence < 0.5
    effect: deny
    reason: the agent is right less often than it says
`,
  ]);

  it('policyInput carries the calibrated value when there is one, and leaves it out otherwise', () => {
    const input = (c: CalibrationFact | undefined) =>
      policyInput(withCalibration({}, c)).request as Record<string, unknown>;
    assert.equal(input(calibratedFact(0.42)).calibratedConfidence, 0.42);
    assert.equal('calibratedConfidence' in input(UNCALIBRATED), false);
    assert.equal('calibratedConfidence' in input(undefined), false);
    assert.equal('calibratedConfidence' in input(calibratedFact(null)), false);
  });

  it('calibrated 0.4 < 0.5: the rule denies, and is named', () => {
    const decision = decide(withCalibration({ request: { confidence: 0.95 } }, calibratedFact(0.4)), bundle);
    assert.equal(decision.effect, 'deny');
    assert.ok(
      decision.reasons.some(
        (r) => r.kind === 'rule' && r.rule === 'poorly-calibrated' && r.effect === 'deny',
      ),
      JSON.stringify(decision.reasons),
    );
  });

  it('deny wins at level 0 too: denied, not advised', () => {
    const facts = withCalibration({ trust: { granted: 0 } }, calibratedFact(0.4));
    assert.equal(decide(facts, bundle).effect, 'deny');
  });

  it('calibrated exactly 0.5: the rule does not match; the confidence cap escalates', () => {
    const decision = decide(withCalibration({ request: { confidence: 0.95 } }, calibratedFact(0.5)), bundle);
    // 0.5 < 0.5 is false, so no deny; but the cap then sees 0.5 < 0.8 and escalates.
    assert.equal(decision.policyEffect, 'allow');
    assert.equal(decision.effect, 'escalate');
    assert.deepEqual(failedCaps(decision), ['confidence']);
  });

  it('uncalibrated or no fact: has() is false, the rule neither matches nor errs', () => {
    for (const c of [UNCALIBRATED, undefined]) {
      const decision = decide(withCalibration({ request: { confidence: 0.95 } }, c), bundle);
      assert.equal(decision.effect, 'execute', JSON.stringify(decision.reasons));
      assert.equal(
        decision.reasons.some((r) => r.kind === 'rule_error' || (r.kind === 'rule' && r.effect === 'deny')),
        false,
      );
    }
  });
});
