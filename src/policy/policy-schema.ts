/** The shape of a policy file: named rules that match action types and environments, with a CEL condition. */

import { z } from 'zod';
import { EFFECTS } from '../domain/decision.ts';

export const RULE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export const ruleSchema = z.strictObject({
  name: z.string().regex(RULE_NAME, 'rule names are lower-case words joined by - . or _'),
  description: z.string().optional(),
  match: z
    .strictObject({
      types: z.array(z.string().min(1)).min(1).optional(),
      environments: z.array(z.string().min(1)).min(1).optional(),
    })
    .default({}),
  when: z.string().min(1).optional(),
  effect: z.enum(EFFECTS),
  /** For `escalate`: the approval route to take (default: the agent owner's). */
  route: z.string().min(1).optional(),
  reason: z.string().min(1, 'say why: the reason is shown to agents and approvers'),
});

/** The file's outline; each rule is decoded on its own, so one bad rule does not hide another's problems. */
export const policyFileSchema = z.strictObject({
  rules: z.array(z.unknown()),
});

export type RuleSpec = z.output<typeof ruleSchema>;
