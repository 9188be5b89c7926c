/** Automatic demotion: which evidence is a demotion event, and what each rule does to a level. Pure. */

import type { TrustLevel } from '../domain/levels.ts';
import type { EvidenceKind } from './evidence.ts';
import type { DemotionAction, DemotionRules } from './trust-rules.ts';

/** The demotion rule each kind of evidence falls under; kinds not listed never demote. */
const RULE_OF: Partial<Record<EvidenceKind, Exclude<keyof DemotionRules, 'deniedBurst'>>> = {
  rolled_back: 'rollback',
  verification_failed: 'verificationFailed',
  unknown: 'unknown',
  failed: 'failed',
  incident: 'incident',
};

/** What the rules say to do about one piece of evidence, and under which rule (null: nothing). */
export function demotionFor(
  rules: DemotionRules,
  kind: EvidenceKind,
): { readonly rule: string; readonly action: DemotionAction } | null {
  if (kind === 'denied_burst')
    return rules.deniedBurst.action === 'none'
      ? null
      : { rule: 'deniedBurst', action: rules.deniedBurst.action };
  const rule = RULE_OF[kind];
  if (rule === undefined) return null;
  return rules[rule] === 'none' ? null : { rule, action: rules[rule] };
}

/** The level after a demotion; suspension leaves levels alone (it stops the agent instead). */
export function demotedLevel(current: TrustLevel, action: DemotionAction): TrustLevel {
  if (action === 'drop_one') return Math.max(0, current - 1) as TrustLevel;
  if (action === 'drop_to_zero') return 0;
  return current;
}
