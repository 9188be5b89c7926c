/** decide() with policy limits: exceeded limits combine like rules (deny wins), and every limit is a reason. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blanket, bundleOf, factsOf } from '../../test/fixtures.ts';
import type { LimitFact } from '../policy/limits.ts';
import { decide } from './decide.ts';

const allow = bundleOf(blanket('allow'));

describe('decide: limits', () => {
  const rate = (observed: number, effect: LimitFact['effect'] = 'escalate'): LimitFact => ({
    limit: 'restart-rate',
    file: 'policies/limits.yaml',
    kind: 'rate',
    effect,
    reason: 'at most 5 restarts an hour without a human',
    key: 'restart-rate|agent=triage-bot|type=service.restart',
    observed,
    max: 5,
    window: 3_600_000,
  });
  const blast: LimitFact = {
    limit: 'blast-radius',
    file: 'policies/limits.yaml',
    kind: 'targets',
    effect: 'deny',
    reason: 'never more than 10 targets',
    key: null,
    observed: 11,
    max: 10,
  };
  const withLimits = (limits: readonly LimitFact[], overrides: Parameters<typeof factsOf>[0] = {}) => ({
    ...factsOf(overrides),
    limits,
  });
  const limitReasons = (decision: ReturnType<typeof decide>) =>
    decision.reasons.filter((r) => r.kind === 'limit');

  it('an exceeded escalate limit turns execute into escalate, naming the limit', () => {
    assert.equal(decide(factsOf(), allow).effect, 'execute');
    const decision = decide(withLimits([rate(5)]), allow);
    assert.equal(decision.effect, 'escalate');
    assert.equal(decision.policyEffect, 'escalate');
    assert.deepEqual(limitReasons(decision), [
      {
        kind: 'limit',
        limit: 'restart-rate',
        file: 'policies/limits.yaml',
        limitKind: 'rate',
        effect: 'escalate',
        passed: false,
        message: '6th restart-rate use in 1h; the limit is 5: at most 5 restarts an hour without a human',
      },
    ]);
    assert.ok(
      !decision.reasons.some((r) => r.kind === 'cap'),
      'escalated before the caps, like an escalate rule',
    );
  });

  it('an exceeded deny limit denies even at level 3', () => {
    const decision = decide(withLimits([rate(0), blast], { trust: { granted: 3 } }), allow);
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.policyEffect, 'deny');
    assert.deepEqual(
      limitReasons(decision).map((r) => (r.kind === 'limit' ? [r.limit, r.effect, r.passed] : [])),
      [
        ['restart-rate', 'escalate', true],
        ['blast-radius', 'deny', false],
      ],
    );
  });

  it('an exceeded deny limit denies where policy escalates, and at level 0', () => {
    assert.equal(decide(withLimits([blast]), bundleOf(blanket('escalate'))).effect, 'deny');
    assert.equal(decide(withLimits([blast], { trust: { granted: 0 } }), allow).effect, 'deny');
  });

  it('passed limits appear as passed reasons, after the rules and before the caps', () => {
    const decision = decide(withLimits([rate(4), { ...blast, observed: 3 }]), allow);
    assert.equal(decision.effect, 'execute');
    assert.equal(decision.policyEffect, 'allow');
    assert.deepEqual(
      decision.reasons.map((r) =>
        r.kind === 'limit' ? `limit:${r.limit}:${r.passed}` : r.kind === 'cap' ? `cap:${r.code}` : r.kind,
      ),
      [
        'rule',
        'limit:restart-rate:true',
        'limit:blast-radius:true',
        'cap:human_only_tier',
        'cap:irreversible',
        'cap:tier',
        'cap:environment',
        'cap:confidence',
        'cap:anomaly_score',
      ],
    );
    const passed = limitReasons(decision)[0];
    assert.equal(passed?.message, '5th restart-rate use in 1h; the limit is 5');
  });

  it('level 0 stays advise under an exceeded escalate limit; level 1 escalates', () => {
    const advised = decide(withLimits([rate(9)], { trust: { granted: 0 } }), allow);
    assert.equal(advised.effect, 'advise');
    assert.equal(advised.policyEffect, 'escalate');
    assert.ok(limitReasons(advised).some((r) => r.kind === 'limit' && !r.passed));
    assert.equal(decide(withLimits([rate(9)], { trust: { granted: 1 } }), allow).effect, 'escalate');
  });

  it('a count that could not be read escalates (fail closed)', () => {
    const decision = decide(withLimits([{ ...rate(5), unknown: true }]), allow);
    assert.equal(decision.effect, 'escalate');
    assert.equal(
      limitReasons(decision)[0]?.message,
      'restart-rate: the uses in the last 1h could not be counted; counted as exceeded: at most 5 restarts an hour without a human',
    );
  });

  it('a stored fact whose effect is not deny counts as escalate, never allow', () => {
    const decision = decide(withLimits([{ ...rate(5), effect: 'allow' as never }]), allow);
    assert.equal(decision.effect, 'escalate');
  });

  it('facts stored before limits existed decide as before', () => {
    const facts = factsOf();
    assert.deepEqual(decide({ ...facts, limits: undefined }, allow), decide(facts, allow));
    assert.deepEqual(decide({ ...facts, limits: [] }, allow), decide(facts, allow));
  });
});
