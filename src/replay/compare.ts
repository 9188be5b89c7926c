/**
 * Comparing two decisions on the same facts: is the second stricter, looser or the same, and which
 * rules and limits does it newly match or stop matching. Shared by replay and shadow policies.
 */

import type { Decision, DecisionEffect, Reason } from '../domain/decision.ts';

/**
 * Decision effects from least to most strict: `execute` acts alone; `escalate` acts only once a
 * person approves; `advise` never acts but is kept as a recommendation; `deny` refuses.
 */
export const STRICTNESS: readonly DecisionEffect[] = ['execute', 'escalate', 'advise', 'deny'];

export type Change = 'unchanged' | 'stricter' | 'looser';

/** How `after` compares with `before`. */
export function changeOf(before: DecisionEffect, after: DecisionEffect): Change {
  const delta = STRICTNESS.indexOf(after) - STRICTNESS.indexOf(before);
  return delta === 0 ? 'unchanged' : delta > 0 ? 'stricter' : 'looser';
}

/**
 * What a decision matched: the rules whose condition held (or failed to evaluate) and the limits
 * it exceeded, each named once, in order. `limit:` prefixes limit names.
 */
export function matchedNames(reasons: readonly Reason[]): string[] {
  const names: string[] = [];
  for (const reason of reasons) {
    if (reason.kind === 'rule' || reason.kind === 'rule_error') names.push(reason.rule);
    else if (reason.kind === 'limit' && !reason.passed) names.push(`limit:${reason.limit}`);
  }
  return [...new Set(names)];
}

export interface DecisionDiff {
  readonly change: Change;
  readonly before: DecisionEffect;
  readonly after: DecisionEffect;
  /** Rules (and exceeded limits) the second decision matches and the first did not. */
  readonly newlyMatched: readonly string[];
  /** Rules (and exceeded limits) the first decision matched and the second does not. */
  readonly noLongerMatched: readonly string[];
}

export function diffDecisions(
  before: Pick<Decision, 'effect' | 'reasons'>,
  after: Pick<Decision, 'effect' | 'reasons'>,
): DecisionDiff {
  const was = matchedNames(before.reasons);
  const now = matchedNames(after.reasons);
  return {
    change: changeOf(before.effect, after.effect),
    before: before.effect,
    after: after.effect,
    newlyMatched: now.filter((name) => !was.includes(name)),
    noLongerMatched: was.filter((name) => !now.includes(name)),
  };
}
