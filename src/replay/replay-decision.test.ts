/** replayDecision: candidate bundles and trust over recorded facts — rules, limits (recorded, changed, never counted), thresholds, grants, calibration. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blanket, bundleOf, factsOf } from '../../test/fixtures.ts';
import { decide } from '../decide/decide.ts';
import type { DecisionFacts } from '../decide/facts.ts';
import type { LimitFact } from '../policy/limits.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import { trustSettingsSchema } from '../trust/trust-settings.ts';
import type { CandidateTrust, Refit } from './candidate-trust.ts';
import { type Candidate, type RecordedDecision, replayDecision, sameDecision } from './replay-decision.ts';

const allow = bundleOf(blanket('allow', 'restarts-ok'));
const NO_INVENTORY = new Map<string, number>();

/** A decision as the store gives it back: decided on `facts` with `bundle`, through JSON. */
function recordedOf(facts: DecisionFacts, bundle: PolicyBundle, id = 'act_1'): RecordedDecision {
  return JSON.parse(
    JSON.stringify({
      id,
      agentId: facts.agent.id,
      type: facts.request.type,
      environment: facts.request.environment,
      createdAt: facts.now,
      facts,
      decision: decide(facts, bundle),
    }),
  ) as RecordedDecision;
}

function candidate(bundle: PolicyBundle, trust: CandidateTrust | null = null): Candidate {
  return { bundle, trust, inventory: NO_INVENTORY };
}

function replayed(outcome: ReturnType<typeof replayDecision>) {
  if (outcome.kind !== 'replayed') assert.fail(`skipped: ${outcome.reason}`);
  return outcome;
}

const rateFact = (observed: number): LimitFact => ({
  limit: 'restart-rate',
  file: 'policies/p0.yaml',
  kind: 'rate',
  effect: 'escalate',
  reason: 'slow down',
  key: 'restart-rate|agent=triage-bot|type=service.restart',
  observed,
  max: 5,
  window: 3_600_000,
});

const rateLimit = (count: number, per = '1h', name = 'restart-rate') => `limits:
  - name: ${name}
    match: { types: [service.restart] }
    rate: { count: ${count}, per: ${per}, by: [agent, type] }
    effect: escalate
    reason: slow down
`;

function trust(
  settings: Record<string, unknown> | null,
  grants: CandidateTrust['grants'] = new Map(),
): CandidateTrust {
  const parsed = settings === null ? null : trustSettingsSchema.parse(settings);
  return { settings: parsed, window: parsed?.window ?? 90 * 86_400_000, windowChanged: false, grants };
}

describe('replayDecision: bundles', () => {
  it('the recording bundle decides every recorded decision exactly as recorded', () => {
    const bundle = bundleOf([blanket('allow', 'restarts-ok'), rateLimit(5)]);
    for (const facts of [
      { ...factsOf(), limits: [rateFact(2)] },
      { ...factsOf(), limits: [rateFact(5)] },
      factsOf({ trust: { granted: 0 } }),
      factsOf({ frozen: true }),
    ]) {
      const recorded = recordedOf(facts, bundle);
      const outcome = replayed(replayDecision(recorded, candidate(bundle)));
      assert.equal(outcome.diff.change, 'unchanged');
      assert.ok(sameDecision(outcome.before, outcome.after));
      assert.deepEqual(JSON.parse(JSON.stringify(outcome.after)), recorded.decision);
    }
  });

  it('a new deny rule makes a decision stricter and is named as newly matched', () => {
    const next = bundleOf([blanket('allow', 'restarts-ok'), blanket('deny', 'freeze-restarts')]);
    const outcome = replayed(replayDecision(recordedOf(factsOf(), allow), candidate(next)));
    assert.equal(outcome.diff.change, 'stricter');
    assert.deepEqual([outcome.before.effect, outcome.after.effect], ['execute', 'deny']);
    assert.deepEqual(outcome.diff.newlyMatched, ['freeze-restarts']);
    assert.deepEqual(outcome.unrecorded, []);
  });

  it('dropping an escalate rule makes a decision looser and is named as no longer matched', () => {
    const before = bundleOf([blanket('allow', 'restarts-ok'), blanket('escalate', 'ask-first')]);
    const outcome = replayed(replayDecision(recordedOf(factsOf(), before), candidate(allow)));
    assert.equal(outcome.diff.change, 'looser');
    assert.deepEqual(outcome.diff.noLongerMatched, ['ask-first']);
  });
});

