/**
 * How MCP tool calls become action requests. The catalog's `mcp` section maps namespaced tool
 * names (`<server>.<tool>`, globs allowed) to action types, with templates over the call's
 * arguments for params, targets and environment; a tool no mapping names falls to the
 * `unmapped` type (by default `mcp.unmapped`, tier high). Pure.
 *
 * @example
 * mcp:
 *   environment: production
 *   tools:
 *     - tool: fs.read_*
 *       type: file.read
 *       targets: [{ id: "{{ args.path }}" }]
 */

import { z } from 'zod';
import type { Target } from '../domain/action.ts';
import type { JsonObject, JsonValue } from '../domain/json.ts';
import { RISK_DOMAINS, TIERS } from '../domain/risk.ts';
import { lookupPath } from '../execution/template.ts';
import { type Glob, glob } from '../policy/glob.ts';

const TYPE_NAME = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

export const toolMappingSchema = z.strictObject({
  /** A namespaced tool name or glob: `fs.write_file`, `fs.*`, `*.delete_*`. */
  tool: z.string().min(1),
  type: z.string().regex(TYPE_NAME, 'an action type name'),
  /** Template; default: the section's `environment`. */
  environment: z.string().min(1).optional(),
  /** Templates; each target needs an `id`. Default: one target, the tool itself. */
  targets: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  /** A JSON value whose strings are templates; default `"{{ args }}"`: the arguments as they are. */
  params: z.unknown().optional(),
});

export const mcpCatalogSchema = z.strictObject({
  /** The environment of a call whose mapping names none. */
  environment: z.string().min(1).default('production'),
  /** First match wins, in file order. */
  tools: z.array(toolMappingSchema).default([]),
  /** What a tool no mapping names becomes; declared here unless the catalog declares the type. */
  unmapped: z
    .strictObject({
      type: z.string().regex(TYPE_NAME, 'an action type name').default('mcp.unmapped'),
      tier: z.enum(TIERS).default('high'),
      domains: z.array(z.enum(RISK_DOMAINS)).min(1).default(['configuration']),
    })
    .default({ type: 'mcp.unmapped', tier: 'high', domains: ['configuration'] }),
});

export type McpCatalogSpec = z.output<typeof mcpCatalogSchema>;
export type ToolMappingSpec = z.output<typeof toolMappingSchema>;

/** What a template in a mapping sees. */
export interface ToolCall {
  /** Namespaced: `fs.write_file`. */
  readonly tool: string;
  readonly server: string;
  /** The upstream's own name: `write_file`. */
  readonly name: string;
  readonly args: JsonObject;
}

export interface MappedCall {
  readonly type: string;
  readonly environment: string;
  readonly targets: Target[];
  readonly params: JsonObject;
  /** The mapping that applied (its index in `tools`), or null for the unmapped default. */
  readonly mapping: number | null;
}

export type MapResult =
  | { readonly ok: true; readonly call: MappedCall }
  | { readonly ok: false; readonly message: string };

interface CompiledMapping {
  readonly index: number | null;
  readonly pattern: Glob | null;
  readonly spec: ToolMappingSpec;
}

export const UNMAPPED_PARAMS_SCHEMA: JsonObject = {
  type: 'object',
  properties: { tool: { type: 'string' }, arguments: { type: 'object' } },
  required: ['tool', 'arguments'],
  additionalProperties: false,
};

export class ToolMapper {
  readonly environment: string;
  readonly unmappedType: string;
  readonly #mappings: readonly CompiledMapping[];
  readonly #unmapped: CompiledMapping;

