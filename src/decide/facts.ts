/** The facts a decision is made from. Stored verbatim with the decision, so that replay sees exactly them. */

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
  /** Autonomous execution halted for this agent or globally. */
  readonly frozen: boolean;
  /** Why, when frozen: who froze it (or the calendar) and their reason. */
  readonly freeze?: { readonly source: string; readonly by: string; readonly reason: string } | undefined;
  /** ISO 8601 time of the decision. */
  readonly now: string;
}

export function effectiveLevel(facts: DecisionFacts): TrustLevel {
  return Math.min(facts.trust.granted, facts.trust.ceiling) as TrustLevel;
}