describe('replayDecision: limits', () => {
  const recordedBundle = bundleOf([blanket('allow', 'restarts-ok'), rateLimit(5)]);

  it('a lowered rate limit is judged against the count recorded', () => {
    const recorded = recordedOf({ ...factsOf(), limits: [rateFact(3)] }, recordedBundle);
    assert.equal(recorded.decision.effect, 'execute');
    const outcome = replayed(
      replayDecision(recorded, candidate(bundleOf([blanket('allow', 'restarts-ok'), rateLimit(3)]))),
    );
    assert.equal(outcome.after.effect, 'escalate');
    assert.deepEqual(outcome.diff.newlyMatched, ['limit:restart-rate']);
    assert.deepEqual(outcome.unrecorded, [], 'the counter was recorded: a real tightening');
    assert.equal(outcome.restsOnUnrecorded, false);
    const raised = replayed(
      replayDecision(
        recordedOf({ ...factsOf(), limits: [rateFact(5)] }, recordedBundle),
        candidate(bundleOf([blanket('allow', 'restarts-ok'), rateLimit(10)])),
      ),
    );
    assert.deepEqual([raised.before.effect, raised.after.effect], ['escalate', 'execute']);
    assert.deepEqual(raised.diff.noLongerMatched, ['limit:restart-rate']);
  });

  it('a new limit whose counter was never recorded fails closed and is reported as unrecorded', () => {
    const next = bundleOf([
      blanket('allow', 'restarts-ok'),
      rateLimit(5),
      rateLimit(100, '1d', 'daily-restarts'),
    ]);
    const outcome = replayed(
      replayDecision(recordedOf({ ...factsOf(), limits: [rateFact(0)] }, recordedBundle), candidate(next)),
    );
    assert.equal(outcome.after.effect, 'escalate', 'unknown counts as exceeded, as decide does');
    assert.deepEqual(outcome.unrecorded, ['daily-restarts']);
    assert.equal(outcome.restsOnUnrecorded, true, 'stricter only because the count is unknown');
    const reason = outcome.after.reasons.find((r) => r.kind === 'limit' && r.limit === 'daily-restarts');
    assert.match(reason?.message ?? '', /could not be counted; counted as exceeded/);
  });

  it('a limit counted over another window, or of another kind, was not recorded', () => {
    const recorded = recordedOf({ ...factsOf(), limits: [rateFact(0)] }, recordedBundle);
    const longer = replayed(
      replayDecision(recorded, candidate(bundleOf([blanket('allow', 'restarts-ok'), rateLimit(5, '2h')]))),
    );
    assert.deepEqual(longer.unrecorded, ['restart-rate']);
    const inFlight = bundleOf([
      blanket('allow', 'restarts-ok'),
      `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    inFlight: { max: 2, by: [agent, type] }
    effect: escalate
    reason: slow down
`,
    ]);
    assert.deepEqual(replayed(replayDecision(recorded, candidate(inFlight))).unrecorded, ['restart-rate']);
  });

  it('a new target or share limit is computed from the request and the recorded service size', () => {
    const facts: DecisionFacts = {
      ...factsOf({
        request: {
          targets: [
            { id: 'api-1', service: 'api' },
            { id: 'api-2', service: 'api' },
          ],
        },
      }),
      limits: [
        {
          limit: 'api-share',
          file: 'policies/p1.yaml',
          kind: 'fraction',
          effect: 'escalate',
          reason: 'half at most',
          key: null,
          observed: 0.2,
          max: 0.5,
          service: 'api',
          total: 10,
          touched: 2,
        },
      ],
    };
    const limits = (max: number) => `limits:
  - name: api-share
    match: { types: [service.restart] }
    fraction: { max: ${max} }
    effect: escalate
    reason: half at most
  - name: two-targets
    match: { types: [service.restart] }
    targets: { max: 1 }
    effect: deny
    reason: one at a time
`;
    const recorded = recordedOf(facts, bundleOf([blanket('allow', 'restarts-ok'), limits(0.5)]));
    const outcome = replayed(
      replayDecision(recorded, {
        bundle: bundleOf([blanket('allow', 'restarts-ok'), limits(0.1)]),
        trust: null,
        // The inventory has changed since; the size recorded at the time wins.
        inventory: new Map([['api', 4]]),
      }),
    );
    assert.deepEqual([...outcome.diff.newlyMatched].sort(), ['limit:api-share', 'limit:two-targets']);
    assert.equal(outcome.after.effect, 'deny');
    const share = outcome.after.reasons.find((r) => r.kind === 'limit' && r.limit === 'api-share');
    assert.match(share?.message ?? '', /2 of 10 api instances \(20%\) > 10%/);
    assert.deepEqual(outcome.unrecorded, []);
  });
});

