/**
 * The `mcp` section of airlock.yaml: the upstream MCP servers Airlock connects to on behalf of
 * agents, and how long a governed call may be held. Which tool becomes which action type is the
 * catalog's business (see catalog-schema.ts, `mcp`).
 */

import { z } from 'zod';
import { durationSchema } from '../config/durations.ts';

/** Upstream names prefix their tools (`fs.read_file`), so they are short lower-case words. */
export const UPSTREAM_NAME = /^[a-z][a-z0-9-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const stdioUpstreamSchema = z.strictObject({
  /** A program run without a shell, e.g. `npx`; relative paths resolve against airlock.yaml. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Variables set for the server; `{{ env.NAME }}` takes a value from Airlock's environment. */
  env: z.record(z.string().regex(ENV_NAME, 'an environment variable name'), z.string()).default({}),
  /** Working directory, relative to airlock.yaml. */
  cwd: z.string().min(1).optional(),
});

const httpUpstreamSchema = z.strictObject({
  /** A streamable HTTP MCP endpoint. */
  url: z.url({ protocol: /^https?$/ }),
  /** Sent with every request; `{{ env.NAME }}` takes a value from Airlock's environment. */
  headers: z.record(z.string().min(1), z.string()).default({}),
});

export const upstreamSchema = z.union([stdioUpstreamSchema, httpUpstreamSchema]);

export const mcpConfigSchema = z.strictObject({
  servers: z
    .record(z.string().regex(UPSTREAM_NAME, 'server names are lower-case words joined by -'), upstreamSchema)
    .default({}),
  /** How long an escalated tool call is held while its approval runs, before it answers "pending". */
  approvalWait: durationSchema.default(60_000),
  /** How often a held call sends a progress notification (when the caller asked for progress). */
  progressInterval: durationSchema.default(5_000),
  /** How long an upstream may take to answer one request. */
  requestTimeout: durationSchema.default(60_000),
  /** A streamable HTTP session with no request for this long is closed. */
  sessionIdle: durationSchema.default(30 * 60_000),
  /**
   * Browser origins (`https://agents.example.com`) allowed to call `/mcp`, besides loopback ones.
   * A request that carries any other `Origin` is refused: DNS-rebinding protection.
   */
  allowedOrigins: z
    .array(
      z
        .url({ protocol: /^https?$/ })
        .refine(
          (url) => new URL(url).origin === url.replace(/\/$/, ''),
          'an origin: scheme, host and port only',
        ),
    )
    .default([]),
});

export type McpConfig = z.output<typeof mcpConfigSchema>;
export type UpstreamSpec = z.output<typeof upstreamSchema>;
export type StdioUpstreamSpec = z.output<typeof stdioUpstreamSchema>;
export type HttpUpstreamSpec = z.output<typeof httpUpstreamSchema>;

export const DEFAULT_MCP_CONFIG: McpConfig = mcpConfigSchema.parse({});
