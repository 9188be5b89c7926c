/**
 * Runs compiled policy test cases through decide() and compares each outcome with what the case
 * expects; then rule coverage: the rules and limits of the bundle that no case exercised. Pure.
 */

import { decide } from '../decide/decide.ts';
import type { Decision, Reason } from '../domain/decision.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import type { PolicyTestCase } from './suite-compiler.ts';

/** One expectation the outcome did not meet. */
export interface Mismatch {
  readonly field: 'decision' | 'policy' | 'rules' | 'limits' | 'caps' | 'route';
  readonly expected: string | null | readonly string[];
  readonly actual: string | null | readonly string[];
}

export interface CaseResult {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly passed: boolean;
  readonly mismatches: readonly Mismatch[];
  readonly decision: Decision;
  /** The rules that matched (or whose condition failed to evaluate), in bundle order. */
  readonly rules: readonly string[];
  /** The limits exceeded, in bundle order. */
  readonly limits: readonly string[];
  /** The level caps and thresholds that did not pass, in the order decide() checked them. */
  readonly caps: readonly string[];
}

/** A rule or limit no case exercised, where it is declared (path relative to the project). */
export interface Unexercised {
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

export interface CoverageOf {
  readonly total: number;
  readonly exercised: number;
  readonly missed: readonly Unexercised[];
}

export interface Coverage {
  /** A rule is exercised when its condition held in some case (a failed evaluation does not count). */
  readonly rules: CoverageOf;
  /** A limit is exercised when some case exceeded it. */
  readonly limits: CoverageOf;
}

export interface TestRun {
  readonly bundle: string;
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly coverage: Coverage;
}

/**
 * Decide every case on the bundle and compare.
 *
 * @example
 * const run = runCases(cases, bundle);
 * run.failed;                 // 0
 * run.coverage.rules.missed;  // [{ name: 'scale-to-zero-needs-a-human', file: 'policies/routine.yaml', line: 35 }]
 */
export function runCases(cases: readonly PolicyTestCase[], bundle: PolicyBundle): TestRun {
  const results = cases.map((c) => runCase(c, bundle));
  const held = new Set<string>();
  const exceeded = new Set<string>();
  for (const result of results) {
    for (const reason of result.decision.reasons) {
      if (reason.kind === 'rule') held.add(reason.rule);
      if (reason.kind === 'limit' && !reason.passed) exceeded.add(reason.limit);
    }
  }
  const passed = results.filter((r) => r.passed).length;
  return {
    bundle: bundle.hash,
    results,
    passed,
    failed: results.length - passed,
    coverage: { rules: coverageOf(bundle.rules, held), limits: coverageOf(bundle.limits, exceeded) },
  };
}

function runCase(testCase: PolicyTestCase, bundle: PolicyBundle): CaseResult {
  const decision = decide(testCase.facts, bundle);
  const rules = matchedRules(decision.reasons);
  const limits = exceededLimits(decision.reasons);
  const caps = failedCaps(decision.reasons);
  const { expect } = testCase;
  const mismatches: Mismatch[] = [];
  if (expect.decision !== undefined && expect.decision !== decision.effect)
    mismatches.push({ field: 'decision', expected: expect.decision, actual: decision.effect });
  if (expect.policy !== undefined && expect.policy !== decision.policyEffect)
    mismatches.push({ field: 'policy', expected: expect.policy, actual: decision.policyEffect });
  if (expect.rules !== undefined && !sameNames(expect.rules, rules))
    mismatches.push({ field: 'rules', expected: expect.rules, actual: rules });
  if (expect.limits !== undefined && !sameNames(expect.limits, limits))
    mismatches.push({ field: 'limits', expected: expect.limits, actual: limits });
  if (expect.caps !== undefined && !sameNames(expect.caps, caps))
    mismatches.push({ field: 'caps', expected: expect.caps, actual: caps });
  if (expect.route !== undefined && expect.route !== decision.route)
    mismatches.push({ field: 'route', expected: expect.route, actual: decision.route });
  return {
    name: testCase.name,
    file: testCase.file,
    line: testCase.line,
    passed: mismatches.length === 0,
    mismatches,
    decision,
    rules,
    limits,
    caps,
  };
}

function matchedRules(reasons: readonly Reason[]): string[] {
  const names = new Set<string>();
  for (const reason of reasons)
    if (reason.kind === 'rule' || reason.kind === 'rule_error') names.add(reason.rule);
  return [...names];
}

/** Each exceeded limit once, though a limit kept per target has a fact per target. */
function exceededLimits(reasons: readonly Reason[]): string[] {
  const names = new Set<string>();
  for (const reason of reasons) if (reason.kind === 'limit' && !reason.passed) names.add(reason.limit);
  return [...names];
}

function failedCaps(reasons: readonly Reason[]): string[] {
  const codes = new Set<string>();
  for (const reason of reasons) if (reason.kind === 'cap' && !reason.passed) codes.add(reason.code);
  return [...codes];
}

function sameNames(expected: readonly string[], actual: readonly string[]): boolean {
  const want = new Set(expected);
  return want.size === actual.length && actual.every((name) => want.has(name));
}

function coverageOf(
  declared: readonly { name: string; file: string; line: number }[],
  exercised: ReadonlySet<string>,
): CoverageOf {
  const missed = declared
    .filter((d) => !exercised.has(d.name))
    .map(({ name, file, line }) => ({ name, file, line }));
  return { total: declared.length, exercised: declared.length - missed.length, missed };
}
