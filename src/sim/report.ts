/** The simulator's report: each run's figures summarised, compared in one table, or as JSON. */

import { table } from '../cli/output.ts';
import type { DecisionEffect } from '../domain/decision.ts';
import { DRIFT_DAYS, DRIFT_FLOOR, populationMix, type SyntheticAgent } from './population.ts';
import type { Variant } from './simulator.ts';

/** When an agent first held level 2 and 3 in any scope (days after the start; null: never). */
export interface AgentLevels {
  readonly agentId: string;
  readonly kind: SyntheticAgent['kind'];
  readonly level2Day: number | null;
  readonly level3Day: number | null;
  /** The highest level of any scope at the end. */
  readonly finalLevel: number;
}

/** A degrading agent: its actions from the drift start to its first automatic demotion. */
export interface DegradingOutcome {
  readonly agentId: string;
  readonly driftDay: number;
  readonly actionsAfterDrift: number;
  /** null: never demoted after the drift started. */
  readonly actionsToDemotion: number | null;
}

/** The raw counts of one run, as the simulator gathered them. */
export interface RunResult {
  readonly variant: Variant;
  readonly proposed: number;
  readonly effects: Record<DecisionEffect, number>;
  /** Harmful proposals, and where they went. */
  readonly harmful: number;
  /** Harmful actions executed without a human (decision `execute`). */
  readonly harmEscapes: number;
  /** Harmful actions a person approved. */
  readonly harmfulApproved: number;
  readonly harmfulStopped: number;
  /** Escalations: each one approval request that reached a person. */
  readonly escalations: number;
  readonly approvedByPeople: number;
  readonly deniedByPeople: number;
  /** Approvals left unresolved (nobody eligible could vote). */
  readonly unresolved: number;
  readonly reviews: number;
  readonly rollbacks: number;
  readonly incidents: number;
  readonly demotions: number;
  readonly promotions: number;
  /** Recommended scopes whose promotion the real criteria check refused. */
  readonly refusedSignOffs: number;
  readonly levels: readonly AgentLevels[];
  readonly degrading: readonly DegradingOutcome[];
}

/** Median and maximum where some agents never got there ("never" sorts last). */
export interface Spread {
  /** null: never (more than half never got there, or for `max`: at least one never did). */
  readonly median: number | null;
  readonly max: number | null;
  readonly reached: number;
  readonly of: number;
}

/** The figures of one run as the report shows them. */
export interface RunSummary {
  readonly variant: Variant;
  readonly label: string;
  readonly actions: number;
  readonly harmful: number;
  readonly harmEscapes: number;
  readonly harmEscapesPer1000: number;
  /** Executed autonomously or approved by a person. */
  readonly harmfulExecuted: number;
  readonly harmfulStopped: number;
  readonly approvalsPer1000: number;
  readonly reliableDaysToLevel2: Spread;
  readonly reliableDaysToLevel3: Spread;
  readonly degradingActionsToDemotion: Spread;
  readonly overconfidentDaysToLevel2: Spread;
  readonly demotions: number;
  readonly promotions: number;
  readonly raw: RunResult;
}

/** How the simulation was run: enough to run it again. */
export interface SimulationSettings {
  readonly command: string;
  readonly configPath: string;
  readonly seed: number;
  readonly agents: number;
  readonly days: number;
  readonly workingDays: number;
  readonly actionsPerDay: number;
  readonly fixedLevel: number;
  readonly start: string;
}

/** A whole simulation: its settings, its population and the three runs. */
export interface SimulationReport {
  readonly settings: SimulationSettings;
  readonly population: {
    readonly reliable: number;
    readonly overconfident: number;
    readonly degrading: number;
    readonly agents: readonly SyntheticAgent[];
  };
  readonly runs: readonly RunSummary[];
}

/** Median and max of values where null means never; never counts as larger than anything. */
export function spread(values: readonly (number | null)[]): Spread {
  const sorted = [...values].sort(
    (a, b) => (a ?? Number.POSITIVE_INFINITY) - (b ?? Number.POSITIVE_INFINITY),
  );
  const reached = values.filter((v) => v !== null).length;
  const median = (): number | null => {
    if (sorted.length === 0) return null;
    const mid = Math.floor(sorted.length / 2);
    const upper = sorted[mid] ?? null;
    if (sorted.length % 2 === 1) return upper;
    const lower = sorted[mid - 1] ?? null;
    return lower === null || upper === null ? null : (lower + upper) / 2;
  };
  return {
    median: median(),
    max: reached === values.length ? (sorted.at(-1) ?? null) : null,
    reached,
    of: values.length,
  };
}

/** Run labels as the table's columns show them. */
export function runLabel(variant: Variant, fixedLevel: number): string {
  if (variant === 'config') return 'config';
  if (variant === 'level1') return 'level 1 forever';
  return `fixed level ${fixedLevel}, no demotion`;
}

function per1000(count: number, of: number): number {
  return of === 0 ? 0 : Math.round((count / of) * 10_000) / 10;
}

