/** The facts a decision is made from. Stored verbatim with the decision, so that replay sees exactly them. */

import type { CatalogEntry } from '../catalog/catalog.ts';
import type { ActionRequest } from '../domain/action.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { RiskDomain, Tier } from '../domain/risk.ts';
import type { LimitFact } from '../policy/limits.ts';
import type { LevelThresholds } from '../trust/trust-settings.ts';

export interface DecisionFacts {
  readonly request: ActionRequest;
  readonly action: {
    readonly type: string;
    readonly tier: Tier;
    readonly domains: readonly RiskDomain[];
    readonly reversible: boolean;
    /** The action type declares verification checks. */
    readonly verified: boolean;
  };
  readonly agent: {
    readonly id: string;
    readonly owner: string;
    readonly suspended: boolean;
  };
  readonly environment: {
    readonly name: string;
    readonly production: boolean;
    readonly changeWindows: readonly string[];
  };
  readonly trust: {
    /** The level of the most specific matching grant (0 when none). */
    readonly granted: TrustLevel;
    /** The agent's ceiling from config; the level in force is min(granted, ceiling). */
    readonly ceiling: TrustLevel;
    /** The scope that granted the level, e.g. `service.*@staging`, or null. */
    readonly scope: string | null;
  };
  readonly thresholds: LevelThresholds;
  /** Set when a person proposed these params as a revision of another action. */
  readonly revision?: { readonly of: string; readonly by: string } | undefined;
  /**
   * The policy limits checked for this action, with what was counted (see policy/limits.ts).
   * Absent in facts stored before limits existed.
   */
  readonly limits?: readonly LimitFact[] | undefined;
  /**
   * The agent's calibration for this scope when decided: how its stated confidence maps to the
   * success rate observed. Absent in facts stored before calibration existed.
   */
  readonly calibration?: CalibrationFact | undefined;
  /** Autonomous execution halted for this agent or globally. */
  readonly frozen: boolean;
  /** Why, when frozen: who froze it (or the calendar) and their reason. */
  readonly freeze?: { readonly source: string; readonly by: string; readonly reason: string } | undefined;
  /** ISO 8601 time of the decision. */
  readonly now: string;
}

export interface CalibrationFact {
  /** The scope the evidence was drawn from, e.g. `service.*@staging`. */
  readonly scope: string;
  /** Labelled outcomes with a stated confidence in the evidence window. */
  readonly n: number;
  /** Outcomes needed before the stated confidence is mapped. */
  readonly minEvidence: number;
  /** The isotonic curve (stated → observed), or null with too little evidence. */
  readonly knots: readonly (readonly [number, number])[] | null;
  /** The stated confidence through the curve; null when uncalibrated or none was stated. */
  readonly calibrated: number | null;
}

/** The confidence the level thresholds use: calibrated when the evidence suffices, else the stated one. */
export function confidenceInForce(facts: DecisionFacts): {
  readonly value: number | null;
  readonly basis: 'calibrated' | 'stated';
} {
  const calibrated = facts.calibration?.calibrated ?? null;
  return calibrated === null
    ? { value: facts.request.confidence, basis: 'stated' }
    : { value: calibrated, basis: 'calibrated' };
}

/** What a decision knows of the action's type, from its catalog entry. */
export function actionFacts(entry: CatalogEntry): DecisionFacts['action'] {
  return {
    type: entry.type,
    tier: entry.tier,
    domains: entry.domains,
    reversible: entry.reversible,
    verified: (entry.verification?.checks.length ?? 0) > 0,
  };
}

export function effectiveLevel(facts: DecisionFacts): TrustLevel {
  return Math.min(facts.trust.granted, facts.trust.ceiling) as TrustLevel;
}
