/** Synthetic agents (reliable, overconfident, degrading), their scopes and the actions they propose each working day, drawn from the seed alone. */

import type { JsonObject } from '../domain/json.ts';
import { clamp, deriveSeed, Random } from './random.ts';
import { DAY, HOUR } from './sim-clock.ts';

/** The three kinds of synthetic agent. */
export type AgentKind = 'reliable' | 'overconfident' | 'degrading';

/** An action type and environment an agent works on, and its share of the agent's actions. */
export interface SimScope {
  readonly type: string;
  readonly environment: string;
  readonly weight: number;
}

/** One synthetic agent: who it is, how good it truly is, and what it works on. */
export interface SyntheticAgent {
  readonly id: string;
  readonly index: number;
  readonly kind: AgentKind;
  /** The share of its actions that do no harm (before any drift). */
  readonly baseRate: number;
  /** Added to the latent quality when the agent states its confidence. */
  readonly bias: number;
  /** Degrading agents: days after the start when the true rate starts to fall; null otherwise. */
  readonly driftDay: number | null;
  readonly scopes: readonly SimScope[];
}

/** The reversible low and medium tier types of the quickstart catalog, in both environments. */
export const SIM_TYPES = ['service.restart', 'cache.flush', 'deployment.scale', 'feature_flag.set'] as const;
/** The environments the synthetic agents work in. */
export const SIM_ENVIRONMENTS = ['staging', 'production'] as const;

/** A degrading agent's rate after its drift, and how many days it takes to fall there. */
export const DRIFT_FLOOR = 0.6;
export const DRIFT_DAYS = 10;

/** How a population of N splits: about 60% reliable, 20% overconfident, the rest degrading. */
export function populationMix(n: number): Record<AgentKind, number> {
  const reliable = Math.round(n * 0.6);
  const overconfident = Math.min(n - reliable, Math.round(n * 0.2));
  return { reliable, overconfident, degrading: n - reliable - overconfident };
}

/** The agents of a run of `days` days, from the seed alone. */
export function makePopulation(n: number, days: number, seed: number): SyntheticAgent[] {
  const mix = populationMix(n);
  const kinds: AgentKind[] = [
    ...Array<AgentKind>(mix.reliable).fill('reliable'),
    ...Array<AgentKind>(mix.overconfident).fill('overconfident'),
    ...Array<AgentKind>(mix.degrading).fill('degrading'),
  ];
  const numbered = new Map<AgentKind, number>();
  const width = Math.max(2, String(n).length);
  return kinds.map((kind, index) => {
    const rng = new Random(deriveSeed(seed, 1, index));
    const number = (numbered.get(kind) ?? 0) + 1;
    numbered.set(kind, number);
    const reliable = kind !== 'overconfident';
    return {
      id: `${kind}-${String(number).padStart(width, '0')}`,
      index,
      kind,
      baseRate: reliable ? rng.uniform(0.97, 0.995) : rng.uniform(0.85, 0.9),
      bias: reliable ? rng.normal(0, 0.02) : rng.normal(0.1, 0.01),
      driftDay: kind === 'degrading' ? rng.uniform(days / 3, (2 * days) / 3) : null,
      scopes: pickScopes(rng),
    };
  });
}

/** 2 or 3 distinct scopes; the first gets most of the work. */
function pickScopes(rng: Random): SimScope[] {
  const all = SIM_TYPES.flatMap((type) => SIM_ENVIRONMENTS.map((environment) => ({ type, environment })));
  const count = rng.int(2, 3);
  const weights = count === 2 ? [0.7, 0.3] : [0.6, 0.25, 0.15];
  return rng
    .shuffle(all)
    .slice(0, count)
    .map((scope, i) => ({ ...scope, weight: weights[i] ?? 0 }));
}

/** The agent's true success rate `days` (fractional) after the start. */
export function trueRateAt(agent: SyntheticAgent, days: number): number {
  if (agent.driftDay === null || days < agent.driftDay) return agent.baseRate;
  const fallen = Math.min(1, (days - agent.driftDay) / DRIFT_DAYS);
  return agent.baseRate - (agent.baseRate - DRIFT_FLOOR) * fallen;
}

