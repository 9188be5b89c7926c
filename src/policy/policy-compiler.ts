/**
 * Compiles policy files into a bundle: every rule and limit validated, every condition parsed and
 * type-checked, every problem reported with file, rule and position. All or nothing.
 */

import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { Effect } from '../domain/decision.ts';
import { compileCondition } from './cel-env.ts';
import { glob } from './glob.ts';
import { LIMIT_CHECKS, type LimitSpec, limitSchema } from './limit-schema.ts';
import type { CompiledLimit, CompiledRule, LimitCheck, PolicyBundle, PolicyFile } from './policy-bundle.ts';
import { type MatchSpec, policyFileSchema, type RuleSpec, ruleSchema } from './policy-schema.ts';

export interface PolicySource {
  readonly source: YamlSource;
  /** Path relative to the project directory: stable across machines, so the bundle hash is too. */
  readonly relativePath: string;
}

export interface CompileContext {
  /** Action types of the catalog, to catch patterns that match nothing; null when the catalog did not load. */
  readonly actionTypes: readonly string[] | null;
  readonly environments: ReadonlySet<string>;
  readonly defaultEffect: Effect;
  /** Route names a rule may name; null when the routes did not load (then names are not checked). */
  readonly routes?: ReadonlySet<string> | null | undefined;
}

const TYPE_PATTERN = /^[a-z0-9*][a-z0-9_.*-]*$/;

export function compilePolicies(
  sources: readonly PolicySource[],
  context: CompileContext,
): Loaded<PolicyBundle> {
  const problems: Problem[] = [];
  const rules: CompiledRule[] = [];
  const limits: CompiledLimit[] = [];
  /** Rules and limits share one namespace: reasons and counters name them alone. */
  const names = new Map<string, { what: 'rule' | 'limit'; at: string }>();

  for (const { source, relativePath } of sources) {
    const decoded = source.decode(policyFileSchema);
    if (!decoded.ok) {
      problems.push(...decoded.problems);
      continue;
    }
    /** Take `name` for the entry at `at`; false (with the problem reported) when it is taken. */
    const claim = (what: 'rule' | 'limit', at: readonly PropertyKey[], name: string): boolean => {
      const earlier = names.get(name);
      if (earlier !== undefined) {
        const message =
          earlier.what === what
            ? `${what} "${name}" is already defined at ${earlier.at}`
            : `${what} "${name}": the name is already used by the ${earlier.what} at ${earlier.at}`;
        problems.push(source.problem([...at, 'name'], message));
        return false;
      }
      names.set(name, { what, at: `${source.file}:${source.locate(at).line}` });
      return true;
    };

    decoded.value.rules.forEach((raw, index) => {
      const at = ['rules', index] as const;
      const rule = source.decodeAt(at, raw, ruleSchema);
      if (!rule.ok) {
        problems.push(...rule.problems);
        return;
      }
      if (!claim('rule', at, rule.value.name)) return;
      const where = { source, relativePath, index, line: source.locate(at).line };
      const compiled = compileRule(rule.value, where, context, problems);
      if (compiled !== null) rules.push(compiled);
    });

    decoded.value.limits.forEach((raw, index) => {
      const at = ['limits', index] as const;
      const limit = source.decodeAt(at, raw, limitSchema);
      if (!limit.ok) problems.push(...limit.problems);
      problems.push(...checkOneBound(source, at, raw));
      if (!limit.ok || !claim('limit', at, limit.value.name)) return;
      const where = { source, relativePath, index, line: source.locate(at).line };
      const compiled = compileLimit(limit.value, where, context, problems);
      if (compiled !== null) limits.push(compiled);
    });
  }
  if (problems.length > 0) return failed(problems);

  const files: PolicyFile[] = sources.map(({ source, relativePath }) => ({
    path: relativePath,
    sha256: sha256Hex(source.text),
  }));
  // The file texts cover the limits as they cover the rules: no separate term is needed.
  const hash = `sha256:${sha256Hex(canonicalJson({ defaultEffect: context.defaultEffect, files }))}`;
  return loaded({ hash, defaultEffect: context.defaultEffect, rules, limits, files });
}

interface Where {
  readonly source: YamlSource;
  readonly relativePath: string;
  readonly index: number;
  readonly line: number;
}

