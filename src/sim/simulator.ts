/** One simulated run: a fresh gateway on an in-memory store and a simulated clock, driven through the real decision, approval, evidence and demotion code. */

import type { DecisionEffect } from '../domain/decision.ts';
import { type Airlock, createAirlock } from '../gateway/airlock.ts';
import type { Project } from '../project/project-loader.ts';
import type { AgentRecord } from '../store/records.ts';
import {
  incidentReported,
  reportIncident,
  review,
  reviewVerdict,
  type SimPeople,
  signOff,
  simPeople,
  simulateExecution,
  voteOn,
} from './actors.ts';
import {
  isWorkingDay,
  type PlannedAction,
  planDay,
  SIM_ENVIRONMENTS,
  SIM_TYPES,
  type SyntheticAgent,
} from './population.ts';
import type { AgentLevels, DegradingOutcome, RunResult } from './report.ts';
import { Agenda, DAY, HOUR, MINUTE, SimClock } from './sim-clock.ts';

/** The config as it is, level 1 for every scope forever, or a fixed level with no demotion. */
export type Variant = 'config' | 'level1' | 'fixed';

/** Everything one run needs: the project, the variant, the agents and the simulated time. */
export interface RunSpec {
  readonly configPath: string;
  readonly variant: Variant;
  /** The level every scope holds in the `fixed` variant. */
  readonly fixedLevel: number;
  readonly agents: readonly SyntheticAgent[];
  readonly days: number;
  readonly seed: number;
  readonly actionsPerDay: number;
  /** ISO time the run starts (a Monday morning). */
  readonly start: string;
  readonly onProgress?: ((line: string) => void) | undefined;
}

const ACTOR = { kind: 'system', id: 'simulator' } as const;

/** The project as loaded, on an in-memory store, with demotion switched off for the baselines. */
export function adjustProject(project: Project, variant: Variant): Project {
  const adjusted = { ...project, storageUrl: 'sqlite::memory:', storage: { migrations: 'auto' as const } };
  if (variant === 'config') return adjusted;
  const trust = project.config.trust;
  const demotion = {
    rollback: 'none',
    verificationFailed: 'none',
    unknown: 'none',
    failed: 'none',
    incident: 'none',
    deniedBurst: { ...trust.demotion.deniedBurst, action: 'none' },
  } as const;
  return { ...adjusted, config: { ...project.config, trust: { ...trust, demotion } } };
}

/** Refuse a project the synthetic agents cannot propose to: they need the quickstart's types and environments. */
export function checkProject(project: Project): string[] {
  const missing: string[] = [];
  for (const type of SIM_TYPES)
    if (project.catalog.get(type) === undefined) missing.push(`action type ${type}`);
  for (const env of SIM_ENVIRONMENTS) if (!project.environments.has(env)) missing.push(`environment ${env}`);
  return missing;
}

/** Run one variant from start to end; the gateway is closed afterwards, whatever happens. */
export async function simulateRun(spec: RunSpec): Promise<RunResult> {
  const clock = new SimClock(spec.start);
  const airlock = await createAirlock({
    configPath: spec.configPath,
    clock,
    executes: false,
    logLevel: 'silent',
    adjust: (project) => adjustProject(project, spec.variant),
  });
  try {
    const missing = checkProject(airlock.project());
    if (missing.length > 0) throw new Error(`the simulator needs ${missing.join(', ')} in the project`);
    return await new Run(spec, airlock, clock).run();
  } finally {
    await airlock.close();
  }
}

