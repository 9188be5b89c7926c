/** `airlock simulate`: synthetic agents run through the real gateway for months of simulated time, against two baselines. */

import { formatReport, reportJson } from '../../sim/report.ts';
import { runSimulation, SIM_DEFAULTS } from '../../sim/simulation.ts';
import { CliError, type Command, type CommandContext, option } from '../command.ts';
import { asCliError } from '../open-airlock.ts';
import { json } from '../output.ts';

/** A whole-number option within [min, max], or its default; exit code 2 otherwise. */
function wholeNumber(
  context: CommandContext,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const text = option(context, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max)
    throw new CliError(`--${name} takes a whole number from ${min} to ${max}, not "${text}"`, {
      exitCode: 2,
    });
  return value;
}

/** `airlock simulate`: the command. */
export const simulateCommand: Command = {
  name: 'simulate',
  summary:
    'Run seeded synthetic agents through the real gateway for simulated months: the config vs level 1 forever vs a fixed level',
  usage: '[--agents N] [--days D] [--seed S] [--actions-per-day K] [--fixed-level L]',
  json: true,
  options: {
    agents: {
      type: 'string',
      description: `Synthetic agents: 60% reliable, 20% overconfident, 20% degrading (default ${SIM_DEFAULTS.agents})`,
    },
    days: {
      type: 'string',
      description: `Simulated days, from Monday 2026-01-05 (default ${SIM_DEFAULTS.days})`,
    },
    seed: {
      type: 'string',
      description: `Seed: the same seed gives the same report (default ${SIM_DEFAULTS.seed})`,
    },
    'actions-per-day': {
      type: 'string',
      description: `Proposals per agent per working day, Mon-Fri office hours (default ${SIM_DEFAULTS.actionsPerDay})`,
    },
    'fixed-level': {
      type: 'string',
      description: `Level of the "fixed level, no demotion" baseline, 0-3 (default ${SIM_DEFAULTS.fixedLevel})`,
    },
  },
  async run(context) {
    const agents = wholeNumber(context, 'agents', 1, 1000, SIM_DEFAULTS.agents);
    const days = wholeNumber(context, 'days', 1, 730, SIM_DEFAULTS.days);
    const seed = wholeNumber(context, 'seed', 0, 4_294_967_295, SIM_DEFAULTS.seed);
    const actionsPerDay = wholeNumber(context, 'actions-per-day', 1, 500, SIM_DEFAULTS.actionsPerDay);
    const fixedLevel = wholeNumber(context, 'fixed-level', 0, 3, SIM_DEFAULTS.fixedLevel);
    const command =
      `airlock simulate --config ${context.configPath} --agents ${agents} --days ${days} --seed ${seed}` +
      ` --actions-per-day ${actionsPerDay} --fixed-level ${fixedLevel}${context.json ? ' --json' : ''}`;
    const started = performance.now();
    context.err(
      `simulating ${agents} agents over ${days} days, 3 runs (config, level 1, fixed level ${fixedLevel})…`,
    );
    let report: Awaited<ReturnType<typeof runSimulation>>;
    try {
      report = await runSimulation({
        configPath: context.configPath,
        agents,
        days,
        seed,
        actionsPerDay,
        fixedLevel,
        command,
        onProgress: (line) => context.err(line),
      });
    } catch (error) {
      throw asCliError(error);
    }
    context.err(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (context.json) context.out(json(reportJson(report)));
    else for (const line of formatReport(report)) context.out(line);
    return 0;
  },
};