/** What the simulated people and executor will do with an action: uniform draws fixed in advance. */
export interface Fate {
  readonly review: number;
  readonly verdict: number;
  readonly person: number;
  readonly vote: number;
  readonly caught: number;
  readonly incident: number;
  readonly reporter: number;
  readonly humanDelay: number;
  readonly executionDelay: number;
}

/** One proposal an agent will make, as drawn before any run: every run sees the same ones. */
export interface PlannedAction {
  readonly agent: SyntheticAgent;
  /** 0-based count of the agent's actions. */
  readonly index: number;
  readonly at: number;
  /** Latent quality, and whether the action does harm (a draw above it). */
  readonly quality: number;
  readonly harmful: boolean;
  readonly body: JsonObject;
  readonly fate: Fate;
}

/** Working hours in UTC: inside the quickstart's production windows (Berlin 08:00-18:00) all year. */
export const WORK_START_HOUR = 8;
export const WORK_HOURS = 8;

/** Monday to Friday. */
export function isWorkingDay(at: number): boolean {
  const weekday = new Date(at).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The actions of one agent on one working day (`dayStart` is that day's 00:00 UTC), in time
 * order, numbered from `firstIndex`.
 */
export function planDay(
  agent: SyntheticAgent,
  seed: number,
  day: number,
  dayStart: number,
  perDay: number,
  startMillis: number,
  firstIndex: number,
): PlannedAction[] {
  const rng = new Random(deriveSeed(seed, 2, agent.index, day));
  const times = Array.from({ length: perDay }, () =>
    Math.floor(dayStart + WORK_START_HOUR * HOUR + rng.next() * WORK_HOURS * HOUR),
  ).sort((a, b) => a - b);
  return times.map((at, i) => {
    const scope = pickWeighted(rng, agent.scopes);
    const rate = trueRateAt(agent, (at - startMillis) / DAY);
    const quality = clamp(rate + rng.normal(0, 0.03), 0, 1);
    const harmful = rng.next() > quality;
    const confidence = Math.round(clamp(quality + agent.bias + rng.normal(0, 0.02), 0.01, 0.99) * 100) / 100;
    const anomalyScore = Math.round(rng.uniform(0.05, 0.3) * 100) / 100;
    const body: JsonObject = {
      type: scope.type,
      environment: scope.environment,
      ...targetsAndParams(scope.type, rng),
      confidence,
      anomalyScore,
      reasoning: `simulated ${agent.kind} agent, action ${firstIndex + i}`,
    };
    const fate: Fate = {
      review: rng.next(),
      verdict: rng.next(),
      person: rng.next(),
      vote: rng.next(),
      caught: rng.next(),
      incident: rng.next(),
      reporter: rng.next(),
      humanDelay: rng.next(),
      executionDelay: rng.next(),
    };
    return { agent, index: firstIndex + i, at, quality, harmful, body, fate };
  });
}

function pickWeighted(rng: Random, scopes: readonly SimScope[]): SimScope {
  let roll = rng.next();
  for (const scope of scopes) {
    roll -= scope.weight;
    if (roll < 0) return scope;
  }
  return scopes[scopes.length - 1] as SimScope;
}

/** Targets and params that fit the quickstart catalog's schema for the type (and its routine policies). */
function targetsAndParams(type: string, rng: Random): JsonObject {
  switch (type) {
    case 'service.restart': {
      const count = rng.int(1, 3);
      return {
        targets: Array.from({ length: count }, (_, i) => ({ id: `svc-${rng.int(1, 40)}-${i}` })),
        params: { reason: 'sim' },
      };
    }
    case 'cache.flush':
      return { targets: [{ id: `cache-${rng.int(1, 10)}` }], params: { keyPattern: 'session:*' } };
    case 'deployment.scale': {
      const replicas = rng.int(2, 8);
      return {
        targets: [{ id: `deploy-${rng.int(1, 20)}` }],
        params: { replicas, previousReplicas: replicas - 1 },
      };
    }
    default:
      return {
        targets: [{ id: `flags-${rng.int(1, 5)}` }],
        params: { flag: 'sim-flag', enabled: rng.chance(0.5) },
      };
  }
}
