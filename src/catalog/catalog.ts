/** The action catalog in force: every action type agents may propose, and the checks a proposal must pass. */

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ActionRequest } from '../domain/action.ts';
import type { ErrorDetail } from '../domain/errors.ts';
import type { JsonObject } from '../domain/json.ts';
import type { RiskDomain, Tier } from '../domain/risk.ts';
import type { ActionTypeSpec, ExecutionSpec, RollbackSpec, VerificationSpec } from './catalog-schema.ts';
import { mcpCatalogSchema, ToolMapper } from './tool-mapping.ts';

export interface CatalogEntry {
  readonly type: string;
  readonly description: string;
  readonly tier: Tier;
  readonly domains: readonly RiskDomain[];
  readonly reversible: boolean;
  readonly targets: ActionTypeSpec['targets'];
  readonly paramsSchema: JsonObject;
  readonly example: JsonObject;
  /** How it is carried out; null: by the agent, under a permit. */
  readonly execution: ExecutionSpec | null;
  readonly verification: VerificationSpec | null;
  readonly rollback: RollbackSpec | null;
  /** The directory of the catalog file that declared it (commands' working directories are relative to it). */
  readonly baseDir: string;
  readonly validateParams: ValidateFunction;
  readonly validateTarget: ValidateFunction | null;
}

export type CatalogCheck =
  | { readonly ok: true; readonly entry: CatalogEntry }
  | {
      readonly ok: false;
      readonly code: 'unknown_action_type' | 'validation_failed';
      readonly details: ErrorDetail[];
    };

export function createAjv(): Ajv {
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
}

export class Catalog {
  readonly #entries: ReadonlyMap<string, CatalogEntry>;
  /** How MCP tool calls become action requests (the defaults when no file has an `mcp` section). */
  readonly tools: ToolMapper;

  constructor(
    entries: readonly CatalogEntry[],
    tools: ToolMapper = new ToolMapper(mcpCatalogSchema.parse({})),
  ) {
    this.#entries = new Map(entries.map((entry) => [entry.type, entry]));
    this.tools = tools;
  }

  get(type: string): CatalogEntry | undefined {
    return this.#entries.get(type);
  }

  list(): CatalogEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Check a well-formed request against its action type: known type, target count and attributes, params. */
  check(request: ActionRequest): CatalogCheck {
    const entry = this.#entries.get(request.type);
    if (entry === undefined) {
      const hint = this.#similar(request.type);
      return {
        ok: false,
        code: 'unknown_action_type',
        details: [
          {
            path: 'type',
            message: `unknown action type "${request.type}"${hint === null ? '' : ` (did you mean "${hint}"?)`}`,
          },
        ],
      };
    }
    const details: ErrorDetail[] = [];
    const { min, max } = entry.targets;
    if (request.targets.length < min) {
      details.push({
        path: 'targets',
        message: `${entry.type} needs at least ${min} target${min === 1 ? '' : 's'}`,
      });
    } else if (request.targets.length > max) {
      details.push({ path: 'targets', message: `${entry.type} allows at most ${max} targets` });
    }
    if (entry.validateTarget !== null) {
      request.targets.forEach((target, index) => {
        if (!entry.validateTarget?.(target))
          details.push(...ajvDetails(`targets[${index}]`, entry.validateTarget?.errors));
      });
    }
    if (!entry.validateParams(request.params))
      details.push(...ajvDetails('params', entry.validateParams.errors));
    return details.length === 0 ? { ok: true, entry } : { ok: false, code: 'validation_failed', details };
  }

  #similar(type: string): string | null {
    const prefix = type.split('.')[0] ?? '';
    for (const name of this.#entries.keys()) if (name.startsWith(`${prefix}.`)) return name;
    return null;
  }
}

/** Ajv errors as field-path details: `params.replicas: must be <= 10`. */
export function ajvDetails(root: string, errors: readonly ErrorObject[] | null | undefined): ErrorDetail[] {
  return (errors ?? []).map((error) => {
    let path = root + jsonPointerToPath(error.instancePath);
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'required') path += `.${String(params.missingProperty)}`;
    if (error.keyword === 'additionalProperties') {
      return { path: `${path}.${String(params.additionalProperty)}`, message: 'is not an allowed field' };
    }
    const message = error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid');
    return { path, message };
  });
}

function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('');
}
