/** Response and body schemas of the trust and evidence endpoints (OpenAPI is derived from them). */

import { z } from 'zod';
import { EVIDENCE_KINDS } from '../trust/evidence.ts';

const level = z.number().int().min(0).max(3);
const rate = z.object({
  successes: z.number().int(),
  trials: z.number().int(),
  rate: z.number().nullable(),
  lower: z.number().nullable().describe('Wilson score lower bound (95%)'),
});

export const metricsSchema = z.object({
  since: z.string(),
  until: z.string(),
  counts: z.record(z.enum(EVIDENCE_KINDS), z.number().int()),
  atLevel: z.object({
    level,
    evidence: z.number().int(),
    approved: z.number().int(),
    succeeded: z.number().int(),
  }),
  success: rate,
  agreement: rate,
  rollbacks: z.number().int(),
  lastRollbackAt: z.string().nullable(),
  lastIncidentAt: z.string().nullable(),
  calibration: z.object({
    n: z.number().int(),
    brier: z.number().nullable(),
    ece: z.number().nullable().describe('Expected calibration error over 10 bins'),
    table: z.array(
      z.object({
        bin: z.number().int(),
        from: z.number(),
        to: z.number(),
        meanConfidence: z.number().nullable(),
        observedRate: z.number().nullable(),
        count: z.number().int(),
      }),
    ),
  }),
});

export const promotionCheckSchema = z.object({
  from: level,
  to: level,
  qualifies: z.boolean(),
  criteria: z.array(
    z.object({
      criterion: z.string(),
      passed: z.boolean(),
      observed: z.number().nullable(),
      required: z.number(),
      message: z.string(),
    }),
  ),
});

export const trustSchema = z.object({
  agent: z.string(),
  ceiling: level,
  scopes: z.array(
    z.object({
      scope: z.string(),
      typePattern: z.string(),
      environment: z.string(),
      level,
      effective: level,
      grantedBy: z.string().nullable(),
      reason: z.string().nullable(),
      grantedAt: z.string().nullable(),
      levelSince: z.string().nullable(),
      capped: z.boolean().describe('The next level is above the agent ceiling'),
      metrics: metricsSchema,
      next: promotionCheckSchema.nullable().describe('The next level and what blocks it; null at level 3'),
    }),
  ),
});

export const setTrustBodySchema = z.strictObject({
  scope: z.string().min(1).describe('<type pattern>@<environment>, e.g. service.restart@staging'),
  level,
  reason: z.string().min(1),
  override: z
    .boolean()
    .optional()
    .describe('Raise although the promotion criteria are not met (recorded as an override)'),
});

export const setTrustResultSchema = z.object({
  scope: z.string(),
  from: level,
  to: level,
  promotion: z.object({ override: z.boolean(), checks: z.array(promotionCheckSchema) }).optional(),
});

export const recommendationsSchema = z.object({
  recommendations: z.array(
    z.object({
      agent: z.string(),
      scope: z.string(),
      from: level,
      to: level,
      check: promotionCheckSchema,
      metrics: metricsSchema,
    }),
  ),
});

export const reviewBodySchema = z.strictObject({
  verdict: z.enum(['agree', 'disagree']),
  comment: z.string().max(2_000).nullable().optional(),
});

export const incidentBodySchema = z.strictObject({
  reason: z.string().trim().min(3, 'say what happened').max(2_000),
});

export const revokeBodySchema = z.strictObject({
  reason: z.string().trim().min(1, 'say why'),
});

export const demotionSchema = z.object({
  agentId: z.string(),
  actionId: z.string(),
  event: z.string(),
  rule: z.string(),
  action: z.string(),
  scope: z.string().nullable(),
  from: level.nullable(),
  to: level.nullable(),
  suspended: z.boolean(),
});

export const evidenceAddedSchema = z.object({
  action: z.string(),
  agent: z.string(),
  kind: z.enum(EVIDENCE_KINDS),
  by: z.string(),
  demotions: z.array(demotionSchema),
});
