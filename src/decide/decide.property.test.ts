/** Property tests (fast-check) that try to break DESIGN.md invariants 1, 2 and 3 in the decision step. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bundleOf, ENVIRONMENTS, factsOf, TYPES } from '../../test/fixtures.ts';
import { EFFECTS, LIMIT_EFFECTS, LIMIT_KINDS } from '../domain/decision.ts';
import { TIERS } from '../domain/risk.ts';
import { isInWindow, parseChangeWindow } from '../policy/change-window.ts';
import { judgeLimit, type LimitFact } from '../policy/limits.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import type { AutonomyThresholds } from '../trust/trust-settings.ts';
import { decide } from './decide.ts';
import { type DecisionFacts, effectiveLevel } from './facts.ts';

const RUNS = { numRuns: 400 };

/** Conditions of every shape, including ones that throw at run time (absent fields). */
const CONDITIONS = [
  null,
  'request.params.replicas > 5',
  'size(request.targets) > 2',
  'request.confidence >= 0.9',
  'has(request.anomalyScore) && request.anomalyScore > 0.3',
  '"security" in action.domains',
  'level >= 2',
  'environment.production',
  'inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")',
  'request.targets.exists(t, t.id == "db-1")',
  'request.params.nope == 1',
];

/** Mostly `likely`, sometimes anything: keeps the execute corner reachable without losing coverage. */
function mostly<T>(likely: fc.Arbitrary<T>, any: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: likely, weight: 4 }, { arbitrary: any, weight: 1 });
}

const rule = fc.record({
  effect: mostly(fc.constant('allow' as const), fc.constantFrom(...EFFECTS)),
  types: fc.option(
    fc.subarray(['service.*', 'service.restart', 'database.migrate', '*', 'cache.flush'], { minLength: 1 }),
    {
      nil: undefined,
    },
  ),
  environments: fc.option(fc.subarray([...ENVIRONMENTS], { minLength: 1 }), { nil: undefined }),
  when: fc.constantFrom(...CONDITIONS),
});

type RuleValue = typeof rule extends fc.Arbitrary<infer T> ? T : never;

function ruleYaml(r: RuleValue, i: number): string {
  const match: string[] = [];
  if (r.types !== undefined) match.push(`types: [${r.types.map((t) => JSON.stringify(t)).join(', ')}]`);
  if (r.environments !== undefined) match.push(`environments: [${r.environments.join(', ')}]`);
  return [
    `  - name: r${i}`,
    ...(match.length > 0 ? [`    match: { ${match.join(', ')} }`] : []),
    ...(r.when === null ? [] : [`    when: ${JSON.stringify(r.when)}`]),
    `    effect: ${r.effect}`,
    `    reason: generated rule ${i}`,
  ].join('\n');
}

const bundleCache = new Map<string, PolicyBundle>();
const bundle = fc
  .tuple(fc.array(rule, { maxLength: 6 }), mostly(fc.constant('allow' as const), fc.constantFrom(...EFFECTS)))
  .map(([rules, defaultEffect]) => {
    const text = `rules:${rules.length === 0 ? ' []' : `\n${rules.map(ruleYaml).join('\n')}`}\n`;
    const key = `${defaultEffect}\n${text}`;
    let compiled = bundleCache.get(key);
    if (compiled === undefined) {
      compiled = bundleOf(text, defaultEffect);
      bundleCache.set(key, compiled);
    }
    return compiled;
  });

/** Any thresholds the config schema accepts — and some it rejects (high tiers), which must still be safe. */
const thresholds: fc.Arbitrary<AutonomyThresholds> = fc.record({
  tiers: mostly(
    fc.constant(['low', 'medium'] as const),
    fc.subarray([...TIERS], { minLength: 1 }) as fc.Arbitrary<AutonomyThresholds['tiers']>,
  ) as fc.Arbitrary<AutonomyThresholds['tiers']>,
  environments: mostly<AutonomyThresholds['environments']>(
    fc.constant('all'),
    fc.oneof(fc.constant('non-production' as const), fc.subarray([...ENVIRONMENTS], { minLength: 1 })),
  ),
  minConfidence: mostly(
    fc.double({ min: 0, max: 0.8, noNaN: true }),
    fc.double({ min: 0, max: 1, noNaN: true }),
  ),
  maxAnomalyScore: mostly(
    fc.double({ min: 0.3, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 1, noNaN: true }),
  ),
  requireVerification: fc.boolean(),
  requireChangeWindow: fc.boolean(),
});

const level = fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const);
const unit = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null });
const high = fc.double({ min: 0.8, max: 1, noNaN: true });
const low = fc.double({ min: 0, max: 0.3, noNaN: true });

