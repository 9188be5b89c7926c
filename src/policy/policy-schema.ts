/**
 * The shape of a policy file: named rules that match action types and environments, with a CEL
 * condition; and named limits beside them (see limit-schema.ts).
 */

import { z } from 'zod';
import { EFFECTS } from '../domain/decision.ts';

export const RULE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** Which actions a rule or limit applies to; an absent list matches everything. */
export const matchSchema = z
  .strictObject({
    types: z.array(z.string().min(1)).min(1).optional(),
    environments: z.array(z.string().min(1)).min(1).optional(),
  })
  .default({});

export const ruleSchema = z.strictObject({
  name: z.string().regex(RULE_NAME, 'rule names are lower-case words joined by - . or _'),
  description: z.string().optional(),
  match: matchSchema,
  when: z.string().min(1).optional(),
  effect: z.enum(EFFECTS),
  /** For `escalate`: the approval route to take (default: the agent owner's). */
  route: z.string().min(1).optional(),
  reason: z.string().min(1, 'say why: the reason is shown to agents and approvers'),
});

/**
 * The file's outline; each rule and limit is decoded on its own, so one bad entry does not hide
 * another's problems. A file may hold only rules or only limits.
 */
export const policyFileSchema = z.strictObject({
  rules: z.array(z.unknown()).default([]),
  limits: z.array(z.unknown()).default([]),
});

export type MatchSpec = z.output<typeof matchSchema>;

export type RuleSpec = z.output<typeof ruleSchema>;
