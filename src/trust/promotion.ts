/**
 * Promotion criteria checked against a scope's metrics: each criterion passed or not, with what
 * was observed and what is required, so `trust recommend` and `trust show` can say what blocks
 * the next level. Pure; promotion itself always needs an admin.
 */

import { formatDuration } from '../config/durations.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { ScopeMetrics } from './evidence.ts';
import { criteriaFor, type PromotionCriteria, type PromotionRules } from './trust-rules.ts';

export interface CriterionResult {
  readonly criterion: keyof PromotionCriteria;
  readonly passed: boolean;
  /** What the evidence shows, as a number (null: nothing to measure yet). */
  readonly observed: number | null;
  readonly required: number;
  readonly message: string;
}

export interface PromotionCheck {
  readonly from: TrustLevel;
  readonly to: 1 | 2 | 3;
  readonly qualifies: boolean;
  readonly criteria: readonly CriterionResult[];
}

const DAY = 86_400_000;

function fixed(value: number): string {
  // Enough digits that a value just short of its threshold never prints as equal to it.
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function atLeast(
  criterion: keyof PromotionCriteria,
  what: string,
  observed: number | null,
  required: number,
): CriterionResult {
  const passed = observed !== null && observed >= required;
  const seen = observed === null ? 'none yet' : fixed(observed);
  return {
    criterion,
    passed,
    observed,
    required,
    message: `${what} ${seen} ${passed ? '≥' : '<'} ${fixed(required)}`,
  };
}

function atMost(
  criterion: keyof PromotionCriteria,
  what: string,
  observed: number | null,
  required: number,
): CriterionResult {
  const passed = observed !== null && observed <= required;
  const seen = observed === null ? 'not measurable yet' : fixed(observed);
  return {
    criterion,
    passed,
    observed,
    required,
    message: `${what} ${seen} ${passed ? '≤' : '>'} ${fixed(required)}`,
  };
}

function quietFor(
  criterion: keyof PromotionCriteria,
  what: string,
  last: string | null,
  within: number,
  now: Date,
): CriterionResult {
  const since = last === null ? null : now.getTime() - Date.parse(last);
  const passed = since === null || since >= within;
  return {
    criterion,
    passed,
    observed: since === null ? null : since / DAY,
    required: within / DAY,
    message:
      last === null
        ? `no ${what} on record (needs none within ${formatDuration(within)})`
        : `last ${what} at ${last}${passed ? '' : `, within ${formatDuration(within)}`}`,
  };
}

/**
 * Check the criteria for the next level of a scope at `level`, held since `levelSince` (null: never
 * granted, counted from the first evidence). Null at level 3: there is no next level.
 */
export function checkPromotion(
  rules: PromotionRules,
  level: TrustLevel,
  metrics: ScopeMetrics,
  levelSince: string | null,
  now: Date,
): PromotionCheck | null {
  if (level === 3) return null;
  const to = (level + 1) as 1 | 2 | 3;
  const c = criteriaFor(rules, to);
  const results: CriterionResult[] = [];
  if (c.minEvidence !== undefined)
    results.push(
      atLeast('minEvidence', `labelled outcomes at level ${level}`, metrics.atLevel.evidence, c.minEvidence),
    );
  if (c.minApproved !== undefined)
    results.push(
      atLeast('minApproved', `approved unchanged at level ${level}`, metrics.atLevel.approved, c.minApproved),
    );
  if (c.minSucceeded !== undefined)
    results.push(
      atLeast('minSucceeded', `succeeded at level ${level}`, metrics.atLevel.succeeded, c.minSucceeded),
    );
  if (c.minAgreementLowerBound !== undefined)
    results.push(
      atLeast(
        'minAgreementLowerBound',
        'agreement (Wilson lower bound)',
        metrics.agreement.lower,
        c.minAgreementLowerBound,
      ),
    );
  if (c.minSuccessLowerBound !== undefined)
    results.push(
      atLeast(
        'minSuccessLowerBound',
        'success (Wilson lower bound)',
        metrics.success.lower,
        c.minSuccessLowerBound,
      ),
    );
  if (c.maxEce !== undefined)
    results.push(atMost('maxEce', 'calibration error (ECE)', metrics.calibration.ece, c.maxEce));
  if (c.maxBrier !== undefined)
    results.push(atMost('maxBrier', 'Brier score', metrics.calibration.brier, c.maxBrier));
  if (c.noRollbackWithin !== undefined)
    results.push(quietFor('noRollbackWithin', 'rollback', metrics.lastRollbackAt, c.noRollbackWithin, now));
  if (c.noIncidentWithin !== undefined)
    results.push(quietFor('noIncidentWithin', 'incident', metrics.lastIncidentAt, c.noIncidentWithin, now));
  if (c.minTimeAtLevel !== undefined) {
    const held = levelSince === null ? null : now.getTime() - Date.parse(levelSince);
    const result = atLeast(
      'minTimeAtLevel',
      `days at level ${level}`,
      held === null ? null : held / DAY,
      c.minTimeAtLevel / DAY,
    );
    results.push(result);
  }
  return { from: level, to, qualifies: results.every((r) => r.passed), criteria: results };
}