class Run {
  readonly #spec: RunSpec;
  readonly #airlock: Airlock;
  readonly #clock: SimClock;
  readonly #people: SimPeople;
  readonly #agenda = new Agenda();
  readonly #records = new Map<string, AgentRecord>();
  readonly #proposedAt = new Map<string, number[]>();
  readonly #levels = new Map<string, { level2Day: number | null; level3Day: number | null; final: number }>();
  readonly #effects: Record<DecisionEffect, number> = { execute: 0, advise: 0, escalate: 0, deny: 0 };
  readonly #counts = {
    proposed: 0,
    harmful: 0,
    harmEscapes: 0,
    harmfulApproved: 0,
    harmfulStopped: 0,
    escalations: 0,
    approvedByPeople: 0,
    deniedByPeople: 0,
    unresolved: 0,
    reviews: 0,
    rollbacks: 0,
    incidents: 0,
    promotions: 0,
    refusedSignOffs: 0,
  };

  constructor(spec: RunSpec, airlock: Airlock, clock: SimClock) {
    this.#spec = spec;
    this.#airlock = airlock;
    this.#clock = clock;
    this.#people = simPeople(airlock);
  }

  async run(): Promise<RunResult> {
    const spec = this.#spec;
    await this.#setup();
    const start = this.#clock.millis;
    const midnight = start - (start % DAY);
    const weeks = Math.ceil(spec.days / 7);
    for (let day = 0; day < spec.days; day++) {
      const dayStart = midnight + day * DAY;
      if (isWorkingDay(dayStart)) {
        this.#plan(day, dayStart, start);
        this.#agenda.at(dayStart + 17 * HOUR, () => this.#endOfDay(day));
      }
      await this.#agenda.runUntil(this.#clock, dayStart + DAY - 1);
      if ((day + 1) % 7 === 0 || day + 1 === spec.days) {
        spec.onProgress?.(
          `${spec.variant}: week ${Math.ceil((day + 1) / 7)}/${weeks}, ${this.#counts.proposed} actions`,
        );
      }
    }
    // What is still under way (reviews, executions, incidents reported a day later) finishes.
    await this.#agenda.runUntil(this.#clock, Number.POSITIVE_INFINITY);
    return this.#result(start);
  }

  async #setup(): Promise<void> {
    const { variant, fixedLevel, agents } = this.#spec;
    for (const agent of agents) {
      await this.#airlock.agents.add(
        { id: agent.id, owner: 'sre', description: `simulated ${agent.kind}` },
        ACTOR,
      );
      const record = await this.#airlock.store.getAgent(agent.id);
      if (record === null) throw new Error(`agent ${agent.id} was not stored`);
      this.#records.set(agent.id, record);
      this.#proposedAt.set(agent.id, []);
      this.#levels.set(agent.id, { level2Day: null, level3Day: null, final: 0 });
      // Level 0 is what nobody granted: the config run and a fixed level 0 start with no grants.
      const level = variant === 'config' ? 0 : variant === 'level1' ? 1 : fixedLevel;
      if (level === 0) continue;
      for (const scope of agent.scopes) {
        await this.#airlock.trust.setLevel(
          {
            agentId: agent.id,
            scope: `${scope.type}@${scope.environment}`,
            level,
            reason: `simulation baseline: ${variant === 'level1' ? 'level 1 forever' : `fixed level ${level}`}`,
            direction: 'raise',
            override: true,
          },
          this.#people.admin,
        );
      }
    }
  }

  #plan(day: number, dayStart: number, start: number): void {
    for (const agent of this.#spec.agents) {
      const times = this.#proposedAt.get(agent.id) ?? [];
      const planned = planDay(
        agent,
        this.#spec.seed,
        day,
        dayStart,
        this.#spec.actionsPerDay,
        start,
        times.length,
      );
      for (const p of planned) {
        times.push(p.at);
        this.#agenda.at(p.at, () => this.#propose(p));
      }
    }
  }

  async #propose(planned: PlannedAction): Promise<void> {
    const record = this.#records.get(planned.agent.id) as AgentRecord;
    const { action } = await this.#airlock.proposals.propose(record, planned.body);
    const effect = action.decision.effect;
    const now = this.#clock.millis;
    const c = this.#counts;
    c.proposed++;
    this.#effects[effect]++;
    if (planned.harmful) c.harmful++;
    const humanDelay = 10 * MINUTE + planned.fate.humanDelay * 110 * MINUTE;
    switch (effect) {
      case 'execute':
        if (planned.harmful) c.harmEscapes++;
        this.#execute(action.id, planned, now);
        break;
      case 'advise': {
        if (planned.harmful) c.harmfulStopped++;
        const verdict = reviewVerdict(planned);
        if (verdict !== null)
          this.#agenda.at(now + humanDelay, async () => {
            await review(this.#airlock, this.#people, action.id, planned, verdict);
            c.reviews++;
          });
        break;
      }
      case 'escalate':
        c.escalations++;
        // Within the first step's timeout: the on-call approver answers in 1-12 minutes.
        this.#agenda.at(now + MINUTE + planned.fate.humanDelay * 11 * MINUTE, () =>
          this.#vote(action.id, planned),
        );
        break;
      case 'deny':
        if (planned.harmful) c.harmfulStopped++;
        break;
    }
  }

  async #vote(actionId: string, planned: PlannedAction): Promise<void> {
    const approval = await voteOn(this.#airlock, this.#people, actionId, planned);
    const c = this.#counts;
    if (approval?.status === 'approved') {
      c.approvedByPeople++;
      if (planned.harmful) c.harmfulApproved++;
      this.#execute(actionId, planned, this.#clock.millis);
    } else if (approval?.status === 'denied') {
      c.deniedByPeople++;
      if (planned.harmful) c.harmfulStopped++;
    } else {
      c.unresolved++;
    }
  }

  /** The SIMULATED EXECUTOR finishes 2-10 minutes after the action was cleared. */
  #execute(actionId: string, planned: PlannedAction, cleared: number): void {
    this.#agenda.at(cleared + 2 * MINUTE + planned.fate.executionDelay * 8 * MINUTE, async () => {
      const outcome = await simulateExecution(this.#airlock, actionId, planned);
      if (outcome.status === 'rolled_back') this.#counts.rollbacks++;
      if (outcome.missed && incidentReported(planned)) {
        this.#agenda.at(this.#clock.millis + DAY, async () => {
          await reportIncident(this.#airlock, this.#people, actionId, planned);
          this.#counts.incidents++;
        });
      }
    });
  }

  /** The simulated admin signs off what `trust recommend` lists (config run only); levels are read. */
  async #endOfDay(day: number): Promise<void> {
    if (this.#spec.variant === 'config') {
      const signed = await signOff(this.#airlock, this.#people);
      this.#counts.promotions += signed.promoted;
      this.#counts.refusedSignOffs += signed.refused;
    }
    for (const agent of this.#spec.agents) {
      const grants = await this.#airlock.store.listGrants(agent.id);
      const level = Math.max(0, ...grants.map((g) => g.level));
      const seen = this.#levels.get(agent.id);
      if (seen === undefined) continue;
      if (level >= 2 && seen.level2Day === null) seen.level2Day = day;
      if (level >= 3 && seen.level3Day === null) seen.level3Day = day;
      seen.final = level;
    }
  }

  async #result(start: number): Promise<RunResult> {
    let demotions = 0;
    const degrading: DegradingOutcome[] = [];
    for (const agent of this.#spec.agents) {
      const demoted = (await this.#airlock.store.auditForSubject(agent.id))
        .filter((e) => e.kind === 'trust.demoted')
        .map((e) => Date.parse(e.at));
      demotions += demoted.length;
      if (agent.driftDay === null) continue;
      const driftStart = start + agent.driftDay * DAY;
      const after = (this.#proposedAt.get(agent.id) ?? []).filter((t) => t >= driftStart);
      const firstDemotion = demoted.find((t) => t >= driftStart);
      degrading.push({
        agentId: agent.id,
        driftDay: agent.driftDay,
        actionsAfterDrift: after.length,
        actionsToDemotion:
          firstDemotion === undefined ? null : after.filter((t) => t <= firstDemotion).length,
      });
    }
    const levels = this.#spec.agents.map((agent): AgentLevels => {
      const seen = this.#levels.get(agent.id) ?? { level2Day: null, level3Day: null, final: 0 };
      return {
        agentId: agent.id,
        kind: agent.kind,
        level2Day: seen.level2Day,
        level3Day: seen.level3Day,
        finalLevel: seen.final,
      };
    });
    return {
      variant: this.#spec.variant,
      ...this.#counts,
      effects: { ...this.#effects },
      demotions,
      levels,
      degrading,
    };
  }
}
