/** The shape of an action catalog file. */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';
import { RISK_DOMAINS, TIERS } from '../domain/risk.ts';

export const ACTION_TYPE_NAME = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

const jsonSchemaObject = z.record(z.string(), z.unknown());

const comparison = z.enum(['<', '<=', '>', '>=', '==', '!=']);

export const verificationCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    name: z.string().min(1).optional(),
    url: z.string().min(1),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyMatches: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('prometheus'),
    name: z.string().min(1).optional(),
    query: z.string().min(1),
    op: comparison,
    threshold: z.number(),
  }),
  z.strictObject({
    kind: z.literal('command'),
    name: z.string().min(1).optional(),
    argv: z.array(z.string()).min(1),
  }),
]);

export const actionTypeSchema = z.strictObject({
  description: z.string().min(1),
  tier: z.enum(TIERS),
  domains: z.array(z.enum(RISK_DOMAINS)).min(1),
  reversible: z.boolean(),
  targets: z
    .strictObject({
      min: z.number().int().min(0).default(1),
      max: z.number().int().min(1).default(100),
      attributes: jsonSchemaObject.optional(),
    })
    .refine((t) => t.min <= t.max, { message: 'targets.min must not exceed targets.max' })
    .default({ min: 1, max: 100 }),
  params: jsonSchemaObject.default({ type: 'object' }),
  example: z.record(z.string(), z.unknown()).optional(),
  verification: z
    .strictObject({
      window: durationSchema.default(60_000),
      checks: z.array(verificationCheckSchema).min(1),
    })
    .optional(),
});

export const catalogFileSchema = z.strictObject({
  version: z.literal(1).default(1),
  types: z.record(
    z.string().regex(ACTION_TYPE_NAME, 'action type names are dotted lower-case words, e.g. service.restart'),
    actionTypeSchema,
  ),
});

export type ActionTypeSpec = z.output<typeof actionTypeSchema>;
