/**
 * Templates in catalog executors and checks: `{{ params.replicas }}`, `{{ targets[0].id }}`,
 * `{{ env.NAME }}`, `{{ secret.NAME }}`. Rendering fails closed (a placeholder without a value
 * throws rather than leave a hole in a request) and reports the secret values it used, so that
 * whatever records the result can redact them. Pure apart from reading the given environment.
 */

import type { Target } from '../domain/action.ts';
import { formatPath } from '../domain/field-path.ts';
import type { JsonObject, JsonValue } from '../domain/json.ts';

/** The original action, when rendering its rollback. */
export interface OriginalContext {
  readonly params: JsonObject;
  readonly targets: readonly Target[];
  readonly target: Target | null;
  /** What the original executor answered (its parsed response or stdout), if anything. */
  readonly output: JsonValue | null;
}

/** What a template can refer to, besides the environment. */
export interface TemplateContext {
  readonly params: JsonObject;
  readonly targets: readonly Target[];
  /** The target being acted on when a spec runs per target; null otherwise. */
  readonly target: Target | null;
  readonly action: { readonly id: string; readonly type: string };
  readonly environment: string;
  readonly agent: { readonly id: string };
  readonly original?: OriginalContext;
}

/** Airlock's environment variables (`process.env` in production). */
export type TemplateEnv = Readonly<Record<string, string | undefined>>;

/** A rendered value and the secret values that went into it, for redacting whatever records it. */
export interface Rendered<T> {
  readonly value: T;
  readonly secrets: readonly string[];
}

export interface RenderOptions {
  /** `uri`: percent-encode substituted values (not `env.*`), so a param cannot add a path or query. */
  readonly encode?: 'uri';
  /** Where the string goes, e.g. `a URL`: a secret there is refused, since it would be recorded. */
  readonly forbidSecretsIn?: string;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  /** The offending placeholder (`{{ params.x }}`) or, for a syntax error, the template. */
  readonly placeholder: string;

  constructor(placeholder: string, message: string) {
    super(message);
    this.placeholder = placeholder;
  }
}

/** A syntax problem in one template of a spec. */
export interface TemplateProblem {
  /** Where in the spec, e.g. `headers.authorization`. */
  readonly path: string;
  readonly template: string;
  readonly message: string;
}

type Ref =
  | { readonly kind: 'var'; readonly secret: boolean; readonly name: string }
  | { readonly kind: 'path'; readonly root: string; readonly path: readonly (string | number)[] };
type Part = string | { readonly placeholder: string; readonly ref: Ref };

const CONTEXT_ROOTS = new Set(['params', 'targets', 'target', 'action', 'environment', 'agent', 'original']);
const PATH = /^([A-Za-z_][\w-]*)((?:\.[\w-]+|\[\d+\])*)$/;
const SEGMENT = /\.([\w-]+)|\[(\d+)\]/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Interpolate every placeholder of `template`: strings as they are, other values as JSON.
 *
 * @example
 * renderString('{{ env.API }}/deployments/{{ params.name }}', ctx, process.env, { encode: 'uri' })
 * // → { value: 'https://k8s.internal/deployments/web%2F..', secrets: [] }
 */
export function renderString(
  template: string,
  ctx: TemplateContext,
  env: TemplateEnv,
  options: RenderOptions = {},
): Rendered<string> {
  const secrets: string[] = [];
  let value = '';
  for (const part of parse(template)) {
    if (typeof part === 'string') {
      value += part;
      continue;
    }
    const text = stringify(resolve(part, ctx, env, secrets, options));
    const plainEnv = part.ref.kind === 'var' && !part.ref.secret;
    value += options.encode === 'uri' && !plainEnv ? encodeURIComponent(text) : text;
  }
  return { value, secrets };
}

/**
 * Render every string of a JSON value (object keys are left alone). A string that is exactly one
 * placeholder keeps the referenced value's JSON type: `"{{ params.replicas }}"` renders as `3`.
 */
export function renderValue(value: unknown, ctx: TemplateContext, env: TemplateEnv): Rendered<JsonValue> {
  const secrets: string[] = [];
  const walk = (node: unknown, at: readonly PropertyKey[]): JsonValue => {
    if (typeof node === 'string') {
      const parts = parse(node);
      const [only] = parts;
      if (parts.length === 1 && only !== undefined && typeof only !== 'string') {
        return resolve(only, ctx, env, secrets, {});
      }
      const rendered = renderString(node, ctx, env);
      secrets.push(...rendered.secrets);
      return rendered.value;
    }
    if (node === null || typeof node === 'boolean') return node;
    if (typeof node === 'number' && Number.isFinite(node)) return node;
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...at, i]));
    if (isPlainObject(node)) {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...at, key])]));
    }
    throw new TemplateError(formatPath(at), `${formatPath(at) || 'the value'} is not JSON`);
  };
  return { value: walk(value, []), secrets };
}

