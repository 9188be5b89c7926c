/** The shape of a limit in a policy file: a rate, a target count, a share of a service or changes in flight. */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';
import { LIMIT_EFFECTS } from '../domain/decision.ts';
import { matchSchema, RULE_NAME } from './policy-schema.ts';

/** What a counted limit can be kept per; a key holds one value of each. In key order. */
export const LIMIT_DIMENSIONS = ['agent', 'type', 'environment', 'target'] as const;
export type LimitDimension = (typeof LIMIT_DIMENSIONS)[number];

/** The keys that say what a limit bounds; a limit has exactly one (checked by the compiler). */
export const LIMIT_CHECKS = ['rate', 'targets', 'fraction', 'inFlight'] as const;

/** `by`, in key order without repeats, so that `[type, agent]` and `[agent, type]` count the same. */
const by = z
  .array(
    z.enum(LIMIT_DIMENSIONS, {
      error: (issue) =>
        `cannot count by ${JSON.stringify(issue.input)} (by lists some of ${LIMIT_DIMENSIONS.join(', ')})`,
    }),
  )
  .transform((dims) => LIMIT_DIMENSIONS.filter((d) => dims.includes(d)))
  .default(['agent', 'type', 'environment']);

const atLeastOne = z.number().int('a whole number').min(1, 'at least 1');

export const limitSchema = z.strictObject({
  name: z.string().regex(RULE_NAME, 'limit names are lower-case words joined by - . or _'),
  description: z.string().optional(),
  match: matchSchema,
  rate: z
    .strictObject({
      count: atLeastOne,
      per: durationSchema.refine((ms) => ms > 0, 'a window longer than 0'),
      by,
    })
    .optional(),
  targets: z.strictObject({ max: atLeastOne }).optional(),
  fraction: z
    .strictObject({
      max: z
        .number()
        .gt(0, 'a share of the instances: more than 0')
        .max(1, 'a share of the instances: at most 1'),
    })
    .optional(),
  inFlight: z.strictObject({ max: atLeastOne, by }).optional(),
  effect: z.enum(LIMIT_EFFECTS, { error: 'a limit escalates or denies (it never allows)' }),
  reason: z.string().min(1, 'say why: the reason is shown to agents and approvers'),
});

export type LimitSpec = z.output<typeof limitSchema>;
