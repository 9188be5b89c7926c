/**
 * Response schemas of the endpoints the console reads besides the action and approval ones: who
 * the caller is, the policy bundle in force, and the audit chain's head (OpenAPI is derived from them).
 */

import { z } from 'zod';
import { EFFECTS, LIMIT_EFFECTS } from '../domain/decision.ts';
import { LIMIT_DIMENSIONS } from '../policy/limit-schema.ts';
import { ROLES } from '../project/project-schema.ts';

export const meSchema = z.object({
  kind: z.enum(['person', 'agent']),
  id: z.string(),
  name: z.string().nullable().describe("The person's name from the people file; null for agents"),
  role: z.enum(ROLES).nullable().describe("The person's role; null for agents"),
  admin: z.boolean().describe('May promote, revoke, freeze and promote shadow policies'),
});

const match = z
  .object({
    types: z.array(z.string()).optional().describe('Action types or globs such as `service.*`'),
    environments: z.array(z.string()).optional(),
  })
  .describe('As declared in the file; an absent list matches everything');

const where = {
  name: z.string(),
  file: z.string().describe('Path relative to the project directory'),
  line: z.number().int().describe('Line of the entry in the file'),
  description: z.string().nullable(),
  match,
  reason: z.string().describe('Shown to agents and approvers when it applies'),
};

const by = z.array(z.enum(LIMIT_DIMENSIONS)).describe('What the count is kept per');

export const policySchema = z.object({
  hash: z.string().describe('The bundle hash decisions record as their policyVersion'),
  defaultEffect: z.enum(EFFECTS).describe('The effect when no rule matches'),
  loadedAt: z
    .string()
    .nullable()
    .describe('When this bundle last came into force (its policy.activated audit event); null if unrecorded'),
  files: z.array(z.object({ path: z.string(), sha256: z.string() })),
  shadow: z
    .string()
    .nullable()
    .describe('Hash of the shadow bundle loaded beside it, or null; its report is GET /v1/policy/shadow'),
  rules: z.array(
    z.object({
      ...where,
      effect: z.enum(EFFECTS),
      when: z.string().nullable().describe('The CEL condition, as written; null: always'),
      route: z.string().nullable().describe("An escalate rule's approval route; null: the agent owner's"),
    }),
  ),
  limits: z.array(
    z.object({
      ...where,
      effect: z.enum(LIMIT_EFFECTS),
      check: z.discriminatedUnion('kind', [
        z.object({
          kind: z.literal('rate'),
          count: z.number().int(),
          windowMs: z.number().int().describe('The window, in milliseconds'),
          by,
        }),
        z.object({ kind: z.literal('in_flight'), max: z.number().int(), by }),
        z.object({ kind: z.literal('targets'), max: z.number().int() }),
        z.object({
          kind: z.literal('fraction'),
          max: z.number().describe("A share of the service's instances, 0..1"),
        }),
      ]),
    }),
  ),
});

export const auditHeadSchema = z.object({
  seq: z.number().int().describe('Sequence number of the last event; 0 for an empty chain'),
  hash: z.string().nullable().describe('Its hash, to anchor outside the database; null for an empty chain'),
  at: z.string().nullable(),
});
