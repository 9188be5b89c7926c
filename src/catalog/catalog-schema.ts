/** The shape of an action catalog file. */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';
import { RISK_DOMAINS, TIERS } from '../domain/risk.ts';
import { mcpCatalogSchema } from './tool-mapping.ts';

export const ACTION_TYPE_NAME = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

const jsonSchemaObject = z.record(z.string(), z.unknown());

const comparison = z.enum(['<', '<=', '>', '>=', '==', '!=']);

/** HTTP status codes accepted as success; a range like `2xx` or single codes. */
const statusSchema = z.number().int().min(100).max(599);

/**
 * How Airlock (or an agent under a permit) carries an action out. Strings are templates:
 * `{{params.replicas}}`, `{{target.id}}`, `{{targets}}`, `{{action.id}}`, `{{environment}}`,
 * `{{agent.id}}`, `{{env.NAME}}` (an environment variable, shown) and `{{secret.NAME}}` (an
 * environment variable, redacted everywhere it could be recorded). A string that is exactly one
 * placeholder keeps the value's JSON type (in a body or mapped params).
 */
export const httpExecutorSchema = z.strictObject({
  kind: z.literal('http'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  url: z.string().min(1),
  headers: z.record(z.string().min(1), z.string()).default({}),
  /** A JSON value whose strings are templates; sent as application/json. */
  body: z.unknown().optional(),
  timeout: durationSchema.default(10_000),
  /** Sign `<timestamp>.<body>` with HMAC-SHA256, key from the environment variable `secretEnv`. */
  sign: z
    .strictObject({
      secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
      header: z.string().min(1).default('X-Airlock-Signature'),
    })
    .optional(),
  /** Statuses that mean the call succeeded (default: any 2xx). */
  expectStatus: z.array(statusSchema).min(1).optional(),
  /** Run once per target (with `target` bound to each) instead of once for the action. */
  perTarget: z.boolean().default(false),
});

/** A program run without a shell; nothing of Airlock's environment reaches it unless allowed. */
export const commandExecutorSchema = z.strictObject({
  kind: z.literal('command'),
  argv: z.array(z.string().min(1)).min(1),
  /** Names of environment variables passed through from Airlock's environment (values redacted). */
  env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')).default([]),
  /** Working directory, relative to the catalog file. */
  cwd: z.string().min(1).optional(),
  timeout: durationSchema.default(30_000),
  perTarget: z.boolean().default(false),
});

export const executorSchema = z.discriminatedUnion('kind', [httpExecutorSchema, commandExecutorSchema]);

export const verificationCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    name: z.string().min(1).optional(),
    url: z.string().min(1),
    method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
    headers: z.record(z.string().min(1), z.string()).default({}),
    timeout: durationSchema.default(5_000),
    expectStatus: statusSchema.default(200),
    /** A regular expression the body must match. */
    bodyMatches: z.string().optional(),
    /** A JSON field of the body (dotted path, e.g. `status.ready`) compared with a value. */
    json: z
      .strictObject({
        path: z.string().min(1),
        op: comparison.default('=='),
        value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
      })
      .optional(),
    perTarget: z.boolean().default(false),
  }),
  z.strictObject({
    kind: z.literal('prometheus'),
    name: z.string().min(1).optional(),
    /** A PromQL instant query (templated); every series it returns must meet the threshold. */
    query: z.string().min(1),
    op: comparison,
    threshold: z.number(),
    /** What an empty result means: `fail` (the default: no data is no evidence) or `pass`. */
    onEmpty: z.enum(['fail', 'pass']).default('fail'),
  }),
  z.strictObject({
    kind: z.literal('command'),
    name: z.string().min(1).optional(),
    argv: z.array(z.string().min(1)).min(1),
    env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')).default([]),
    cwd: z.string().min(1).optional(),
    timeout: durationSchema.default(10_000),
    perTarget: z.boolean().default(false),
  }),
]);

export const executionSchema = z
  .strictObject({
    /** `gateway`: Airlock runs the executor. `agent`: the agent runs it under a single-use permit. */
    mode: z.enum(['gateway', 'agent']).default('gateway'),
    executor: executorSchema.optional(),
    /** Safe to run twice: only then does a failed call get retried. */
    idempotent: z.boolean().default(false),
    retries: z.number().int().min(0).max(10).default(0),
    retryBackoff: durationSchema.default(1_000),
    /** How long a permit is valid (mode `agent`); with no outcome by then, the action is `unknown`. */
    permitTtl: durationSchema.default(600_000),
  })
  .superRefine((e, ctx) => {
    if (e.mode === 'gateway' && e.executor === undefined)
      ctx.addIssue({ code: 'custom', path: ['executor'], message: 'mode gateway needs an executor' });
    if (e.mode === 'agent' && e.executor !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['executor'],
        message: 'mode agent: the agent executes under a permit; remove the executor',
      });
    if (e.retries > 0 && !e.idempotent)
      ctx.addIssue({
        code: 'custom',
        path: ['retries'],
        message: 'only an idempotent action type may be retried (set idempotent: true, or retries: 0)',
      });
  });

export const verificationSchema = z.strictObject({
  /** How long after execution the checks keep being sampled. */
  window: durationSchema.default(60_000),
  /** Time between samples; every check runs at the start and then each interval until the window ends. */
  interval: durationSchema.default(10_000),
  checks: z.array(verificationCheckSchema).min(1),
});

/** How to undo an action: another catalog action with params mapped from the original, or a call. */
export const rollbackSchema = z.union([
  z.strictObject({
    action: z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/, 'an action type name'),
    /** Templates over the original: `{{params.previousReplicas}}`, `{{target.id}}`. */
    params: z.record(z.string(), z.unknown()).default({}),
  }),
  z.strictObject({ executor: executorSchema }),
]);

export type HttpExecutorSpec = z.output<typeof httpExecutorSchema>;
export type CommandExecutorSpec = z.output<typeof commandExecutorSchema>;
export type ExecutorSpec = z.output<typeof executorSchema>;
export type VerificationCheckSpec = z.output<typeof verificationCheckSchema>;
export type ExecutionSpec = z.output<typeof executionSchema>;
export type VerificationSpec = z.output<typeof verificationSchema>;
export type RollbackSpec = z.output<typeof rollbackSchema>;

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
  /** Without it, the action type is agent-executed under a permit. */
  execution: executionSchema.optional(),
  verification: verificationSchema.optional(),
  rollback: rollbackSchema.optional(),
});

export const catalogFileSchema = z.strictObject({
  version: z.literal(1).default(1),
  types: z
    .record(
      z
        .string()
        .regex(ACTION_TYPE_NAME, 'action type names are dotted lower-case words, e.g. service.restart'),
      actionTypeSchema,
    )
    .default({}),
  /** Which MCP tool calls become which action types (one catalog file may hold it). */
  mcp: mcpCatalogSchema.optional(),
});

export type ActionTypeSpec = z.output<typeof actionTypeSchema>;
