/**
 * The sandbox fleet's request bodies and JSON replies: what each call accepts, how a body is parsed,
 * and the 400 that names every problem.
 */

import { z } from 'zod';

const configValue = z.union([z.string(), z.number(), z.boolean()]);
export type ConfigValue = z.infer<typeof configValue>;

export const faultSchema = z
  .strictObject({
    errorRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().min(0).max(600_000).optional(),
  })
  .refine((fault) => fault.errorRate !== undefined || fault.latencyMs !== undefined, {
    message: 'give errorRate, latencyMs or both',
  });
/** How bad a service gets: either part left out stays as it was. */
export type Fault = z.infer<typeof faultSchema>;

const delayMs = z.number().int().min(0).max(60_000);
export const restartSchema = z.strictObject({
  instances: z.array(z.string()).min(1).optional(),
  /** Answer this much later (the restart lands then too): lets a test kill Airlock mid-call. */
  delayMs: delayMs.optional(),
});
export const restartQuery = z.object({ delayMs: z.coerce.number().pipe(delayMs).optional() });
export const scaleSchema = z.strictObject({ replicas: z.number().int().min(0).max(1_000) });
/** A config push; `null` removes a key, so answering `previous` back undoes a push exactly. */
const configKey = z.string().regex(/^[A-Za-z][\w.-]*$/, 'a letter, then letters, digits, _ . -');
export const configSchema = z
  .record(configKey, configValue.nullable())
  .refine((config) => Object.keys(config).length > 0, { message: 'give at least one key' });
export const faultsSchema = z.strictObject({ onRestart: faultSchema.nullable() });

/** Plain names: the metrics print them unescaped. */
const SERVICE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const serviceOptionsSchema = z.strictObject({
  replicas: z.number().int().min(0),
  config: z.record(configKey, configValue).optional(),
  /** Fewer replicas than this and the service fails requests; 2 by default. */
  minHealthyReplicas: z.number().int().min(0).optional(),
  /** Latency when healthy; 40 ms by default. */
  latencyMs: z.number().min(0).optional(),
});
export type ServiceOptions = z.input<typeof serviceOptionsSchema>;
export const servicesSchema = z.record(
  z.string().regex(SERVICE_NAME, 'lower-case letters, digits and dashes'),
  serviceOptionsSchema,
);

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** A 400 naming every problem and where it is. */
export function invalid(error: z.ZodError, prefix = ''): Reply {
  const problems = describe(error, prefix);
  return json(400, { error: problems.join('; '), problems });
}

export function describe(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    return path === '' && prefix === '' ? issue.message : `${prefix}${path}: ${issue.message}`;
  });
}

export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; value: string; error: string } {
  if (text.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, value: text, error: (error as Error).message };
  }
}