/** Limit facts of every kind, passed, exceeded and unknown, as the gateway would store them. */
const limitFact: fc.Arbitrary<LimitFact> = fc
  .record({
    kind: fc.constantFrom(...LIMIT_KINDS),
    effect: fc.constantFrom(...LIMIT_EFFECTS),
    count: fc.integer({ min: 0, max: 12 }),
    max: fc.integer({ min: 1, max: 10 }),
    share: fc.double({ min: 0.01, max: 1, noNaN: true }),
    total: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
    unknown: fc.boolean(),
  })
  .map(({ kind, effect, count, max, share, total, unknown }) => {
    const base = { limit: `l-${kind}`, file: 'policies/limits.yaml', kind, effect, reason: 'generated' };
    const unread = unknown ? { unknown: true as const } : {};
    switch (kind) {
      case 'rate':
        return { ...base, key: `l-${kind}|agent=a`, observed: count, max, window: 60_000, ...unread };
      case 'in_flight':
        return { ...base, key: `l-${kind}|agent=a`, observed: count, max, ...unread };
      case 'targets':
        return { ...base, key: null, observed: count, max };
      default:
        return {
          ...base,
          key: null,
          observed: total === null ? 1 : Math.min(count, total) / total,
          max: share,
          service: 'api',
          total,
          touched: total === null ? count : Math.min(count, total),
          ...(total === null ? { unknown: true as const } : {}),
        };
    }
  });

/** Mostly none, so that execute stays reachable; else any mix. */
const limitFactsArb = mostly<readonly LimitFact[]>(fc.constant([]), fc.array(limitFact, { maxLength: 4 }));

