/**
 * Candidate trust for replay: other thresholds, ceilings and calibration settings, and grants that
 * override an agent's recorded level, applied to the facts a decision was made from. Pure.
 */

import type { CalibrationFact, DecisionFacts } from '../decide/facts.ts';
import type { TrustLevel } from '../domain/levels.ts';
import { calibrate, type ScopeCurve } from '../trust/calibration.ts';
import type { ScopePattern } from '../trust/evidence.ts';
import { formatScope, type Grant, parseScope, resolveLevel } from '../trust/scope.ts';
import { ceilingFor, type TrustSettings } from '../trust/trust-settings.ts';

/** A grant in a candidate trust file: the agent's level for a scope, instead of the recorded one. */
export interface CandidateGrant extends Grant {
  readonly agentId: string;
}

export interface CandidateTrust {
  /**
   * The trust section, in full: its thresholds and ceilings replace the recorded ones, its
   * calibration minimum and window re-evaluate the calibration. null: keep what was recorded.
   */
  readonly settings: TrustSettings | null;
  /** The evidence window calibration is refitted over: the settings', else the project's. */
  readonly window: number;
  /** `window` differs from the one the decisions were made with (every curve is refitted). */
  readonly windowChanged: boolean;
  /** Per agent: the candidate grants; where one matches an action, its level replaces the recorded. */
  readonly grants: ReadonlyMap<string, readonly Grant[]>;
}

/**
 * Fits a scope's calibration curve from the agent's evidence in the `window` ms up to `at`; null
 * when the evidence is not at hand (the decision is then skipped, not guessed).
 */
export type Refit = (
  agentId: string,
  scope: ScopePattern,
  at: string,
  minEvidence: number,
  window: number,
) => ScopeCurve | null;

/** Thrown for a decision whose candidate facts cannot be derived; replay skips it with this reason. */
export class CannotReplay extends Error {
  override readonly name = 'CannotReplay';
}

/** The grant among the candidate's that decides this action, or null when none matches. */
function candidateGrant(trust: CandidateTrust, facts: DecisionFacts): Grant | null {
  const grants = trust.grants.get(facts.agent.id);
  if (grants === undefined) return null;
  return resolveLevel(grants, facts.request.type, facts.request.environment).grant;
}

/**
 * Whether the candidate needs the agent's evidence to refit this decision's calibration: the
 * window changed, the minimum dropped to what an uncalibrated scope already has, or another
 * grant (so another scope) decides.
 */
export function needsRefit(facts: DecisionFacts, trust: CandidateTrust | null): boolean {
  const recorded = facts.calibration;
  if (trust === null || recorded === undefined) return false;
  const grant = candidateGrant(trust, facts);
  if (grant !== null && formatScope(grant.typePattern, grant.environment) !== recorded.scope) return true;
  if (trust.windowChanged) return true;
  return (
    trust.settings !== null && recorded.knots === null && recorded.n >= trust.settings.calibration.minEvidence
  );
}

/**
 * The facts with the candidate trust applied: level and scope from a matching candidate grant,
 * thresholds and ceiling from the candidate settings, and the calibration re-evaluated.
 *
 * @example
 * const trust = { settings, window: settings.window, windowChanged: false, grants: new Map() };
 * withCandidateTrust(recorded, trust, null).thresholds; // settings.levels
 * @throws CannotReplay when the calibration needs refitting and `refit` has no evidence for it.
 */
export function withCandidateTrust(
  facts: DecisionFacts,
  trust: CandidateTrust | null,
  refit: Refit | null,
): DecisionFacts {
  if (trust === null) return facts;
  const grant = candidateGrant(trust, facts);
  const { settings } = trust;
  if (grant === null && settings === null) return facts;
  const level: TrustLevel = grant?.level ?? facts.trust.granted;
  const scope = grant === null ? facts.trust.scope : formatScope(grant.typePattern, grant.environment);
  const calibration = candidateCalibration(facts, trust, grant, refit);
  return {
    ...facts,
    trust: {
      granted: level,
      ceiling: settings === null ? facts.trust.ceiling : ceilingFor(settings, facts.agent.id),
      scope,
    },
    thresholds: settings === null ? facts.thresholds : settings.levels,
    calibration,
  };
}

function candidateCalibration(
  facts: DecisionFacts,
  trust: CandidateTrust,
  grant: Grant | null,
  refit: Refit | null,
): CalibrationFact | undefined {
  const recorded = facts.calibration;
  // Facts stored before calibration existed: nothing to re-evaluate.
  if (recorded === undefined) return undefined;
  const minEvidence = trust.settings?.calibration.minEvidence ?? recorded.minEvidence;
  let curve: ScopeCurve;
  let scopeText = recorded.scope;
  if (needsRefit(facts, trust)) {
    // The deciding grant's scope, as the gateway draws it; the recorded one when no candidate grant decides.
    const scope = grant ?? parseScope(recorded.scope);
    if (scope === null)
      throw new CannotReplay(`the recorded calibration scope "${recorded.scope}" is not a scope`);
    scopeText = formatScope(scope.typePattern, scope.environment);
    const fitted = refit === null ? null : refit(facts.agent.id, scope, facts.now, minEvidence, trust.window);
    if (fitted === null)
      throw new CannotReplay(`the calibration of ${scopeText} needs refitting from evidence not at hand`);
    curve = fitted;
  } else if (minEvidence === recorded.minEvidence) {
    return recorded;
  } else {
    curve = recorded.n < minEvidence ? { n: recorded.n, knots: null } : recorded;
  }
  const stated = facts.request.confidence;
  return {
    scope: scopeText,
    n: curve.n,
    minEvidence,
    knots: curve.knots,
    calibrated:
      curve.knots === null || stated === null ? null : calibrate({ knots: curve.knots, n: curve.n }, stated),
  };
}