function compileRule(
  spec: RuleSpec,
  at: Where,
  context: CompileContext,
  problems: Problem[],
): CompiledRule | null {
  const { source, index } = at;
  const path = ['rules', index] as const;
  const before = problems.length;
  const ruleProblem = (field: readonly PropertyKey[], message: string) =>
    problems.push(source.problem([...path, ...field], `rule "${spec.name}": ${message}`));

  checkMatch(spec.match, context, ruleProblem);

  if (spec.route !== undefined) {
    if (spec.effect !== 'escalate') {
      ruleProblem(['route'], `only an escalate rule names a route (this one is ${spec.effect})`);
    } else if (context.routes != null && !context.routes.has(spec.route)) {
      ruleProblem(['route'], `unknown route "${spec.route}" (known: ${[...context.routes].join(', ')})`);
    }
  }

  let condition = null;
  if (spec.when !== undefined) {
    const compiled = compileCondition(spec.when);
    if (compiled.ok) condition = compiled.condition;
    else {
      const { line, column } = source.locateInString([...path, 'when'], compiled.offset);
      problems.push({
        file: source.file,
        line,
        column,
        path: `rules[${index}].when`,
        message: `rule "${spec.name}": ${compiled.message}`,
      });
    }
  }
  if (problems.length > before) return null;

  return {
    name: spec.name,
    file: at.relativePath,
    line: at.line,
    effect: spec.effect,
    reason: spec.reason,
    description: spec.description ?? null,
    match: spec.match,
    route: spec.route ?? null,
    types: spec.match.types?.map(glob) ?? null,
    environments: spec.match.environments === undefined ? null : new Set(spec.match.environments),
    when: spec.when ?? null,
    condition,
  };
}

function compileLimit(
  spec: LimitSpec,
  at: Where,
  context: CompileContext,
  problems: Problem[],
): CompiledLimit | null {
  const before = problems.length;
  checkMatch(spec.match, context, (field, message) =>
    problems.push(at.source.problem(['limits', at.index, ...field], `limit "${spec.name}": ${message}`)),
  );
  const check = limitCheck(spec);
  if (check === null || problems.length > before) return null;
  return {
    name: spec.name,
    file: at.relativePath,
    line: at.line,
    effect: spec.effect,
    reason: spec.reason,
    description: spec.description ?? null,
    match: spec.match,
    types: spec.match.types?.map(glob) ?? null,
    environments: spec.match.environments === undefined ? null : new Set(spec.match.environments),
    check,
  };
}

/** The one bound a limit declares; null when it declares none or several (see checkOneBound). */
function limitCheck(spec: LimitSpec): LimitCheck | null {
  const { rate, targets, fraction, inFlight } = spec;
  const declared = [rate, targets, fraction, inFlight].filter((b) => b !== undefined).length;
  if (declared !== 1) return null;
  if (rate !== undefined) return { kind: 'rate', count: rate.count, window: rate.per, by: rate.by };
  if (targets !== undefined) return { kind: 'targets', max: targets.max };
  if (fraction !== undefined) return { kind: 'fraction', max: fraction.max };
  if (inFlight !== undefined) return { kind: 'in_flight', max: inFlight.max, by: inFlight.by };
  return null;
}

/**
 * A limit bounds exactly one thing. Checked on the raw entry, so that this problem is reported
 * beside the field problems of the same limit rather than after they are fixed.
 */
function checkOneBound(source: YamlSource, at: readonly PropertyKey[], raw: unknown): Problem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const entry = raw as Record<string, unknown>;
  const label = typeof entry.name === 'string' ? `limit "${entry.name}"` : 'limit';
  const declared = LIMIT_CHECKS.filter((key) => Object.hasOwn(entry, key));
  const [first, second] = declared;
  if (first === undefined) {
    return [source.problem(at, `${label}: say what it bounds with one of ${LIMIT_CHECKS.join(', ')}`)];
  }
  if (second === undefined) return [];
  return [
    source.problem(
      [...at, second],
      `${label}: a limit bounds one thing, this one has ${declared.join(' and ')} (split it into ${declared.length} limits)`,
    ),
  ];
}

/** Type patterns must be patterns that match a catalog type; environments must be known. */
function checkMatch(
  match: MatchSpec,
  context: CompileContext,
  problem: (field: readonly PropertyKey[], message: string) => void,
): void {
  match.types?.forEach((pattern, i) => {
    if (!TYPE_PATTERN.test(pattern)) {
      problem(
        ['match', 'types', i],
        `"${pattern}" is not an action type pattern (e.g. service.restart, service.*)`,
      );
    } else if (
      context.actionTypes !== null &&
      !context.actionTypes.some((type) => glob(pattern).matches(type))
    ) {
      problem(['match', 'types', i], `"${pattern}" matches no action type in the catalog`);
    }
  });
  match.environments?.forEach((name, i) => {
    if (!context.environments.has(name)) {
      problem(
        ['match', 'environments', i],
        `unknown environment "${name}" (known: ${[...context.environments].join(', ')})`,
      );
    }
  });
}
