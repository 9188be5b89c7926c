/**
 * Promotion criteria, demotion rules and calibration settings, as code in airlock.yaml: what a
 * scope must show to be recommended for the next level, and what failure takes a level away.
 */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';

const DAY = 86_400_000;

/** The evidence a scope must show to be recommended for a level. Every criterion given is checked. */
export const criteriaSchema = z.strictObject({
  /** Labelled outcomes (successes, failures and human verdicts) at the current level. */
  minEvidence: z.number().int().min(0).optional(),
  /** Actions approved by a person unchanged, at the current level. */
  minApproved: z.number().int().min(0).optional(),
  /** Actions that executed and succeeded, at the current level. */
  minSucceeded: z.number().int().min(0).optional(),
  /** Wilson lower bound (95%) of the share of human verdicts that agreed with the agent. */
  minAgreementLowerBound: z.number().min(0).max(1).optional(),
  /** Wilson lower bound (95%) of the share of executions that succeeded. */
  minSuccessLowerBound: z.number().min(0).max(1).optional(),
  /** Expected calibration error of stated confidence, 10 bins; no labelled evidence fails it. */
  maxEce: z.number().min(0).max(1).optional(),
  maxBrier: z.number().min(0).max(1).optional(),
  /** No rollback of this scope's actions within this long. */
  noRollbackWithin: durationSchema.optional(),
  /** No incident reported against this scope's actions within this long. */
  noIncidentWithin: durationSchema.optional(),
  /** Time held at the current level. */
  minTimeAtLevel: durationSchema.optional(),
});
export type PromotionCriteria = z.output<typeof criteriaSchema>;

/** What a demotion event does to the scope (or the agent). */
export const DEMOTION_ACTIONS = ['none', 'drop_one', 'drop_to_zero', 'suspend'] as const;
export type DemotionAction = (typeof DEMOTION_ACTIONS)[number];
const demotionAction = z.enum(DEMOTION_ACTIONS);

export const demotionSchema = z.strictObject({
  /** An action of the scope was rolled back. */
  rollback: demotionAction.default('drop_one'),
  /** Post-execution verification failed. */
  verificationFailed: demotionAction.default('drop_one'),
  /** Nobody knows whether the action ran (timeout, crash, expired permit). */
  unknown: demotionAction.default('drop_one'),
  /** The execution failed (the executor or the agent reported failure). */
  failed: demotionAction.default('none'),
  /** A person reported an incident caused by the action. */
  incident: demotionAction.default('drop_to_zero'),
  /** `count` proposals denied by policy within `within`. */
  deniedBurst: z
    .strictObject({
      count: z.number().int().min(2),
      within: durationSchema,
      action: demotionAction,
    })
    .default({ count: 5, within: 3_600_000, action: 'drop_one' }),
});
export type DemotionRules = z.output<typeof demotionSchema>;

export const DEFAULT_PROMOTION = {
  1: { minEvidence: 20, minAgreementLowerBound: 0.8, minTimeAtLevel: 3 * DAY },
  2: {
    minApproved: 50,
    minAgreementLowerBound: 0.9,
    noRollbackWithin: 30 * DAY,
    maxEce: 0.1,
    minTimeAtLevel: 14 * DAY,
  },
  3: {
    minSucceeded: 100,
    minSuccessLowerBound: 0.95,
    noRollbackWithin: 30 * DAY,
    noIncidentWithin: 30 * DAY,
    maxEce: 0.1,
    minTimeAtLevel: 30 * DAY,
  },
} as const satisfies Record<1 | 2 | 3, PromotionCriteria>;

export const promotionSchema = z
  .strictObject({
    /** Criteria to reach level 1 (from 0), 2 (from 1) and 3 (from 2). */
    toLevel1: criteriaSchema.default(DEFAULT_PROMOTION[1]),
    toLevel2: criteriaSchema.default(DEFAULT_PROMOTION[2]),
    toLevel3: criteriaSchema.default(DEFAULT_PROMOTION[3]),
  })
  .default({
    toLevel1: DEFAULT_PROMOTION[1],
    toLevel2: DEFAULT_PROMOTION[2],
    toLevel3: DEFAULT_PROMOTION[3],
  });
export type PromotionRules = z.output<typeof promotionSchema>;

export const calibrationSchema = z
  .strictObject({
    /** Labelled outcomes a scope needs before its stated confidence is mapped (isotonic regression). */
    minEvidence: z.number().int().min(1).default(30),
  })
  .default({ minEvidence: 30 });

export function criteriaFor(rules: PromotionRules, to: 1 | 2 | 3): PromotionCriteria {
  return to === 1 ? rules.toLevel1 : to === 2 ? rules.toLevel2 : rules.toLevel3;
}
