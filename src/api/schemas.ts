/**
 * Response shapes of the v1 API, in zod: the OpenAPI document is derived from them, and the API
 * tests parse real responses with them, so the document cannot drift from what the server sends.
 */

import { z } from 'zod';
import { APPROVAL_STATUSES } from '../approvals/approval.ts';
import { FALLBACKS } from '../approvals/route-schema.ts';
import { ACTION_STATUSES } from '../domain/action.ts';
import { CAP_CODES, DECISION_EFFECTS, EFFECTS, LIMIT_EFFECTS, LIMIT_KINDS } from '../domain/decision.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import { targetSchema } from '../domain/proposal-schema.ts';
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
    route: z.string().optional(),
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
  z.object({ kind: z.literal('revision'), of: z.string(), by: z.string(), message: z.string() }),
  z.object({
    kind: z.literal('limit'),
    limit: z.string(),
    file: z.string(),
    limitKind: z.enum(LIMIT_KINDS),
    effect: z.enum(LIMIT_EFFECTS),
    passed: z.boolean(),
    message: z.string(),
  }),
  z.object({ kind: z.literal('cap'), code: z.enum(CAP_CODES), passed: z.boolean(), message: z.string() }),
]);

export const decisionSchema = z.object({
  effect: z.enum(DECISION_EFFECTS),
  policyEffect: z.enum(EFFECTS),
  reasons: z.array(reasonSchema),
  trustLevel: level,
  policyVersion: z.string(),
  route: z.string().nullable().describe('The approval route a policy rule named, if any'),
});

const target = z.looseObject({ id: z.string() });

const voteSchema = z.object({
  person: z.string(),
  verdict: z.enum(['approve', 'deny', 'revise']),
  step: z.number().int(),
  comment: z.string().nullable(),
  override: z.boolean().describe('An admin outside the step group voted'),
  requestHash: z.string().describe('The exact request the vote is about'),
  at: z.string(),
});

