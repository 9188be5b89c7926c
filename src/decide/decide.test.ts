/** decide(): the level × tier × environment × policy-effect table, and each cap and state on its own. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blanket, bundleOf, factsOf } from '../../test/fixtures.ts';
import type { DecisionEffect, Effect } from '../domain/decision.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { Tier } from '../domain/risk.ts';
import { decide } from './decide.ts';

const TIERS: readonly Tier[] = ['low', 'medium', 'high', 'critical'];
const ENVS = ['staging', 'production'] as const;
const CELLS = TIERS.flatMap((tier) => ENVS.map((env) => ({ tier, env })));

const a = 'advise';
const x = 'execute';
const e = 'escalate';
const d = 'deny';

/**
 * Expected decisions, written out by hand from DESIGN.md's level table (defaults), for a
 * reversible, verified action with confidence 0.95 and anomaly 0.1 inside the change window.
 * Columns: low/staging, low/production, medium/staging, medium/production,
 *          high/staging, high/production, critical/staging, critical/production.
 */
const TABLE: Record<Effect | 'none', Record<TrustLevel, readonly DecisionEffect[]>> = {
  allow: {
    0: [a, a, a, a, a, a, a, a],
    1: [e, e, e, e, e, e, e, e],
    2: [x, e, e, e, e, e, e, e],
    3: [x, x, x, x, e, e, e, e],
  },
  escalate: {
    0: [a, a, a, a, a, a, a, a],
    1: [e, e, e, e, e, e, e, e],
    2: [e, e, e, e, e, e, e, e],
    3: [e, e, e, e, e, e, e, e],
  },
  deny: {
    0: [d, d, d, d, d, d, d, d],
    1: [d, d, d, d, d, d, d, d],
    2: [d, d, d, d, d, d, d, d],
    3: [d, d, d, d, d, d, d, d],
  },
  // No rule matches: the default effect (escalate) applies.
  none: {
    0: [a, a, a, a, a, a, a, a],
    1: [e, e, e, e, e, e, e, e],
    2: [e, e, e, e, e, e, e, e],
    3: [e, e, e, e, e, e, e, e],
  },
};

const BUNDLES = {
  allow: bundleOf(blanket('allow')),
  escalate: bundleOf(blanket('escalate')),
  deny: bundleOf(blanket('deny')),
  none: bundleOf('rules: []\n'),
};

describe('decide: level × tier × environment × policy effect', () => {
  for (const [effect, byLevel] of Object.entries(TABLE) as [keyof typeof TABLE, (typeof TABLE)['allow']][]) {
    for (const level of [0, 1, 2, 3] as const) {
      CELLS.forEach(({ tier, env }, column) => {
        const expected = byLevel[level][column];
        it(`policy ${effect}, level ${level}, ${tier} tier in ${env} → ${expected}`, () => {
          const facts = factsOf({
            request: { environment: env },
            action: { tier },
            trust: { granted: level },
          });
          const decision = decide(facts, BUNDLES[effect]);
          assert.equal(decision.effect, expected);
          assert.equal(decision.trustLevel, level);
          assert.equal(decision.policyVersion, BUNDLES[effect].hash);
        });
      });
    }
  }
});

describe('decide: reasons', () => {
  it('lists every matching rule, then every cap with pass or fail', () => {
    const bundle = bundleOf([
      blanket('allow', 'routine'),
      'rules:\n  - name: restarts\n    match: { types: [service.restart] }\n    effect: allow\n    reason: restarts are fine\n',
    ]);
    const decision = decide(factsOf({ request: { confidence: 0.5 } }), bundle);
    assert.equal(decision.effect, 'escalate');
    assert.equal(decision.policyEffect, 'allow');
    assert.deepEqual(
      decision.reasons.map((r) =>
        r.kind === 'rule' ? `rule:${r.rule}` : r.kind === 'cap' ? `${r.code}:${r.passed}` : r.kind,
      ),
      [
        'rule:routine',
        'rule:restarts',
        'human_only_tier:true',
        'irreversible:true',
        'tier:true',
        'environment:true',
        'confidence:false',
        'anomaly_score:true',
      ],
    );
    const confidence = decision.reasons.find((r) => r.kind === 'cap' && r.code === 'confidence');
    assert.equal(confidence?.message, 'confidence 0.5 < 0.8');
  });

  it('names the default effect when no rule matches', () => {
    const decision = decide(factsOf(), bundleOf('rules: []\n', 'deny'));
    assert.equal(decision.effect, 'deny');
    assert.deepEqual(decision.reasons, [
      { kind: 'default', effect: 'deny', message: 'no rule matched; the default effect is deny' },
    ]);
  });
});

