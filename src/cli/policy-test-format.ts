/** The outcome of `airlock policy test`, written for a person reading a terminal and as JSON. */

import path from 'node:path';
import type { Reason } from '../domain/decision.ts';
import type { CaseResult, Mismatch, TestRun, Unexercised } from '../policy-tests/suite-runner.ts';
import { displayPath } from '../project/project-files.ts';
import { reasonLine } from './explain-format.ts';
import { shortHash } from './output.ts';

/** What a run is about: how many suites it read and where the project's paths are relative to. */
export interface RunInfo {
  readonly suites: number;
  /** The project directory: rule and limit files are relative to it. */
  readonly dir: string;
}

/** One line per case (failures followed by what differed and why), the summary, then coverage. */
export function testRunText(run: TestRun, info: RunInfo): string[] {
  const lines: string[] = [];
  for (const result of run.results) lines.push(...caseLines(result));
  const cases = run.results.length;
  lines.push(
    '',
    `${run.passed} passed, ${run.failed} failed (${cases} case${cases === 1 ? '' : 's'} in ${info.suites} suite${info.suites === 1 ? '' : 's'}, bundle ${shortHash(run.bundle)})`,
  );
  const { rules, limits } = run.coverage;
  const missed = [
    ...rules.missed.map((m) => ['rule', m] as const),
    ...limits.missed.map((m) => ['limit', m] as const),
  ];
  const counts = `${rules.exercised} of ${rules.total} rules, ${limits.exercised} of ${limits.total} limits exercised`;
  if (missed.length === 0) {
    lines.push(`coverage: ${counts}`);
    return lines;
  }
  lines.push(`coverage: ${counts}; never exercised:`);
  const width = Math.max(...missed.map(([what, m]) => `${what} ${m.name}`.length));
  for (const [what, m] of missed) lines.push(`  ${`${what} ${m.name}`.padEnd(width)}  ${where(m, info.dir)}`);
  return lines;
}

function caseLines(result: CaseResult): string[] {
  const at = `${result.file}:${result.line}`;
  if (result.passed) return [`✓ ${result.name}  ${at}`];
  return [
    `✗ ${result.name}  ${at}`,
    ...result.mismatches.map((m) => `    ${mismatchLine(m)}`),
    `    because (level ${result.decision.trustLevel}):`,
    ...result.decision.reasons.filter(decisive).map((r) => `      ${reasonLine(r)}`),
  ];
}

function mismatchLine(m: Mismatch): string {
  return `${m.field}: expected ${show(m.expected)}, got ${show(m.actual)}`;
}

function show(value: string | null | readonly string[]): string {
  if (value === null) return 'none';
  return typeof value === 'string' ? value : `[${value.join(', ')}]`;
}

/** The reasons that shaped the decision: matches, the default, state, and checks that did not pass. */
function decisive(reason: Reason): boolean {
  return (reason.kind !== 'cap' && reason.kind !== 'limit') || !reason.passed;
}

function where(entry: Unexercised, dir: string): string {
  return `${displayPath(path.resolve(dir, entry.file))}:${entry.line}`;
}

/** The run as data: every case with its outcome, the summary and the coverage; `ok` as the exit code says. */
export function testRunJson(run: TestRun, info: RunInfo, ok: boolean) {
  return {
    ok,
    bundle: run.bundle,
    cases: run.results.map((r) => ({
      name: r.name,
      file: r.file,
      line: r.line,
      passed: r.passed,
      mismatches: r.mismatches,
      decision: r.decision.effect,
      policy: r.decision.policyEffect,
      level: r.decision.trustLevel,
      rules: r.rules,
      limits: r.limits,
      caps: r.caps,
      route: r.decision.route,
      reasons: r.decision.reasons,
    })),
    summary: { passed: run.passed, failed: run.failed, cases: run.results.length, suites: info.suites },
    coverage: run.coverage,
  };
}