export const approvalSummarySchema = z.object({
  id: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  requestHash: z.string().describe('SHA-256 of the exact request (params, targets, …) being approved'),
  route: z.object({
    name: z.string(),
    fallback: z.enum(FALLBACKS),
    steps: z.array(z.object({ group: z.string(), quorum: z.number().int(), timeout: z.string() })),
  }),
  step: z.number().int().describe('The current step, from 1'),
  group: z.string(),
  quorum: z.number().int(),
  approvals: z.number().int().describe('Approvals so far at the current step'),
  deadline: z.string().describe('When the current step times out'),
  votes: z.array(voteSchema),
  revisionAuthor: z.string().nullable(),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
});

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
  approval: approvalSummarySchema.nullable(),
  execution: z
    .object({
      mode: z
        .enum(['gateway', 'agent'])
        .describe('gateway: Airlock runs it; agent: the agent runs it under a permit'),
      phase: z.enum(['permitted', 'executing', 'verifying', 'rolling_back', 'done']),
      attempts: z.number().int(),
      startedAt: z.string(),
      updatedAt: z.string(),
      permitExpiresAt: z.string().nullable(),
      attention: z
        .string()
        .nullable()
        .describe('Why people must look (an unknown outcome, a failed rollback)'),
    })
    .nullable(),
  verification: z
    .object({
      samples: z.number().int().describe('Samples taken so far'),
      passed: z.boolean().nullable().describe('null while verifying'),
      failed: z.array(z.string()).describe('Checks that failed'),
    })
    .nullable(),
  outcome: z
    .object({ outcome: z.enum(['succeeded', 'failed', 'unknown']), message: z.string().nullable() })
    .nullable()
    .describe("The executor's outcome, or the one the agent reported under its permit"),
  rollback: z.object({ outcome: z.string(), message: z.string() }).nullable(),
  permit: z
    .object({ token: z.string(), expiresAt: z.string() })
    .nullable()
    .describe('For the agent that proposed it: the single-use permit to execute it (agent-executed types)'),
  path: z
    .array(
      z.object({
        seq: z.number().int(),
        at: z.string(),
        kind: z.string(),
        actor: z.object({ kind: z.enum(['agent', 'person', 'system']), id: z.string() }),
        hash: z.string(),
        data: z
          .record(z.string(), z.unknown())
          .optional()
          .describe("The event's data as recorded in the audit chain (shown to people)"),
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

export const approvalSchema = approvalSummarySchema.extend({
  action: z.string(),
  actionStatus: z.enum(ACTION_STATUSES),
  revisionOf: z.string().nullable(),
  agent: z.object({ id: z.string(), owner: z.string() }),
  trustLevel: level,
  type: z.string(),
  environment: z.string(),
  production: z.boolean().nullable(),
  tier: z.enum(TIERS).nullable(),
  domains: z.array(z.enum(RISK_DOMAINS)),
  reversible: z.boolean().nullable(),
  targets: z.array(target),
  params: z.record(z.string(), z.json()),
  confidence: z.number().nullable(),
  anomalyScore: z.number().nullable(),
  reasoning: z.string().nullable(),
  context: z.record(z.string(), z.json()).nullable(),
  incident: z.string().nullable(),
  decision: z.object({
    effect: z.enum(DECISION_EFFECTS),
    policyEffect: z.enum(EFFECTS),
    reasons: z.array(reasonSchema),
    policyVersion: z.string(),
  }),
  blastRadius: z
    .object({
      targets: z.number().int(),
      production: z.boolean().nullable(),
      reversible: z.boolean().nullable(),
      limits: z.array(
        z.object({
          limit: z.string(),
          kind: z.enum(LIMIT_KINDS),
          observed: z
            .number()
            .describe('rate: uses so far; in_flight: in flight now; targets: count; fraction: share'),
          max: z.number(),
          service: z.string().nullable().describe('fraction: the service'),
        }),
      ),
    })
    .describe('How much the action touches, with the limits that applied as counted at the decision'),
  calibration: z
    .object({
      scope: z.string(),
      n: z.number().int().describe('Labelled outcomes the curve is fitted on'),
      minEvidence: z.number().int(),
      stated: z.number().nullable(),
      calibrated: z
        .number()
        .nullable()
        .describe('The stated confidence through the curve; null below minEvidence'),
    })
    .nullable()
    .describe(
      "The agent's calibration for the scope when decided; null for decisions recorded before calibration",
    ),
  you: z
    .object({
      person: z.string(),
      mayApprove: z.boolean(),
      mayDeny: z.boolean(),
      override: z.boolean().describe('Your vote would be an admin override'),
      why: z.string().nullable().describe('Why you may not approve, if you may not'),
    })
    .optional(),
});

export const attentionSchema = z.object({
  action: z.string(),
  agent: z.string(),
  type: z.string(),
  environment: z.string(),
  targets: z.array(target),
  status: z.enum(ACTION_STATUSES),
  reason: z.string().describe('Why a human must look: the outcome is unknown, or a rollback failed'),
  updatedAt: z.string(),
});

export const approvalListSchema = z.object({
  approvals: z.array(approvalSchema),
  attention: z
    .array(attentionSchema)
    .describe('Actions that need a human although nobody votes on them: never re-run by themselves'),
});

export const decisionBodySchema = z.discriminatedUnion('verdict', [
  z.strictObject({
    verdict: z.literal('approve'),
    comment: z.string().max(4000).optional(),
    requestHash: z
      .string()
      .optional()
      .describe("The request hash you reviewed; refused if it is not the approval's"),
  }),
  z.strictObject({
    verdict: z.literal('deny'),
    comment: z.string().trim().min(1, 'a deny needs a reason').max(4000),
    requestHash: z.string().optional(),
  }),
  z.strictObject({
    verdict: z.literal('revise'),
    comment: z.string().trim().min(1, 'say why the params change').max(4000),
    params: z
      .record(z.string(), z.json())
      .describe('The changed params: a new revision is decided and approved afresh'),
    targets: z.array(targetSchema).max(1000).optional(),
  }),
]);

export const decisionResultSchema = z.object({
  approval: approvalSummarySchema,
  revision: actionSchema.optional().describe('For revise: the new action'),
});