describe('decide: caps and states one by one (level 2 and 3, policy allow)', () => {
  const allow = BUNDLES.allow;
  const failed = (effect: ReturnType<typeof decide>) =>
    effect.reasons.filter((r) => r.kind === 'cap' && !r.passed).map((r) => (r.kind === 'cap' ? r.code : ''));

  const cases: {
    name: string;
    facts: Parameters<typeof factsOf>[0];
    effect: DecisionEffect;
    failedCaps: string[];
  }[] = [
    { name: 'all caps pass', facts: {}, effect: 'execute', failedCaps: [] },
    {
      name: 'confidence below 0.8',
      facts: { request: { confidence: 0.79 } },
      effect: 'escalate',
      failedCaps: ['confidence'],
    },
    {
      name: 'confidence exactly 0.8',
      facts: { request: { confidence: 0.8 } },
      effect: 'execute',
      failedCaps: [],
    },
    {
      name: 'no confidence given',
      facts: { request: { confidence: null } },
      effect: 'escalate',
      failedCaps: ['confidence'],
    },
    {
      name: 'anomaly above 0.5',
      facts: { request: { anomalyScore: 0.51 } },
      effect: 'escalate',
      failedCaps: ['anomaly_score'],
    },
    {
      name: 'no anomaly score given',
      facts: { request: { anomalyScore: null } },
      effect: 'escalate',
      failedCaps: ['anomaly_score'],
    },
    {
      name: 'irreversible',
      facts: { action: { reversible: false } },
      effect: 'escalate',
      failedCaps: ['irreversible'],
    },
    {
      name: 'level 3 without verification checks',
      facts: { trust: { granted: 3 }, action: { verified: false } },
      effect: 'escalate',
      failedCaps: ['verification'],
    },
    {
      name: 'level 2 does not need verification checks',
      facts: { action: { verified: false } },
      effect: 'execute',
      failedCaps: [],
    },
    {
      name: 'level 3 in production inside the change window',
      facts: { trust: { granted: 3 }, request: { environment: 'production' } },
      effect: 'execute',
      failedCaps: [],
    },
    {
      name: 'level 3 in production outside the change window (Tuesday 20:00 Berlin)',
      facts: {
        trust: { granted: 3 },
        request: { environment: 'production' },
        now: '2026-11-24T19:00:00.000Z',
      },
      effect: 'escalate',
      failedCaps: ['change_window'],
    },
    {
      name: 'level 3 in production on a Saturday',
      facts: {
        trust: { granted: 3 },
        request: { environment: 'production' },
        now: '2026-11-28T10:00:00.000Z',
      },
      effect: 'escalate',
      failedCaps: ['change_window'],
    },
    {
      name: 'level 3 confidence threshold is 0.7',
      facts: { trust: { granted: 3 }, request: { confidence: 0.7 } },
      effect: 'execute',
      failedCaps: [],
    },
    {
      name: 'the ceiling caps the granted level (3 granted, ceiling 1)',
      facts: { trust: { granted: 3, ceiling: 1 } },
      effect: 'escalate',
      failedCaps: ['level_assisted'],
    },
    {
      name: 'configured thresholds: level 2 allowed only in an environment list',
      facts: {
        thresholds: { conditional: { ...factsOf().thresholds.conditional, environments: ['production'] } },
      },
      effect: 'escalate',
      failedCaps: ['environment'],
    },
    {
      name: 'a misconfigured level that lists the high tier still never executes high',
      facts: {
        action: { tier: 'high' },
        thresholds: { conditional: { ...factsOf().thresholds.conditional, tiers: ['low', 'high'] as never } },
      },
      effect: 'escalate',
      failedCaps: ['human_only_tier'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const decision = decide(factsOf(c.facts), allow);
      assert.equal(decision.effect, c.effect);
      assert.deepEqual(failed(decision), c.failedCaps);
    });
  }

  it('a suspended agent is denied even where policy and level would execute', () => {
    const decision = decide(factsOf({ agent: { suspended: true }, trust: { granted: 3 } }), allow);
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.reasons[0]?.kind, 'agent_suspended');
  });

  it('a suspended agent at level 0 is denied, not advised', () => {
    assert.equal(
      decide(factsOf({ agent: { suspended: true }, trust: { granted: 0 } }), allow).effect,
      'deny',
    );
  });

  it('frozen autonomy escalates what would have executed', () => {
    const decision = decide(factsOf({ frozen: true }), allow);
    assert.equal(decision.effect, 'escalate');
    assert.ok(decision.reasons.some((r) => r.kind === 'frozen'));
  });
});

describe('decide: conditions', () => {
  const bundle = bundleOf(`rules:
  - name: restarts
    match: { types: [service.restart] }
    effect: allow
    reason: routine
  - name: many-targets
    match: { types: [service.restart] }
    when: size(request.targets) > 2
    effect: escalate
    reason: too many at once
  - name: confident-only
    match: { types: [service.restart] }
    when: request.confidence < 0.9
    effect: deny
    reason: only when sure
`);

  it('a condition that cannot be evaluated fails closed: a broken deny rule still denies', () => {
    const decision = decide(factsOf({ request: { confidence: null } }), bundle);
    assert.equal(decision.effect, 'deny');
    const broken = decision.reasons.find((r) => r.kind === 'rule_error');
    assert.equal(broken?.kind === 'rule_error' ? broken.rule : null, 'confident-only');
  });

  it('conditions see the request', () => {
    const targets = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    assert.equal(decide(factsOf({ request: { targets } }), bundle).effect, 'escalate');
    assert.equal(decide(factsOf({ request: { confidence: 0.85 } }), bundle).effect, 'deny');
    assert.equal(decide(factsOf(), bundle).effect, 'execute');
  });

  it('conditions see the level in force (after the ceiling)', () => {
    const byLevel = bundleOf(`rules:
  - name: experienced
    when: level >= 2
    effect: allow
    reason: trusted
`);
    assert.equal(decide(factsOf({ trust: { granted: 3, ceiling: 1 } }), byLevel).policyEffect, 'escalate');
    assert.equal(decide(factsOf({ trust: { granted: 2 } }), byLevel).policyEffect, 'allow');
  });

  it('is deterministic: the same facts and bundle give the same decision', () => {
    const facts = factsOf({ request: { targets: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] } });
    assert.deepEqual(decide(facts, bundle), decide(structuredClone(facts), bundle));
  });
});