const facts: fc.Arbitrary<DecisionFacts> = fc
  .record({
    type: fc.constantFrom(...TYPES),
    environment: fc.constantFrom(...ENVIRONMENTS),
    targets: fc.array(fc.constantFrom('api-1', 'api-2', 'db-1'), { minLength: 1, maxLength: 4 }),
    replicas: fc.integer({ min: 0, max: 50 }),
    confidence: mostly(high, unit),
    anomalyScore: mostly(low, unit),
    tier: mostly(fc.constantFrom('low' as const, 'medium' as const), fc.constantFrom(...TIERS)),
    domain: fc.constantFrom('performance' as const, 'security' as const),
    reversible: mostly(fc.constant(true), fc.boolean()),
    verified: mostly(fc.constant(true), fc.boolean()),
    suspended: mostly(fc.constant(false), fc.boolean()),
    frozen: mostly(fc.constant(false), fc.boolean()),
    granted: mostly(fc.constantFrom(2 as const, 3 as const), level),
    ceiling: mostly(fc.constant(3 as const), level),
    conditional: thresholds,
    scoped: thresholds,
    windows: fc.constantFrom([], ['Mon-Fri 08:00-18:00 Europe/Berlin'], ['daily 22:00-02:00 UTC']),
    now: fc.date({
      min: new Date('2026-01-01T00:00:00Z'),
      max: new Date('2027-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    limits: limitFactsArb,
  })
  .map((f) => ({
    ...factsOf({
      request: {
        type: f.type,
        environment: f.environment,
        targets: f.targets.map((id) => ({ id })),
        params: { replicas: f.replicas },
        confidence: f.confidence,
        anomalyScore: f.anomalyScore,
      },
      action: {
        type: f.type,
        tier: f.tier,
        domains: [f.domain],
        reversible: f.reversible,
        verified: f.verified,
      },
      agent: { suspended: f.suspended },
      environment: {
        name: f.environment,
        production: f.environment === 'production',
        changeWindows: f.windows,
      },
      trust: { granted: f.granted, ceiling: f.ceiling },
      thresholds: { conditional: f.conditional, scoped: f.scoped },
      frozen: f.frozen,
      now: f.now.toISOString(),
    }),
    limits: f.limits,
  }));

const exceeded = (f: DecisionFacts, effect?: LimitFact['effect']) =>
  (f.limits ?? []).some((l) => judgeLimit(l).exceeded && (effect === undefined || l.effect === effect));

describe('invariant 1: deny wins', () => {
  it('a matching deny rule always ends in deny, whatever else matches', () => {
    fc.assert(
      fc.property(facts, fc.array(rule, { maxLength: 5 }), (f, others) => {
        const deny = `  - name: stop\n    match: { types: [${f.request.type}], environments: [${f.request.environment}] }\n    effect: deny\n    reason: stop`;
        const text = `rules:\n${[...others.map(ruleYaml), deny].join('\n')}\n`;
        assert.equal(decide(f, bundleOf(text)).effect, 'deny');
      }),
      { numRuns: 150 },
    );
  });

  it('an exceeded deny limit always ends in deny, whatever the rules and the level', () => {
    const deny: LimitFact = {
      limit: 'blast-radius',
      file: 'policies/limits.yaml',
      kind: 'targets',
      effect: 'deny',
      reason: 'too many',
      key: null,
      observed: 11,
      max: 10,
    };
    fc.assert(
      fc.property(facts, bundle, fc.nat(), (f, b, at) => {
        const others = f.limits ?? [];
        const limits = [
          ...others.slice(0, at % (others.length + 1)),
          deny,
          ...others.slice(at % (others.length + 1)),
        ];
        const decision = decide({ ...f, limits }, b);
        assert.equal(decision.effect, 'deny');
        assert.equal(decision.policyEffect, 'deny');
      }),
      RUNS,
    );
  });

  it('an exceeded limit never executes; an exceeded deny limit always denies', () => {
    let seen = 0;
    fc.assert(
      fc.property(facts, bundle, (f, b) => {
        const decision = decide(f, b);
        if (exceeded(f)) {
          seen += 1;
          assert.notEqual(decision.effect, 'execute');
          assert.notEqual(decision.policyEffect, 'allow');
        }
        if (exceeded(f, 'deny')) assert.equal(decision.effect, 'deny');
        const limitReasons = decision.reasons.filter((r) => r.kind === 'limit');
        assert.equal(limitReasons.length, f.limits?.length ?? 0, 'one reason per limit fact');
      }),
      RUNS,
    );
    assert.ok(seen > 20, `only ${seen} generated cases exceeded a limit`);
  });

  it('a suspended agent is always denied', () => {
    fc.assert(
      fc.property(facts, bundle, (f, b) => {
        assert.equal(decide({ ...f, agent: { ...f.agent, suspended: true } }, b).effect, 'deny');
      }),
      RUNS,
    );
  });

  it('frozen autonomy never executes', () => {
    fc.assert(
      fc.property(facts, bundle, (f, b) => {
        assert.notEqual(decide({ ...f, frozen: true }, b).effect, 'execute');
      }),
      RUNS,
    );
  });

  it('a failed cap or a rule that could not be evaluated never executes', () => {
    fc.assert(
      fc.property(facts, bundle, (f, b) => {
        const decision = decide(f, b);
        const failed = decision.reasons.some(
          (r) => (r.kind === 'cap' && !r.passed) || r.kind === 'rule_error',
        );
        if (failed) assert.notEqual(decision.effect, 'execute');
        const brokenDeny = decision.reasons.some((r) => r.kind === 'rule_error' && r.effect === 'deny');
        if (brokenDeny) assert.equal(decision.effect, 'deny');
      }),
      RUNS,
    );
  });
});

describe('invariant 2: level 0 never executes; level 1 never executes without a human', () => {
  it('at level 0 the decision is advise or deny; at level 1 escalate or deny', () => {
    fc.assert(
      fc.property(facts, bundle, (f, b) => {
        const decision = decide(f, b);
        const levelInForce = effectiveLevel(f);
        assert.equal(decision.trustLevel, levelInForce);
        if (levelInForce === 0) assert.ok(['advise', 'deny'].includes(decision.effect), decision.effect);
        if (levelInForce === 1) assert.ok(['escalate', 'deny'].includes(decision.effect), decision.effect);
      }),
      RUNS,
    );
  });
});

describe('invariant 3: nothing executes autonomously beyond what its level allows', () => {
  it('every execute decision satisfies the level table, checked from the facts alone', () => {
    let executed = 0;
    fc.assert(
      fc.property(facts, bundle, (f, b) => {
        const decision = decide(f, b);
        if (decision.effect !== 'execute') return;
        executed += 1;
        const levelInForce = effectiveLevel(f);
        assert.ok(levelInForce >= 2, 'level 2 or 3');
        const t = levelInForce === 2 ? f.thresholds.conditional : f.thresholds.scoped;
        assert.equal(decision.policyEffect, 'allow');
        assert.ok(!exceeded(f), 'within every limit');
        assert.ok(!f.agent.suspended && !f.frozen);
        assert.ok(
          f.action.tier === 'low' || f.action.tier === 'medium',
          `never ${f.action.tier} without a human`,
        );
        assert.ok((t.tiers as readonly string[]).includes(f.action.tier));
        assert.ok(f.action.reversible, 'never irreversible');
        if (t.environments === 'non-production') assert.ok(!f.environment.production);
        if (Array.isArray(t.environments)) assert.ok(t.environments.includes(f.environment.name));
        assert.ok(f.request.confidence !== null && f.request.confidence >= t.minConfidence);
        assert.ok(f.request.anomalyScore !== null && f.request.anomalyScore <= t.maxAnomalyScore);
        if (t.requireVerification) assert.ok(f.action.verified);
        if (t.requireChangeWindow && f.environment.changeWindows.length > 0) {
          const open = f.environment.changeWindows.some((w) => {
            const parsed = parseChangeWindow(w);
            return parsed.ok && isInWindow(parsed.window, new Date(f.now));
          });
          assert.ok(open, 'inside a change window');
        }
      }),
      { numRuns: 3_000 },
    );
    // The property is vacuous unless a fair share of generated cases do execute.
    assert.ok(executed > 100, `only ${executed} generated cases executed`);
  });
});
