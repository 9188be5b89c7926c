/**
 * The command executor: runs a catalog `command` executor (see process-runner.ts for how: no
 * shell, an allowlisted environment, the process group killed on timeout) and reads its exit as
 * an outcome: 0 succeeded, non-zero failed, killed by a timeout or a signal unknown.
 */

import type { CommandExecutorSpec } from '../catalog/catalog-schema.ts';
import type { JsonValue } from '../domain/json.ts';
import { clipText, type ExecutorOutcome, notRun, oneLine, runPerTarget } from './executor-outcome.ts';
import { lastLine, type ProcessOptions, type ProcessReport, runProcess } from './process-runner.ts';
import type { TemplateContext } from './template.ts';

/**
 * Carry out `spec` for the action in `ctx`; never rejects for anything the command does.
 *
 * @example
 * const result = await runCommand(
 *   { kind: 'command', argv: ['/usr/bin/kubectl', 'rollout', 'restart', 'deploy/{{target.id}}'],
 *     env: ['KUBECONFIG'], timeout: 30_000, perTarget: true },
 *   ctx,
 *   { env: process.env, baseDir: catalogDir },
 * );
 */
export function runCommand(
  spec: CommandExecutorSpec,
  ctx: TemplateContext,
  options: ProcessOptions,
): Promise<ExecutorOutcome> {
  return spec.perTarget
    ? runPerTarget(ctx, (one) => runOnce(spec, one, options))
    : runOnce(spec, ctx, options);
}

async function runOnce(
  spec: CommandExecutorSpec,
  ctx: TemplateContext,
  options: ProcessOptions,
): Promise<ExecutorOutcome> {
  const report = await runProcess(spec, ctx, options);
  if (report.kind === 'not-started') return notRun(report.error, { argv: report.argv });
  const { argv, program, exitCode, signal, timedOut, stdout, stderr, durationMs } = report;
  const detail = { argv, program, exitCode, signal, timedOut, stdout, stderr, durationMs };
  const { outcome, message } = judge(report);
  return { outcome, message: oneLine(message), detail, output: outputOf(report) };
}

function judge(
  report: Extract<ProcessReport, { kind: 'ran' }>,
): Pick<ExecutorOutcome, 'outcome' | 'message'> {
  const name = report.argv[0] ?? report.program;
  const tail = lastLine(report.stderr) || lastLine(report.stdout);
  const said = tail === '' ? '' : `: ${tail}`;
  if (report.timedOut) {
    return {
      outcome: 'unknown',
      message: `${name} ran past its timeout and was killed; it may have taken effect`,
    };
  }
  if (report.interrupted) {
    return {
      outcome: 'unknown',
      message: `${name} was stopped as Airlock shut down; it may have taken effect`,
    };
  }
  if (report.exitCode === 0) return { outcome: 'succeeded', message: `${name} exited with 0` };
  if (report.exitCode !== null)
    return { outcome: 'failed', message: `${name} exited with ${report.exitCode}${said}` };
  // Killed by someone else's signal (or a crash) partway: it did not say how far it got.
  return { outcome: 'unknown', message: `${name} was killed by ${report.signal}${said}` };
}

/** Stdout parsed as JSON when it is JSON, else its text (at most 4 KiB); null when empty. */
function outputOf(report: Extract<ProcessReport, { kind: 'ran' }>): JsonValue | null {
  const text = report.stdout.trim();
  if (text === '') return null;
  if (!report.stdoutTruncated) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // Not JSON: the text itself.
    }
  }
  return clipText(text);
}
