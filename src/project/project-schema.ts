/** The shape of `airlock.yaml`, the one project file that points to everything else. */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';
import { EFFECTS } from '../domain/decision.ts';
import { trustSettingsSchema } from '../trust/trust-settings.ts';
import { DEFAULT_MCP_CONFIG, mcpConfigSchema } from './mcp-config.ts';
import { storageSchema } from './storage-config.ts';

const paths = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((p) => (Array.isArray(p) ? p : [p]));

export const environmentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, 'environment names are letters, digits, - . _'),
  production: z.boolean().default(false),
  /** Local-time windows in which level-3 agents may act alone, e.g. "Mon-Fri 09:00-17:00 Europe/Berlin". */
  changeWindows: z.array(z.string()).default([]),
});

export const freezeSchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    environments: z.array(z.string().min(1)).min(1).optional(),
    reason: z.string().min(1, 'say why: the reason is shown in every decision it changes'),
  })
  .refine((f) => Date.parse(f.from) < Date.parse(f.to), { message: 'a freeze must end after it starts' });

export type FreezeSpec = z.output<typeof freezeSchema>;

export const inventoryFileSchema = z.strictObject({
  services: z.record(z.string().min(1), z.strictObject({ instances: z.number().int().min(1) })),
});

export const projectSchema = z.strictObject({
  version: z.literal(1).default(1),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8080),
      /** Largest request body accepted, in bytes. */
      bodyLimit: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
    })
    .default({ host: '127.0.0.1', port: 8080, bodyLimit: 1024 * 1024 }),
  storage: storageSchema,
  catalog: paths,
  policies: paths,
  people: z.string().min(1).optional(),
  /** Approval routes (escalation graphs), owners' default routes and webhooks. */
  routes: z.string().min(1).optional(),
  environments: z.array(environmentSchema).min(1),
  policy: z
    .strictObject({
      /** What happens when no rule matches. */
      defaultEffect: z.enum(EFFECTS).default('escalate'),
      /** Reload policies and catalog when their files change. */
      watch: z.boolean().default(true),
      /**
       * A candidate bundle (files or a directory, like `policies`) evaluated beside the live one on
       * every decision and never enforced; disagreements are recorded (see docs/policies.md).
       */
      shadow: paths.optional(),
    })
    .default({ defaultEffect: 'escalate', watch: true }),
  /** The Prometheus server that `prometheus` verification checks query. */
  prometheus: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }),
      timeout: durationSchema.default(5_000),
    })
    .optional(),
  /** Calendar freezes: no autonomous execution from `from` to `to` in these environments (default all). */
  freezes: z.array(freezeSchema).default([]),
  /** Services and how many instances each runs, for blast-radius limits (`fraction`). */
  inventory: z.string().min(1).optional(),
  trust: trustSettingsSchema.default(trustSettingsSchema.parse({})),
  /** Upstream MCP servers that agents reach through Airlock's MCP gateway (see docs/mcp.md). */
  mcp: mcpConfigSchema.default(DEFAULT_MCP_CONFIG),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
});

export type ProjectConfig = z.output<typeof projectSchema>;
export type EnvironmentSpec = z.output<typeof environmentSchema>;

export const ROLES = ['viewer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const personSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'person ids are lower-case words joined by - . or _'),
  name: z.string().min(1),
  role: z.enum(ROLES),
  groups: z.array(z.string().min(1)).default([]),
  email: z.string().optional(),
});

export const peopleFileSchema = z.strictObject({
  people: z.array(personSchema),
});

export type Person = z.output<typeof personSchema>;