  constructor(spec: McpCatalogSpec) {
    this.environment = spec.environment;
    this.unmappedType = spec.unmapped.type;
    this.#mappings = spec.tools.map((m, index) => ({ index, pattern: glob(m.tool), spec: m }));
    this.#unmapped = {
      index: null,
      pattern: null,
      spec: {
        tool: '*',
        type: spec.unmapped.type,
        params: { tool: '{{ tool }}', arguments: '{{ args }}' },
      },
    };
  }

  /** The action types calls can become: every mapped type, then the unmapped one. */
  types(): string[] {
    return [...new Set([...this.#mappings.map((m) => m.spec.type), this.unmappedType])];
  }

  /** The mapping a tool falls under, without arguments (for listing). */
  typeOf(tool: string): { readonly type: string; readonly environment: string | null } {
    const { spec } = this.#find(tool);
    const env = spec.environment;
    return {
      type: spec.type,
      environment: env === undefined ? this.environment : hasTemplate(env) ? null : env,
    };
  }

  map(call: ToolCall): MapResult {
    const mapping = this.#find(call.tool);
    const { spec } = mapping;
    const scope: JsonObject = { args: call.args, tool: call.tool, server: call.server, name: call.name };
    try {
      const environment = render(spec.environment ?? this.environment, scope);
      if (typeof environment !== 'string' || environment === '')
        return fail(`the environment of ${call.tool} must be a string, not ${JSON.stringify(environment)}`);
      const targets = (spec.targets ?? [{ id: '{{ tool }}' }]).map((t, i) => {
        const target = render(t, scope);
        const id = isObject(target) ? target.id : undefined;
        if (typeof id !== 'string' || id === '')
          throw new MappingError(`targets[${i}].id of ${call.tool} must be a non-empty string`);
        return target as Target;
      });
      const params = render(spec.params ?? '{{ args }}', scope);
      if (!isObject(params)) return fail(`the params of ${call.tool} must be an object`);
      return { ok: true, call: { type: spec.type, environment, targets, params, mapping: mapping.index } };
    } catch (error) {
      if (error instanceof MappingError) return fail(error.message);
      throw error;
    }
  }

  #find(tool: string): CompiledMapping {
    return this.#mappings.find((m) => m.pattern?.matches(tool) === true) ?? this.#unmapped;
  }
}

class MappingError extends Error {}

function fail(message: string): MapResult {
  return { ok: false, message };
}

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const ONLY_PLACEHOLDER = /^\{\{\s*([^}]*?)\s*\}\}$/;

function hasTemplate(text: string): boolean {
  return /\{\{/.test(text);
}

/** Render a JSON value whose strings are templates over `scope`; a lone placeholder keeps its type. */
export function render(value: unknown, scope: JsonObject): JsonValue {
  if (typeof value === 'string') {
    const only = ONLY_PLACEHOLDER.exec(value);
    if (only !== null) return resolve(only[1] ?? '', scope);
    return value.replace(PLACEHOLDER, (_, path: string) => {
      const found = resolve(path, scope);
      return typeof found === 'string' ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => render(item, scope));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, scope)]));
  return value as JsonValue;
}

function resolve(path: string, scope: JsonObject): JsonValue {
  const found = lookupPath(scope, path);
  if (found === undefined) {
    const what = path.startsWith('args.') ? `the argument ${path.slice(5)}` : `"${path}"`;
    throw new MappingError(`${what} is missing (the catalog's mcp mapping needs it)`);
  }
  return found;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Syntax problems of a mapping's templates: a root other than args, tool, server, name. */
export function mappingTemplateProblems(spec: ToolMappingSpec): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const visit = (value: unknown, at: string): void => {
    if (typeof value === 'string') {
      for (const [, path] of value.matchAll(PLACEHOLDER)) {
        const root = /^([A-Za-z_]\w*)/.exec(path ?? '')?.[1];
        if (root === undefined || !['args', 'tool', 'server', 'name'].includes(root))
          problems.push({
            path: at,
            message: `"{{ ${path} }}" refers to nothing: use args.<name>, tool, server or name`,
          });
      }
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, `${at}.${i}`);
    } else if (isObject(value)) for (const [k, v] of Object.entries(value)) visit(v, `${at}.${k}`);
  };
  visit(spec.environment, 'environment');
  visit(spec.targets, 'targets');
  visit(spec.params, 'params');
  return problems;
}
