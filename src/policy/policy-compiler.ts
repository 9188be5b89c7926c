/**
 * Compiles policy files into a bundle: every rule validated, every condition parsed and
 * type-checked, every problem reported with file, rule and position. All or nothing.
 */

import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { Effect } from '../domain/decision.ts';
import { compileCondition } from './cel-env.ts';
import { glob } from './glob.ts';
import type { CompiledRule, PolicyBundle, PolicyFile } from './policy-bundle.ts';
import { policyFileSchema, type RuleSpec, ruleSchema } from './policy-schema.ts';

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
  const names = new Map<string, string>();

  for (const { source, relativePath } of sources) {
    const decoded = source.decode(policyFileSchema);
    if (!decoded.ok) {
      problems.push(...decoded.problems);
      continue;
    }
    decoded.value.rules.forEach((raw, index) => {
      const at = ['rules', index] as const;
      const rule = source.decodeAt(at, raw, ruleSchema);
      if (!rule.ok) {
        problems.push(...rule.problems);
        return;
      }
      const spec = rule.value;
      const where = source.locate(at);
      const earlier = names.get(spec.name);
      if (earlier !== undefined) {
        problems.push(
          source.problem([...at, 'name'], `rule "${spec.name}" is already defined at ${earlier}`),
        );
        return;
      }
      names.set(spec.name, `${source.file}:${where.line}`);
      const compiled = compileRule(
        spec,
        { source, relativePath, index, line: where.line },
        context,
        problems,
      );
      if (compiled !== null) rules.push(compiled);
    });
  }
  if (problems.length > 0) return failed(problems);

  const files: PolicyFile[] = sources.map(({ source, relativePath }) => ({
    path: relativePath,
    sha256: sha256Hex(source.text),
  }));
  const hash = `sha256:${sha256Hex(canonicalJson({ defaultEffect: context.defaultEffect, files }))}`;
  return loaded({ hash, defaultEffect: context.defaultEffect, rules, files });
}

function compileRule(
  spec: RuleSpec,
  at: { source: YamlSource; relativePath: string; index: number; line: number },
  context: CompileContext,
  problems: Problem[],
): CompiledRule | null {
  const { source, index } = at;
  const path = ['rules', index] as const;
  const before = problems.length;
  const ruleProblem = (field: readonly PropertyKey[], message: string) =>
    problems.push(source.problem([...path, ...field], `rule "${spec.name}": ${message}`));

  spec.match.types?.forEach((pattern, i) => {
    if (!TYPE_PATTERN.test(pattern)) {
      ruleProblem(
        ['match', 'types', i],
        `"${pattern}" is not an action type pattern (e.g. service.restart, service.*)`,
      );
    } else if (
      context.actionTypes !== null &&
      !context.actionTypes.some((type) => glob(pattern).matches(type))
    ) {
      ruleProblem(['match', 'types', i], `"${pattern}" matches no action type in the catalog`);
    }
  });
  spec.match.environments?.forEach((name, i) => {
    if (!context.environments.has(name)) {
      ruleProblem(
        ['match', 'environments', i],
        `unknown environment "${name}" (known: ${[...context.environments].join(', ')})`,
      );
    }
  });

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
    route: spec.route ?? null,
    types: spec.match.types?.map(glob) ?? null,
    environments: spec.match.environments === undefined ? null : new Set(spec.match.environments),
    when: spec.when ?? null,
    condition,
  };
}