describe('replayDecision: trust', () => {
  it('stricter thresholds replace the recorded ones; a candidate grant replaces the recorded level', () => {
    const recorded = recordedOf(factsOf({ request: { confidence: 0.85 } }), allow);
    assert.equal(recorded.decision.effect, 'execute');
    const strict = trust({
      levels: {
        conditional: {
          tiers: ['low'],
          environments: 'non-production',
          minConfidence: 0.9,
          maxAnomalyScore: 0.5,
          requireVerification: false,
          requireChangeWindow: false,
        },
      },
    });
    const outcome = replayed(replayDecision(recorded, candidate(allow, strict)));
    assert.equal(outcome.after.effect, 'escalate');
    assert.equal(outcome.diff.change, 'stricter');
    assert.deepEqual(outcome.diff.newlyMatched, [], 'no rule changed: a cap did');

    const demoted = trust(
      null,
      new Map([['triage-bot', [{ typePattern: 'service.*', environment: 'staging', level: 0 }]]]),
    );
    const advise = replayed(replayDecision(recorded, candidate(allow, demoted)));
    assert.deepEqual([advise.after.effect, advise.after.trustLevel], ['advise', 0]);
    const other = trust(null, new Map([['other-bot', [{ typePattern: '*', environment: '*', level: 0 }]]]));
    assert.equal(replayed(replayDecision(recorded, candidate(allow, other))).diff.change, 'unchanged');
  });

  it('a ceiling in the candidate trust section caps the recorded level', () => {
    const recorded = recordedOf(factsOf(), allow);
    const capped = trust({ ceilings: { 'triage-bot': 1 } });
    const outcome = replayed(replayDecision(recorded, candidate(allow, capped)));
    assert.deepEqual([outcome.after.effect, outcome.after.trustLevel], ['escalate', 1]);
  });

  describe('calibration', () => {
    const calibrated = (n: number, knots: [number, number][] | null): DecisionFacts => ({
      ...factsOf({ request: { confidence: 0.95 } }),
      calibration: {
        scope: 'service.*@*',
        n,
        minEvidence: 30,
        knots,
        calibrated: knots === null ? null : 0.5,
      },
    });

    it('a minimum above the evidence makes a calibrated scope uncalibrated (the stated confidence counts)', () => {
      const recorded = recordedOf(calibrated(40, [[0.95, 0.5]]), allow);
      assert.equal(recorded.decision.effect, 'escalate', 'calibrated 0.5 < 0.8');
      const outcome = replayed(
        replayDecision(recorded, candidate(allow, trust({ calibration: { minEvidence: 50 } }))),
      );
      assert.equal(outcome.after.effect, 'execute');
      assert.equal(outcome.diff.change, 'looser');
      const kept = replayed(
        replayDecision(recorded, candidate(allow, trust({ calibration: { minEvidence: 20 } }))),
      );
      assert.equal(kept.diff.change, 'unchanged', 'enough evidence still: the recorded curve stands');
    });

    it('a minimum below what an uncalibrated scope had refits from the evidence, or skips without it', () => {
      const recorded = recordedOf(calibrated(12, null), allow);
      assert.equal(recorded.decision.effect, 'execute');
      const lower = trust({ calibration: { minEvidence: 10 } });
      const skipped = replayDecision(recorded, candidate(allow, lower));
      assert.equal(skipped.kind, 'skipped');
      assert.match(
        skipped.kind === 'skipped' ? skipped.reason : '',
        /calibration of service\.\*@\* needs refitting/,
      );
      const calls: unknown[] = [];
      const refit: Refit = (...args) => {
        calls.push(args);
        return { n: 12, knots: [[0.95, 0.25]] };
      };
      const outcome = replayed(replayDecision(recorded, candidate(allow, lower), refit));
      assert.deepEqual(calls, [
        [
          'triage-bot',
          { typePattern: 'service.*', environment: '*' },
          '2026-11-24T09:00:00.000Z',
          10,
          90 * 86_400_000,
        ],
      ]);
      assert.equal(outcome.after.effect, 'escalate');
      assert.ok(
        outcome.after.reasons.some(
          (r) => r.kind === 'cap' && r.code === 'confidence' && r.basis === 'calibrated',
        ),
      );
    });
  });
});

describe('replayDecision: what cannot be replayed', () => {
  it('facts stored before a field existed are skipped with the field named', () => {
    const recorded = recordedOf(factsOf(), allow);
    const facts = structuredClone(recorded.facts) as { action: Record<string, unknown> };
    delete facts.action.verified;
    const outcome = replayDecision({ ...recorded, facts }, candidate(allow));
    assert.deepEqual(
      outcome.kind === 'skipped' ? outcome.reason : null,
      'the facts lack action.verified (stored before it existed?)',
    );
    const none = replayDecision({ ...recorded, facts: null }, candidate(allow));
    assert.equal(none.kind, 'skipped');
  });
});
