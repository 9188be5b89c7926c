/**
 * decide(facts, bundle) → decision: the pure heart of Airlock. Policy effects and limits, then the
 * agent's state, then the level's caps; deny wins, and anything not clearly allowed goes to a human.
 */

import {
  type Decision,
  type DecisionEffect,
  type Effect,
  type Reason,
  strictestEffect,
} from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import { judgeLimit, type LimitFact } from '../policy/limits.ts';
import type { PolicyBundle, PolicyInput } from '../policy/policy-bundle.ts';
import { evaluatePolicy } from '../policy/policy-evaluator.ts';
import { checkCaps } from '../trust/level-caps.ts';
import { confidenceInForce, type DecisionFacts, effectiveLevel } from './facts.ts';

/**
 * Decide what Airlock does with an action.
 *
 * @example
 * const decision = decide(facts, bundle);
 * decision.effect;  // 'execute' | 'advise' | 'escalate' | 'deny'
 * decision.reasons; // every rule matched, every limit checked and every cap applied, passed or not
 */
export function decide(facts: DecisionFacts, bundle: PolicyBundle): Decision {
  const level = effectiveLevel(facts);
  const policy = evaluatePolicy(bundle, policyInput(facts));
  const limits = judgeLimits(facts.limits ?? []);
  // An exceeded limit counts like a matching rule with its effect: deny > escalate > allow.
  const policyEffect = limits.effect === null ? policy.effect : strictestEffect(policy.effect, limits.effect);
  const reasons: Reason[] = [];
  const finish = (effect: DecisionEffect): Decision => ({
    effect,
    policyEffect,
    reasons,
    trustLevel: level,
    policyVersion: bundle.hash,
    route: namedRoute(policy.reasons),
  });

  if (facts.agent.suspended) {
    reasons.push({ kind: 'agent_suspended', message: `agent ${facts.agent.id} is suspended` });
  }
  reasons.push(...policy.reasons, ...limits.reasons);
  if (facts.agent.suspended || policyEffect === 'deny') return finish('deny');

  if (facts.revision !== undefined && level > 0) {
    const { of, by } = facts.revision;
    reasons.push({
      kind: 'revision',
      of,
      by,
      message: `${by} changed the params of ${of}; a revision always needs its own approval`,
    });
    return finish('escalate');
  }
  if (level === 0) {
    reasons.push(cap('level_advisory', 'level 0 (advisory): recorded as a recommendation, never executed'));
    return finish('advise');
  }
  if (level === 1) {
    reasons.push(cap('level_assisted', 'level 1 (assisted): every action needs a human approval'));
    return finish('escalate');
  }
  if (policyEffect === 'escalate') return finish('escalate');

  if (facts.frozen) {
    const why =
      facts.freeze === undefined
        ? ''
        : ` (${facts.freeze.source} freeze by ${facts.freeze.by}: ${facts.freeze.reason})`;
    reasons.push({ kind: 'frozen', message: `autonomous execution is frozen${why}; a human must approve` });
    return finish('escalate');
  }
  const caps = checkCaps({
    level,
    thresholds: level === 2 ? facts.thresholds.conditional : facts.thresholds.scoped,
    tier: facts.action.tier,
    reversible: facts.action.reversible,
    verified: facts.action.verified,
    environment: facts.environment,
    ...confidenceCap(facts),
    anomalyScore: facts.request.anomalyScore,
    now: new Date(facts.now),
  });
  reasons.push(...caps);
  const blocked = caps.some((c) => !c.passed);
  return finish(blocked ? 'escalate' : 'execute');
}

/** The confidence the caps check, and a note saying whether it is stated or calibrated, and why. */
function confidenceCap(facts: DecisionFacts) {
  const { value, basis } = confidenceInForce(facts);
  const c = facts.calibration;
  const note =
    c === undefined
      ? null
      : basis === 'calibrated'
        ? `stated ${facts.request.confidence}, calibrated on ${c.n} outcomes of ${c.scope}`
        : c.knots === null
          ? `uncalibrated: ${c.n} of ${c.minEvidence} outcomes of ${c.scope} needed`
          : null;
  return { confidence: value, confidenceBasis: { basis, note } };
}

/** One reason per limit fact, passed or not, and the strictest effect of those exceeded (null: none). */
function judgeLimits(facts: readonly LimitFact[]): { reasons: Reason[]; effect: Effect | null } {
  const reasons: Reason[] = [];
  let effect: Effect | null = null;
  for (const fact of facts) {
    const { exceeded, message } = judgeLimit(fact);
    // Facts are stored data: anything but deny counts as escalate, never as allow.
    const limitEffect = fact.effect === 'deny' ? 'deny' : 'escalate';
    if (exceeded) effect = effect === null ? limitEffect : strictestEffect(effect, limitEffect);
    reasons.push({
      kind: 'limit',
      limit: fact.limit,
      file: fact.file,
      limitKind: fact.kind,
      effect: limitEffect,
      passed: !exceeded,
      message: exceeded ? `${message}: ${fact.reason}` : message,
    });
  }
  return { reasons, effect };
}

function namedRoute(reasons: readonly Reason[]): string | null {
  for (const reason of reasons) {
    if (reason.kind === 'rule' && reason.effect === 'escalate' && reason.route !== undefined)
      return reason.route;
  }
  return null;
}

function cap(code: 'level_advisory' | 'level_assisted', message: string): Reason {
  return { kind: 'cap', code, passed: false, message };
}

/** What CEL conditions see. Absent optional request fields are left out, so `has()` works. */
export function policyInput(facts: DecisionFacts): PolicyInput {
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts.request)) if (value !== null) request[key] = value;
  const calibrated = facts.calibration?.calibrated ?? null;
  if (calibrated !== null) request.calibratedConfidence = calibrated;
  return {
    request: request as JsonObject,
    action: facts.action as unknown as JsonObject,
    agent: { id: facts.agent.id, owner: facts.agent.owner },
    environment: { name: facts.environment.name, production: facts.environment.production },
    level: effectiveLevel(facts),
    now: new Date(facts.now),
  };
}
