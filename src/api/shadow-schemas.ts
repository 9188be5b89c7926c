/** Query, body and response schemas of the shadow policy endpoints (OpenAPI is derived from them). */

import { z } from 'zod';
import { DECISION_EFFECTS, EFFECTS } from '../domain/decision.ts';
import { reasonSchema } from './schemas.ts';

const bundleSchema = z.object({
  hash: z.string().describe('The bundle hash decisions record (files named by their path in the project)'),
  contentHash: z.string().describe('The hash of the files by name and content, wherever they live'),
  rules: z.number().int(),
  limits: z.number().int(),
  files: z.array(z.object({ path: z.string(), sha256: z.string() })),
});

const change = z.enum(['stricter', 'looser']);

export const shadowDecisionSchema = z.object({
  actionId: z.string(),
  agentId: z.string(),
  type: z.string(),
  environment: z.string(),
  liveBundle: z.string(),
  shadowBundle: z.string(),
  liveEffect: z.enum(DECISION_EFFECTS),
  shadowEffect: z.enum(DECISION_EFFECTS),
  change,
  reasons: z.array(reasonSchema).describe("Every reason of the shadow bundle's decision"),
  rules: z.object({
    newlyMatched: z.array(z.string()).describe('Rules (and `limit:` limits) only the shadow matched'),
    noLongerMatched: z.array(z.string()).describe('Rules (and `limit:` limits) only the live bundle matched'),
    effectChanged: z.array(z.object({ rule: z.string(), live: z.enum(EFFECTS), shadow: z.enum(EFFECTS) })),
  }),
  createdAt: z.string(),
});

export const shadowReportSchema = z.object({
  live: bundleSchema,
  shadow: bundleSchema
    .extend({
      sameAsLive: z.boolean().describe('The shadow has the live files already (nothing to promote)'),
    })
    .nullable()
    .describe('The shadow bundle loaded; null without one'),
  filter: z.object({
    shadowBundle: z.string().nullable().describe("The shadow bundle counted; null: every one's"),
    since: z.string().nullable(),
  }),
  disagreements: z.number().int(),
  transitions: z.array(
    z.object({
      live: z.enum(DECISION_EFFECTS),
      shadow: z.enum(DECISION_EFFECTS),
      change,
      count: z.number().int(),
    }),
  ),
  rules: z.array(
    z.object({
      rule: z.string(),
      newlyMatched: z.number().int(),
      noLongerMatched: z.number().int(),
      effectChanged: z.number().int(),
    }),
  ),
  latest: z.array(shadowDecisionSchema).describe('Newest first'),
});

export const shadowQuerySchema = z.strictObject({
  since: z.string().optional().describe('An ISO 8601 time, or a duration back from now (24h, 7d)'),
  bundle: z
    .string()
    .optional()
    .describe("A shadow bundle hash, or `all`; default the shadow loaded (every one's without a shadow)"),
  limit: z.coerce.number().int().min(0).max(500).default(20).describe('How many of the latest to list'),
});

export const promoteBodySchema = z.strictObject({
  reason: z.string().trim().min(3, 'say why: the reason is recorded with the promotion'),
  expectHash: z
    .string()
    .min(1)
    .optional()
    .describe('Refuse unless this is the shadow bundle loaded (its hash, or the short form reports print)'),
});

export const promotionSchema = z.object({
  previous: z.string().describe('The live bundle before'),
  shadow: z.string().describe('The shadow bundle promoted'),
  contentHash: z.string().describe('The same before (as the shadow) and after (as the live bundle)'),
  bundle: z.string().describe('The live bundle the promoted files make'),
  disagreements: z.number().int().describe('Disagreements recorded for the shadow bundle'),
  files: z.array(z.string()),
  inForce: z.boolean().describe('The promoted bundle is in force on this server'),
  problems: z.array(z.string()).describe('Why it is not in force (file:line problems), if it is not'),
});