/** Every environment variable a spec refers to, split into plain ones and secrets; sorted. */
export function templateRefs(value: unknown): { env: string[]; secrets: string[] } {
  const env = new Set<string>();
  const secrets = new Set<string>();
  forEachString(value, [], (template) => {
    for (const part of tryParse(template) ?? []) {
      if (typeof part !== 'string' && part.ref.kind === 'var') {
        (part.ref.secret ? secrets : env).add(part.ref.name);
      }
    }
  });
  return { env: [...env].sort(), secrets: [...secrets].sort() };
}

/** The syntax problems of every template in a spec (empty when all parse), to refuse it at load time. */
export function checkTemplates(value: unknown): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  forEachString(value, [], (template, at) => {
    try {
      parse(template);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      problems.push({ path: formatPath(at), template, message: error.message });
    }
  });
  return problems;
}

/**
 * The value at a dotted path with `[n]` indexes (`status.ready`, `items[0].name`) in a JSON
 * value; undefined when absent. Only own properties count, so `constructor` is never found.
 */
export function lookupPath(value: unknown, path: string): JsonValue | undefined {
  const match = PATH.exec(path);
  if (match === null) return undefined;
  return lookup(value, [match[1] ?? '', ...segments(match[2] ?? '')]);
}

function parse(template: string): Part[] {
  const parts: Part[] = [];
  let rest = template;
  for (let open = rest.indexOf('{{'); open !== -1; open = rest.indexOf('{{')) {
    const close = rest.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(template, `unclosed "{{" in "${template}"`);
    if (open > 0) parts.push(rest.slice(0, open));
    const placeholder = rest.slice(open, close + 2);
    parts.push({ placeholder, ref: parseRef(placeholder) });
    rest = rest.slice(close + 2);
  }
  if (rest !== '') parts.push(rest);
  return parts;
}

function tryParse(template: string): Part[] | null {
  try {
    return parse(template);
  } catch {
    return null;
  }
}

function parseRef(placeholder: string): Ref {
  const inner = placeholder.slice(2, -2).trim();
  const match = PATH.exec(inner);
  if (match === null) throw new TemplateError(placeholder, `${placeholder} is not a path like params.name`);
  const root = match[1] ?? '';
  const path = segments(match[2] ?? '');
  if (root === 'env' || root === 'secret') {
    const [name] = path;
    if (path.length !== 1 || typeof name !== 'string' || !VAR_NAME.test(name)) {
      throw new TemplateError(placeholder, `${placeholder}: write ${root}.NAME, an environment variable`);
    }
    return { kind: 'var', secret: root === 'secret', name };
  }
  if (!CONTEXT_ROOTS.has(root)) {
    const roots = [...CONTEXT_ROOTS, 'env', 'secret'].join(', ');
    throw new TemplateError(placeholder, `${placeholder}: unknown "${root}" (use one of ${roots})`);
  }
  return { kind: 'path', root, path };
}

function segments(text: string): (string | number)[] {
  return [...text.matchAll(SEGMENT)].map((m) => (m[2] === undefined ? (m[1] ?? '') : Number(m[2])));
}

function resolve(
  part: Exclude<Part, string>,
  ctx: TemplateContext,
  env: TemplateEnv,
  secrets: string[],
  options: RenderOptions,
): JsonValue {
  const { placeholder, ref } = part;
  if (ref.kind === 'var') {
    if (ref.secret && options.forbidSecretsIn !== undefined) {
      throw new TemplateError(
        placeholder,
        `${placeholder}: a secret may not be used in ${options.forbidSecretsIn}`,
      );
    }
    const value = env[ref.name];
    if (value === undefined) {
      throw new TemplateError(placeholder, `${placeholder}: the environment variable ${ref.name} is not set`);
    }
    if (ref.secret) secrets.push(value);
    return value;
  }
  const value = lookup(roots(ctx), [ref.root, ...ref.path]);
  if (value !== undefined) return value;
  const hint =
    ref.root === 'target' && ctx.target === null ? ' (target is bound only when run per target)' : '';
  throw new TemplateError(placeholder, `${placeholder} has no value${hint}`);
}

function roots(ctx: TemplateContext): Record<string, unknown> {
  const { params, targets, target, action, environment, agent, original } = ctx;
  return { params, targets, target: target ?? undefined, action, environment, agent, original };
}

function lookup(value: unknown, path: readonly (string | number)[]): JsonValue | undefined {
  let node = value;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isPlainObject(node) && typeof key === 'string' && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node as JsonValue | undefined;
}

function stringify(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function forEachString(
  value: unknown,
  at: readonly PropertyKey[],
  visit: (text: string, at: readonly PropertyKey[]) => void,
): void {
  if (typeof value === 'string') visit(value, at);
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) forEachString(item, [...at, i], visit);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) forEachString(item, [...at, key], visit);
  }
}
