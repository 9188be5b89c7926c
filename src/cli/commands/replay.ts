/**
 * `airlock replay`: recorded decisions decided again with candidate policies and/or trust settings,
 * and what would change. The report is also kept in the store as the latest replay.
 */

import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../../config/durations.ts';
import { formatProblem, type Problem } from '../../config/problems.ts';
import { describeCandidate, saveLatestReplay } from '../../gateway/replay-records.ts';
import { loadPolicyBundle } from '../../project/project-loader.ts';
import type { CandidateTrust } from '../../replay/candidate-trust.ts';
import type { ReplayReport } from '../../replay/replay-report.ts';
import { type ReplaySelection, runReplay } from '../../replay/replay-runner.ts';
import { renderMarkdown } from '../../replay/report-markdown.ts';
import { loadCandidateTrust } from '../../replay/trust-file.ts';
import { CliError, type Command, type CommandContext, option } from '../command.ts';
import { withAirlock } from '../open-airlock.ts';
import { json } from '../output.ts';

const FAIL_ON = ['looser', 'stricter', 'any'] as const;
type FailOn = (typeof FAIL_ON)[number];

/** An ISO time, or a duration meaning that long before now (`7d`: the last seven days). */
function timeOption(context: CommandContext, name: string, now: Date): string | undefined {
  const text = option(context, name);
  if (text === undefined) return undefined;
  const ago = parseDuration(text);
  if (ago !== null) return new Date(now.getTime() - ago).toISOString();
  const at = new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new CliError(`--${name} takes a time such as 2026-11-24T09:00:00Z or a duration such as 7d`, {
      exitCode: 2,
    });
  return at.toISOString();
}

function countOption(context: CommandContext, name: string, min: number): number | undefined {
  const text = option(context, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min)
    throw new CliError(`--${name} takes a whole number of at least ${min}`, { exitCode: 2 });
  return value;
}

function failOnOption(context: CommandContext): FailOn | null {
  const text = option(context, 'fail-on');
  if (text === undefined) return null;
  if (!(FAIL_ON as readonly string[]).includes(text))
    throw new CliError(`--fail-on takes ${FAIL_ON.join(', ')}`, { exitCode: 2 });
  return text as FailOn;
}

function problemsError(what: string, problems: readonly Problem[]): CliError {
  const count = problems.length;
  return new CliError(`${what} (${count} problem${count === 1 ? '' : 's'})`, {
    lines: problems.map(formatProblem),
  });
}

/** The one-line reason to fail a CI run, or null when the report has no change of that kind. */
function failure(report: ReplayReport, failOn: FailOn | null): string | null {
  if (failOn === null) return null;
  const { stricter, looser } = report.totals;
  const count = failOn === 'looser' ? looser : failOn === 'stricter' ? stricter : stricter + looser;
  if (count === 0) return null;
  const what = failOn === 'any' ? 'change' : `be ${failOn}`;
  return `${count} decision${count === 1 ? '' : 's'} would ${what} under the candidate (--fail-on ${failOn})`;
}

export const replayCommand: Command = {
  name: 'replay',
  summary:
    'Decide recorded actions again with candidate policies or trust settings; report what would change',
  usage: '[--policies <dir>] [--trust <file>] [--since 7d] [--fail-on looser]',
  json: true,
  options: {
    policies: {
      type: 'string',
      description: "Candidate policy file or directory (default: the project's own)",
    },
    trust: {
      type: 'string',
      description:
        'Candidate trust settings: a YAML file with `trust:` (as in airlock.yaml) and/or `grants:`',
    },
    since: { type: 'string', description: 'Decided at or after this time, or within this long (e.g. 7d)' },
    until: { type: 'string', description: 'Decided before this time (or this long ago)' },
    agent: { type: 'string', description: 'Only this agent' },
    type: { type: 'string', description: 'Only this action type (or glob, e.g. service.*)' },
    environment: { type: 'string', description: 'Only this environment' },
    limit: { type: 'string', description: 'At most this many decisions, the newest' },
    examples: { type: 'string', description: 'Examples shown per kind of change (default 3)' },
    'fail-on': {
      type: 'string',
      description: 'Exit 1 when any decision would be looser, stricter, or either (any)',
    },
    out: { type: 'string', description: 'Write the report to this file instead of stdout' },
  },
  async run(context) {
    const extra = context.positionals[0];
    if (extra !== undefined) throw new CliError(`unexpected argument "${extra}"`, { exitCode: 2 });
    const failOn = failOnOption(context);
    const limit = countOption(context, 'limit', 1);
    const examples = countOption(context, 'examples', 0) ?? 3;
    const policies = option(context, 'policies');
    const trustFile = option(context, 'trust');
    const started = Date.now();
    let progressed = false;
    const report = await withAirlock(context, async (airlock) => {
      const project = airlock.project();
      let bundle = project.bundle;
      if (policies !== undefined) {
        const loaded = await loadPolicyBundle(project, [policies]);
        if (!loaded.ok) throw problemsError('the candidate policies do not load', loaded.problems);
        bundle = loaded.value;
      }
      let trust: CandidateTrust | null = null;
      if (trustFile !== undefined) {
        const loaded = await loadCandidateTrust(trustFile, project);
        if (!loaded.ok) throw problemsError('the candidate trust file does not load', loaded.problems);
        trust = loaded.value;
      }
      const now = airlock.clock.now();
      const selection: ReplaySelection = {
        since: timeOption(context, 'since', now),
        until: timeOption(context, 'until', now),
        agentId: option(context, 'agent'),
        type: option(context, 'type'),
        environment: option(context, 'environment'),
        limit,
      };
      const filter: Record<string, string> = {};
      for (const [key, value] of Object.entries(selection))
        if (value !== undefined) filter[key] = String(value);
      const report = await runReplay({
        store: airlock.store,
        candidate: { bundle, trust, inventory: project.inventory },
        selection,
        context: {
          candidate: { bundle: bundle.hash, policies: policies ?? null, trust: trustFile ?? null },
          filter,
          examples,
        },
        onProgress: (replayed) => {
          progressed = true;
          context.err(`replayed ${replayed.toLocaleString('en-US')} decisions…`);
        },
      });
      // Kept for the console (GET /v1/replay/latest); the next replay replaces it.
      await saveLatestReplay(airlock.store, {
        at: airlock.clock.now().toISOString(),
        description: describeCandidate(report.candidate),
        report,
      });
      return report;
    });
    if (progressed) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      context.err(`replayed ${report.totals.replayed.toLocaleString('en-US')} decisions in ${seconds} s`);
    }
    const text = context.json ? json(report) : renderMarkdown(report).trimEnd();
    const out = option(context, 'out');
    if (out === undefined) context.out(text);
    else {
      await writeFile(out, `${text}\n`);
      context.err(`wrote the report to ${out}`);
    }
    const reason = failure(report, failOn);
    if (reason !== null) throw new CliError(reason);
    return 0;
  },
};
