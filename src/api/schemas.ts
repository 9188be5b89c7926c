/**
 * Response shapes of the v1 API, in zod: the OpenAPI document is derived from them, and the API
 * tests parse real responses with them, so the document cannot drift from what the server sends.
 */

import { z } from 'zod';
import { ACTION_STATUSES } from '../domain/action.ts';
import { CAP_CODES, DECISION_EFFECTS, EFFECTS } from '../domain/decision.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import { RISK_DOMAINS, TIERS } from '../domain/risk.ts';

export const errorSchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })),
    requestId: z.string(),
  }),
});

const level = z.number().int().min(0).max(3);

export const reasonSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rule'),
    rule: z.string(),
    file: z.string(),
    effect: z.enum(EFFECTS),
    message: z.string(),
  }),
  z.object({
    kind: z.literal('rule_error'),
    rule: z.string(),
    file: z.string(),
    effect: z.enum(EFFECTS),
    message: z.string(),
  }),
  z.object({ kind: z.literal('default'), effect: z.enum(EFFECTS), message: z.string() }),
  z.object({ kind: z.literal('agent_suspended'), message: z.string() }),
  z.object({ kind: z.literal('frozen'), message: z.string() }),
  z.object({ kind: z.literal('cap'), code: z.enum(CAP_CODES), passed: z.boolean(), message: z.string() }),
]);

export const decisionSchema = z.object({
  effect: z.enum(DECISION_EFFECTS),
  policyEffect: z.enum(EFFECTS),
  reasons: z.array(reasonSchema),
  trustLevel: level,
  policyVersion: z.string(),
});

const target = z.looseObject({ id: z.string() });

export const actionSchema = z.object({
  id: z.string(),
  agent: z.string(),
  type: z.string(),
  environment: z.string(),
  targets: z.array(target),
  params: z.record(z.string(), z.json()),
  confidence: z.number().nullable(),
  anomalyScore: z.number().nullable(),
  reasoning: z.string().nullable(),
  context: z.record(z.string(), z.json()).nullable(),
  incident: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  status: z.enum(ACTION_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  decision: decisionSchema,
  approval: z.null(),
  execution: z.null(),
  verification: z.null(),
  outcome: z.null(),
  path: z
    .array(
      z.object({
        seq: z.number().int(),
        at: z.string(),
        kind: z.string(),
        actor: z.object({ kind: z.enum(['agent', 'person', 'system']), id: z.string() }),
        hash: z.string(),
      }),
    )
    .optional()
    .describe('The decision path: audit events of this action with their sequence numbers'),
});

export const actionListSchema = z.object({
  actions: z.array(actionSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null at the end'),
});

export const waitSchema = z.object({ changed: z.boolean(), action: actionSchema });

export const catalogSchema = z.object({
  types: z.array(
    z.object({
      type: z.string(),
      description: z.string(),
      tier: z.enum(TIERS),
      domains: z.array(z.enum(RISK_DOMAINS)),
      reversible: z.boolean(),
      targets: z.object({
        min: z.number().int(),
        max: z.number().int(),
        attributes: z.record(z.string(), z.unknown()).optional(),
      }),
      paramsSchema: z.record(z.string(), z.unknown()),
      example: z.record(z.string(), z.json()),
      verified: z.boolean().describe('Declares verification checks run after execution'),
    }),
  ),
});

export const agentSchema = z.object({
  id: z.string(),
  owner: z.string(),
  status: z.enum(['active', 'suspended']),
  description: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const agentsSchema = z.object({ agents: z.array(agentSchema) });

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
      grantedBy: z.string(),
      reason: z.string(),
      grantedAt: z.string(),
    }),
  ),
});

export const setTrustBodySchema = z.strictObject({
  scope: z.string().min(1).describe('<type pattern>@<environment>, e.g. service.restart@staging'),
  level,
  reason: z.string().min(1),
});

export const setTrustResultSchema = z.object({ scope: z.string(), from: level, to: level });

export const verifySchema = z.object({
  ok: z.boolean(),
  events: z.number().int(),
  head: z.string().nullable(),
  firstBad: z.number().int().nullable(),
  problem: z.string().nullable(),
});

export const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.string()).optional(),
});
