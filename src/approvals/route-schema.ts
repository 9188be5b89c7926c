/**
 * The shape of the routes file: escalation graphs (ordered steps of group, quorum and timeout,
 * ending in a fallback that is never "approve"), who gets which route, and the webhooks that
 * tell people something waits for them.
 */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const name = (what: string) =>
  z.string().regex(NAME, `${what} names are lower-case words joined by - . or _`);

/** A group of the people file, or `*`: anyone with the role approver or admin. */
export const ANY_APPROVER = '*';

export const stepSchema = z.strictObject({
  group: z.string().min(1),
  /** How many distinct people of the group must approve. */
  quorum: z.number().int().min(1).max(20).default(1),
  /** How long this step waits before the route moves on, e.g. `15m`. */
  timeout: durationSchema,
  /** Webhooks told when the approval reaches this step. */
  notify: z.array(z.string().min(1)).default([]),
});

export const FALLBACKS = ['deny', 'expire'] as const;
export type Fallback = (typeof FALLBACKS)[number];

export const routeSchema = z.strictObject({
  name: name('route'),
  description: z.string().optional(),
  steps: z.array(stepSchema).min(1, 'a route needs at least one step').max(10),
  /** What happens when the last step times out. Never "approve": silence is not consent. */
  fallback: z.enum(FALLBACKS, { error: 'fallback is deny or expire (never approve)' }).default('deny'),
  /** Webhooks told of every change of an approval on this route. */
  notify: z.array(z.string().min(1)).default([]),
});

export const webhookSchema = z.strictObject({
  name: name('webhook'),
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  /** The environment variable holding the HMAC-SHA256 signing secret (never the secret itself). */
  secretEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, e.g. AIRLOCK_WEBHOOK_SECRET'),
  /** Give up on one delivery attempt after this long. */
  timeout: durationSchema.default(5_000),
  /** Attempts in all, with exponential backoff between them starting at `backoff`. */
  attempts: z.number().int().min(1).max(20).default(6),
  backoff: durationSchema.default(1_000),
});

export const routesFileSchema = z.strictObject({
  /** The route for actions whose policy names none and whose owner has none. */
  defaultRoute: z.string().min(1).optional(),
  /** Agent owner → that owner's default route. */
  owners: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** May the person who owns an agent approve that agent's actions? */
  ownerMayApprove: z.boolean().default(false),
  webhooks: z.array(webhookSchema).default([]),
  routes: z.array(routeSchema).min(1, 'declare at least one route'),
});

export type StepSpec = z.output<typeof stepSchema>;
export type RouteSpec = z.output<typeof routeSchema>;
export type WebhookSpec = z.output<typeof webhookSchema>;
export type RoutesFile = z.output<typeof routesFileSchema>;
