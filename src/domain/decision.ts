/** Decisions: what a policy rule says (effect) and what Airlock does (decision), with every reason. */

import type { TrustLevel } from './levels.ts';

/** What a policy rule says. Ordered from most to least permissive. */
export const EFFECTS = ['allow', 'escalate', 'deny'] as const;
export type Effect = (typeof EFFECTS)[number];

/** deny > escalate > allow. */
export function strictestEffect(a: Effect, b: Effect): Effect {
  return EFFECTS.indexOf(a) >= EFFECTS.indexOf(b) ? a : b;
}

/** What Airlock does with an action. */
export const DECISION_EFFECTS = ['advise', 'execute', 'escalate', 'deny'] as const;
export type DecisionEffect = (typeof DECISION_EFFECTS)[number];

/** The codes of level caps and thresholds, each of which can pass or fail. */
export const CAP_CODES = [
  'level_advisory',
  'level_assisted',
  'human_only_tier',
  'irreversible',
  'tier',
  'environment',
  'verification',
  'confidence',
  'anomaly_score',
  'change_window',
] as const;
export type CapCode = (typeof CAP_CODES)[number];

/** What a limit in a policy file bounds: uses per window, targets per action, share of a service, changes in flight. */
export const LIMIT_KINDS = ['rate', 'targets', 'fraction', 'in_flight'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

/** What an exceeded limit does; a limit only ever tightens a decision, so never `allow`. */
export const LIMIT_EFFECTS = ['escalate', 'deny'] as const;
export type LimitEffect = (typeof LIMIT_EFFECTS)[number];

/** One reason a decision came out the way it did. */
export type Reason =
  | {
      readonly kind: 'rule';
      readonly rule: string;
      readonly file: string;
      readonly effect: Effect;
      readonly message: string;
      /** The approval route an escalating rule names. */
      readonly route?: string;
    }
  | {
      /** A rule whose condition failed to evaluate; counted at least as `escalate` (fail closed). */
      readonly kind: 'rule_error';
      readonly rule: string;
      readonly file: string;
      readonly effect: Effect;
      readonly message: string;
    }
  | { readonly kind: 'default'; readonly effect: Effect; readonly message: string }
  | { readonly kind: 'agent_suspended'; readonly message: string }
  | { readonly kind: 'frozen'; readonly message: string }
  /** A person proposed changed params for another action: this revision needs its own approval. */
  | { readonly kind: 'revision'; readonly of: string; readonly by: string; readonly message: string }
  | {
      /** One check of a policy limit, passed or not; an exceeded one counts like a matching rule. */
      readonly kind: 'limit';
      readonly limit: string;
      readonly file: string;
      readonly limitKind: LimitKind;
      readonly effect: LimitEffect;
      readonly passed: boolean;
      readonly message: string;
    }
  | {
      readonly kind: 'cap';
      readonly code: CapCode;
      readonly passed: boolean;
      readonly message: string;
      /** For the confidence cap: whether the stated or the calibrated confidence was used. */
      readonly basis?: 'stated' | 'calibrated';
    };

export interface Decision {
  readonly effect: DecisionEffect;
  /**
   * The combined effect of the policy bundle before trust caps: its matching rules (or the
   * default) and its exceeded limits, deny > escalate > allow.
   */
  readonly policyEffect: Effect;
  readonly reasons: readonly Reason[];
  readonly trustLevel: TrustLevel;
  /** Content hash of the policy bundle that decided. */
  readonly policyVersion: string;
  /** The approval route named by the first matching escalate rule that names one, else null. */
  readonly route: string | null;
}