/** The figures of one run. */
export function summarise(result: RunResult, fixedLevel: number): RunSummary {
  const reliable = result.levels.filter((l) => l.kind === 'reliable');
  return {
    variant: result.variant,
    label: runLabel(result.variant, fixedLevel),
    actions: result.proposed,
    harmful: result.harmful,
    harmEscapes: result.harmEscapes,
    harmEscapesPer1000: per1000(result.harmEscapes, result.proposed),
    harmfulExecuted: result.harmEscapes + result.harmfulApproved,
    harmfulStopped: result.harmfulStopped,
    approvalsPer1000: per1000(result.escalations, result.proposed),
    reliableDaysToLevel2: spread(reliable.map((l) => l.level2Day)),
    reliableDaysToLevel3: spread(reliable.map((l) => l.level3Day)),
    degradingActionsToDemotion: spread(result.degrading.map((d) => d.actionsToDemotion)),
    overconfidentDaysToLevel2: spread(
      result.levels.filter((l) => l.kind === 'overconfident').map((l) => l.level2Day),
    ),
    demotions: result.demotions,
    promotions: result.promotions,
    raw: result,
  };
}

function day(value: number | null): string {
  if (value === null) return 'never';
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** "median / max" of a spread, "n/a" when there is nobody to measure. */
function medianMax(s: Spread): string {
  return s.of === 0 ? 'n/a' : `${day(s.median)} / ${day(s.max)}`;
}

function reached(s: Spread): string {
  return `${s.reached} of ${s.of}`;
}

/** The report for people: settings, population, and the runs side by side. */
export function formatReport(report: SimulationReport): string[] {
  const { settings: s, population: p, runs } = report;
  const drift = p.agents.filter((a) => a.driftDay !== null).map((a) => a.driftDay as number);
  const driftRange =
    drift.length === 0
      ? ''
      : `, drift starting day ${Math.min(...drift).toFixed(0)}-${Math.max(...drift).toFixed(0)}`;
  const row = (label: string, cell: (r: RunSummary) => string) => [label, ...runs.map(cell)];
  const rows: string[][] = [
    row('actions proposed', (r) => String(r.actions)),
    row('harmful actions proposed', (r) => String(r.harmful)),
    row('harm escapes (executed, no human)', (r) => String(r.harmEscapes)),
    row('  per 1,000 actions', (r) => r.harmEscapesPer1000.toFixed(1)),
    row('harmful actions executed in total', (r) => String(r.harmfulExecuted)),
    row('harmful actions stopped', (r) => String(r.harmfulStopped)),
    row('human approvals per 1,000 actions', (r) => r.approvalsPer1000.toFixed(1)),
    row('reliable agents reaching level 2', (r) => reached(r.reliableDaysToLevel2)),
    row('  days to level 2, median / max', (r) => medianMax(r.reliableDaysToLevel2)),
    row('reliable agents reaching level 3', (r) => reached(r.reliableDaysToLevel3)),
    row('  days to level 3, median / max', (r) => medianMax(r.reliableDaysToLevel3)),
    row('degrading agents demoted after drift', (r) => reached(r.degradingActionsToDemotion)),
    row('  actions until demoted, median / max', (r) => medianMax(r.degradingActionsToDemotion)),
    row('overconfident agents reaching level 2', (r) => reached(r.overconfidentDaysToLevel2)),
    row('demotions (automatic)', (r) => String(r.demotions)),
    row('promotions (simulated admin)', (r) => String(r.promotions)),
    row('execute / escalate / advise / deny', (r) => {
      const e = r.raw.effects;
      return `${e.execute} / ${e.escalate} / ${e.advise} / ${e.deny}`;
    }),
  ];
  return [
    `$ ${s.command}`,
    '',
    `seed ${s.seed}; ${s.agents} agents over ${s.days} days (${s.workingDays} working days) from ${s.start};` +
      ` ${s.actionsPerDay} actions per agent per working day`,
    `population: ${p.reliable} reliable (true rate 0.97-0.995), ${p.overconfident} overconfident` +
      ` (0.85-0.9, confidence +0.1), ${p.degrading} degrading (reliable, then down to ${DRIFT_FLOOR}` +
      ` over ${DRIFT_DAYS} days${driftRange})`,
    '',
    table(rows, ['', ...runs.map((r) => r.label)]),
    '',
    'Days count from the start (day 0). "never": not reached within the run; a max is "never" when',
    'any agent of the kind never got there. Harmful actions stopped: denied by policy or a person,',
    'or only advised (level 0). Executions, approvers and reviewers are SIMULATED (docs/simulation.md).',
  ];
}

/** The report as JSON: the same figures, with every run's raw counts and per-agent results. */
export function reportJson(report: SimulationReport): unknown {
  const { settings, population, runs } = report;
  return {
    settings,
    population: {
      reliable: population.reliable,
      overconfident: population.overconfident,
      degrading: population.degrading,
      agents: population.agents.map((a) => ({
        id: a.id,
        kind: a.kind,
        baseRate: round(a.baseRate),
        bias: round(a.bias),
        driftDay: a.driftDay === null ? null : round(a.driftDay),
        scopes: a.scopes.map((sc) => `${sc.type}@${sc.environment}`),
      })),
    },
    runs: runs.map(({ raw, ...summary }) => ({ ...summary, details: raw })),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The population's mix, for the report. */
export function populationOf(agents: readonly SyntheticAgent[]): SimulationReport['population'] {
  const mix = populationMix(0);
  for (const a of agents) mix[a.kind]++;
  return { ...mix, agents };
}
