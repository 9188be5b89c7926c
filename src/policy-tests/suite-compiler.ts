/**
 * Compiles policy test suites into cases ready to decide: every case validated against the
 * catalog, the environments and the bundle under test, every problem reported with file, line and
 * field path. Pure: takes parsed YAML, not files.
 */

import { failed, type Loaded, loaded, type Problem } from '../config/problems.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import type { DecisionFacts } from '../decide/facts.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import { caseFacts, type SuiteContext } from './case-facts.ts';
import { caseSchema, type ExpectSpec, suiteFileSchema } from './suite-schema.ts';

/** One case, its facts built: what decide() will see, and what must come out. */
export interface PolicyTestCase {
  readonly name: string;
  /** The suite file as shown to people. */
  readonly file: string;
  readonly line: number;
  readonly facts: DecisionFacts;
  readonly expect: ExpectSpec;
}

/**
 * Every case of every suite, or every problem of every suite: a suite with a problem runs no case.
 *
 * @example
 * const cases = compileSuites([source], { bundle, catalog, environments, trust, freezes, inventory });
 * if (!cases.ok) for (const p of cases.problems) console.error(formatProblem(p));
 */
export function compileSuites(
  sources: readonly YamlSource[],
  context: SuiteContext,
): Loaded<PolicyTestCase[]> {
  const problems: Problem[] = [];
  const cases: PolicyTestCase[] = [];
  for (const source of sources) {
    const suite = compileSuite(source, context);
    if (suite.ok) cases.push(...suite.value);
    else problems.push(...suite.problems);
  }
  return problems.length === 0 ? loaded(cases) : failed(problems);
}

function compileSuite(source: YamlSource, context: SuiteContext): Loaded<PolicyTestCase[]> {
  const decoded = source.decode(suiteFileSchema);
  if (!decoded.ok) return failed(decoded.problems);
  const problems: Problem[] = [];
  const cases: PolicyTestCase[] = [];
  const names = new Map<string, number>();

  decoded.value.tests.forEach((raw, index) => {
    const at = ['tests', index] as const;
    const spec = source.decodeAt(at, raw, caseSchema);
    if (!spec.ok) {
      problems.push(...spec.problems);
      return;
    }
    const { name, request, expect } = spec.value;
    const line = source.locate(at).line;
    const before = problems.length;
    const problem = (field: readonly PropertyKey[], message: string) =>
      problems.push(source.problem([...at, ...field], `case "${name}": ${message}`));

    const earlier = names.get(name);
    if (earlier !== undefined) problem(['name'], `the name is already used by the case at line ${earlier}`);
    else names.set(name, line);

    const environment = context.environments.get(request.environment);
    if (environment === undefined) {
      const known = [...context.environments.keys()].join(', ');
      problem(['request', 'environment'], `unknown environment "${request.environment}" (known: ${known})`);
    }
    const checked = context.catalog.check(request);
    if (!checked.ok)
      for (const detail of checked.details) problem(['request', ...splitPath(detail.path)], detail.message);
    if (spec.value.calibratedConfidence !== undefined && request.confidence === null)
      problem(['calibratedConfidence'], 'calibrates a stated confidence: give the request a confidence');

    for (const limit of Object.keys(spec.value.counters)) {
      const message = counterProblem(context.bundle, limit);
      if (message !== null) problem(['counters', limit], message);
    }
    checkNames(context.bundle, expect, problem);

    if (problems.length > before || environment === undefined || !checked.ok) return;
    cases.push({
      name,
      file: source.file,
      line,
      facts: caseFacts(spec.value, checked.entry, environment, context),
      expect,
    });
  });
  return problems.length === 0 ? loaded(cases) : failed(problems);
}

/** A counter names a limit of the bundle that counts something (rate or in flight). */
function counterProblem(bundle: PolicyBundle, name: string): string | null {
  const limit = bundle.limits.find((l) => l.name === name);
  const counted = bundle.limits.filter((l) => l.check.kind === 'rate' || l.check.kind === 'in_flight');
  if (limit === undefined) {
    const known = counted.length === 0 ? 'none has' : counted.map((l) => l.name).join(', ');
    return `no limit "${name}" in the bundle (counted limits: ${known})`;
  }
  const { kind } = limit.check;
  if (kind === 'targets') return `limit "${name}" bounds the targets of the request: nothing is counted`;
  if (kind === 'fraction')
    return `limit "${name}" bounds a share of a service (targets and the inventory): nothing is counted`;
  return null;
}

/** Names in expect.rules and expect.limits must be rules and limits of the bundle. */
function checkNames(
  bundle: PolicyBundle,
  expect: ExpectSpec,
  problem: (field: readonly PropertyKey[], message: string) => void,
): void {
  const rules = new Set(bundle.rules.map((r) => r.name));
  const limits = new Set(bundle.limits.map((l) => l.name));
  expect.rules?.forEach((name, i) => {
    if (rules.has(name)) return;
    problem(
      ['expect', 'rules', i],
      limits.has(name)
        ? `"${name}" is a limit: list it under expect.limits`
        : `no rule "${name}" in the bundle`,
    );
  });
  expect.limits?.forEach((name, i) => {
    if (limits.has(name)) return;
    problem(
      ['expect', 'limits', i],
      rules.has(name)
        ? `"${name}" is a rule: list it under expect.rules`
        : `no limit "${name}" in the bundle`,
    );
  });
}

/** A field path as formatPath writes it (`params.replicas`, `targets[0]`, `params["a b"]`) as keys. */
export function splitPath(text: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const match of text.matchAll(/\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|([^.[\]]+)/g)) {
    const [, index, quoted, plain] = match;
    if (index !== undefined) keys.push(Number(index));
    else if (quoted !== undefined) keys.push(JSON.parse(quoted) as string);
    else if (plain !== undefined) keys.push(plain);
  }
  return keys;
}
