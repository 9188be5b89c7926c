/**
 * Limits declared in policy files, the pure part: which counters an action needs read, the facts
 * built from what was read, and whether each fact exceeds its limit. The gateway does the counting.
 */

import { formatDuration } from '../config/durations.ts';
import type { ActionRequest, Target } from '../domain/action.ts';
import type { LimitEffect, LimitKind } from '../domain/decision.ts';
import { LIMIT_DIMENSIONS, type LimitDimension } from './limit-schema.ts';
import type { CompiledLimit, PolicyBundle } from './policy-bundle.ts';

/** One durable counter the gateway reads before deciding. */
export interface CounterQuery {
  readonly limit: string;
  readonly kind: 'rate' | 'in_flight';
  readonly key: string;
  /** rate: the window in ms; count the uses of `key` in the last `since` ms. */
  readonly since?: number;
}

/**
 * One check of one limit against one action: the plain data decide() reads. It is stored verbatim
 * with the decision, so it carries everything judgeLimit needs (no bundle required on replay).
 */
export interface LimitFact {
  readonly limit: string;
  readonly file: string;
  readonly kind: LimitKind;
  readonly effect: LimitEffect;
  /** The limit's reason text. */
  readonly reason: string;
  /** The counter key (rate, in_flight), else null. */
  readonly key: string | null;
  /**
   * rate: uses in the window so far; in_flight: changes in flight now (this action not counted);
   * targets: number of targets; fraction: the share of the service this action would touch.
   * When `unknown`, a stand-in at which the limit is reached (max, or 1 for a share).
   */
  readonly observed: number;
  /** rate: count; in_flight, targets, fraction: max. */
  readonly max: number;
  /** rate: the window in ms. */
  readonly window?: number;
  /** fraction: the service this fact is about. */
  readonly service?: string;
  /** fraction: the service's instance count; null when neither the inventory nor the request tells it. */
  readonly total?: number | null;
  /** fraction: how many of the service's instances the action targets. */
  readonly touched?: number;
  /** A number the check needs could not be read; the check counts as exceeded (fail closed). */
  readonly unknown?: true;
}

/** Limits whose `match` covers this type and environment (the same test as rules' `match`). */
export function applicableLimits(
  bundle: PolicyBundle,
  type: string,
  environment: string,
): readonly CompiledLimit[] {
  return bundle.limits.filter(
    (limit) =>
      (limit.environments === null || limit.environments.has(environment)) &&
      (limit.types === null || limit.types.some((glob) => glob.matches(type))),
  );
}

export type DimensionValues = Partial<Record<LimitDimension, string>>;

/**
 * The counter key of a limit for one value of each of its dimensions, e.g.
 * `restart-rate|agent=a1|type=service.restart`. Values are percent-escaped (`%`, `|`, `=`), so
 * distinct (limit, values) never share a key and parseCounterKey can read it back.
 */
export function counterKey(limit: string, values: DimensionValues): string {
  let key = escapeKeyPart(limit);
  for (const dimension of LIMIT_DIMENSIONS) {
    const value = values[dimension];
    if (value !== undefined) key += `|${dimension}=${escapeKeyPart(value)}`;
  }
  return key;
}

/** Reads back a key counterKey made; null for a string that is not shaped like one. */
export function parseCounterKey(key: string): { limit: string; values: DimensionValues } | null {
  const [head, ...parts] = key.split('|');
  if (head === undefined) return null;
  const values: DimensionValues = {};
  let last = -1;
  for (const part of parts) {
    const at = part.indexOf('=');
    const dimension = part.slice(0, at) as LimitDimension;
    const order = LIMIT_DIMENSIONS.indexOf(dimension);
    if (at < 0 || order <= last) return null;
    last = order;
    values[dimension] = unescapeKeyPart(part.slice(at + 1));
  }
  return { limit: unescapeKeyPart(head), values };
}

function escapeKeyPart(text: string): string {
  return text.replace(/[%|=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function unescapeKeyPart(text: string): string {
  return text.replace(/%(25|7C|3D)/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The keys of a counted limit for this action: one, or one per target when kept per target. */
function keysOf(
  limit: CompiledLimit,
  by: readonly LimitDimension[],
  request: ActionRequest,
  agentId: string,
): string[] {
  const values: DimensionValues = {};
  if (by.includes('agent')) values.agent = agentId;
  if (by.includes('type')) values.type = request.type;
  if (by.includes('environment')) values.environment = request.environment;
  if (!by.includes('target')) return [counterKey(limit.name, values)];
  const ids = new Set(request.targets.map((t) => t.id));
  return [...ids].map((target) => counterKey(limit.name, { ...values, target }));
}

/**
 * The counters to read for an action: every applicable rate and in-flight limit, one query per key.
 *
 * @example
 * limitCounters(bundle, request, 'a1');
 * // [{ limit: 'restart-rate', kind: 'rate', key: 'restart-rate|agent=a1|type=service.restart', since: 3600000 }]
 */
export function limitCounters(bundle: PolicyBundle, request: ActionRequest, agentId: string): CounterQuery[] {
  const queries: CounterQuery[] = [];
  for (const limit of applicableLimits(bundle, request.type, request.environment)) {
    const { check } = limit;
    if (check.kind === 'rate') {
      for (const key of keysOf(limit, check.by, request, agentId))
        queries.push({ limit: limit.name, kind: 'rate', key, since: check.window });
    } else if (check.kind === 'in_flight') {
      for (const key of keysOf(limit, check.by, request, agentId))
        queries.push({ limit: limit.name, kind: 'in_flight', key });
    }
  }
  return queries;
}

/**
 * One fact per check of every applicable limit. `counts` holds what the gateway read for the keys of
 * limitCounters (a key it could not read is simply absent); `inventory` maps a service to its
 * instance count. Whatever is missing makes the fact `unknown`, which judgeLimit counts as exceeded.
 */
export function limitFacts(
  bundle: PolicyBundle,
  request: ActionRequest,
  agentId: string,
  counts: ReadonlyMap<string, number>,
  inventory: ReadonlyMap<string, number>,
): LimitFact[] {
  const facts: LimitFact[] = [];
  for (const limit of applicableLimits(bundle, request.type, request.environment)) {
    const base = { limit: limit.name, file: limit.file, effect: limit.effect, reason: limit.reason };
    const { check } = limit;
    switch (check.kind) {
      case 'rate':
      case 'in_flight': {
        const max = check.kind === 'rate' ? check.count : check.max;
        const window = check.kind === 'rate' ? { window: check.window } : {};
        for (const key of keysOf(limit, check.by, request, agentId)) {
          const count = counts.get(key);
          const known = count !== undefined && Number.isFinite(count) && count >= 0;
          facts.push({
            ...base,
            kind: check.kind,
            key,
            observed: known ? count : max,
            max,
            ...window,
            ...(known ? {} : { unknown: true }),
          });
        }
        break;
      }
      case 'targets':
        facts.push({ ...base, kind: 'targets', key: null, observed: request.targets.length, max: check.max });
        break;
      case 'fraction':
        for (const [service, targets] of byService(request.targets)) {
          const total = instanceCount(inventory.get(service)) ?? requestedTotal(targets);
          facts.push({
            ...base,
            kind: 'fraction',
            key: null,
            observed: total === null ? 1 : targets.length / total,
            max: check.max,
            service,
            total,
            touched: targets.length,
            ...(total === null ? { unknown: true } : {}),
          });
        }
        break;
      default: {
        const never: never = check;
        throw new Error(`unknown limit check ${JSON.stringify(never)}`);
      }
    }
  }
  return facts;
}

/** Targets grouped by their `service` attribute, in order of first appearance; others left out. */
function byService(targets: readonly Target[]): Map<string, Target[]> {
  const groups = new Map<string, Target[]>();
  for (const target of targets) {
    const service = target.service;
    if (typeof service !== 'string' || service === '') continue;
    const group = groups.get(service);
    if (group === undefined) groups.set(service, [target]);
    else group.push(target);
  }
  return groups;
}

function instanceCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

/**
 * The instance count the request states on its targets. When they disagree the smallest wins:
 * the count comes from the agent, and a smaller total can only make the share larger.
 */
function requestedTotal(targets: readonly Target[]): number | null {
  const stated = targets.map((t) => instanceCount(t.serviceInstances)).filter((n) => n !== null);
  return stated.length === 0 ? null : Math.min(...stated);
}

/** Shares are compared with this slack, so that 3 of 10 is not above a max of 0.3. */
const SHARE_EPSILON = 1e-9;

/**
 * Whether a fact exceeds its limit, and a message naming the limit. Written as "not within", so a
 * fact with a missing or non-numeric field (a stored fact of another version) counts as exceeded.
 *
 * @example
 * judgeLimit({ kind: 'rate', limit: 'restart-rate', observed: 5, max: 5, window: 3_600_000, … });
 * // { exceeded: true, message: '6th restart-rate use in 1h; the limit is 5' }
 */
export function judgeLimit(fact: LimitFact): { exceeded: boolean; message: string } {
  const on = onTarget(fact.key);
  const unread = fact.unknown === true || !Number.isFinite(fact.observed) || !Number.isFinite(fact.max);
  switch (fact.kind) {
    case 'rate': {
      const window = fact.window === undefined ? 'its window' : formatDuration(fact.window);
      if (unread) return unknown(`${fact.limit}: the uses in the last ${window}${on} could not be counted`);
      return {
        exceeded: !(fact.observed + 1 <= fact.max),
        message: `${ordinal(fact.observed + 1)} ${fact.limit} use in ${window}${on}; the limit is ${fact.max}`,
      };
    }
    case 'in_flight':
      if (unread) return unknown(`${fact.limit}: the changes in flight${on} could not be counted`);
      return {
        exceeded: !(fact.observed + 1 <= fact.max),
        message: `${ordinal(fact.observed + 1)} ${fact.limit} change in flight${on}; the limit is ${fact.max}`,
      };
    case 'targets':
      if (unread) return unknown(`${fact.limit}: the number of targets is unknown`);
      return {
        exceeded: !(fact.observed <= fact.max),
        message: `${fact.limit}: ${fact.observed} target${fact.observed === 1 ? '' : 's'}; the limit is ${fact.max}`,
      };
    case 'fraction': {
      const service = fact.service ?? 'the service';
      if (unread || fact.total == null)
        return unknown(
          `${fact.limit}: the number of ${service} instances is unknown (not in the inventory, no serviceInstances on the targets)`,
        );
      const exceeded = !(fact.observed <= fact.max + SHARE_EPSILON);
      const touched = fact.touched ?? Math.round(fact.observed * fact.total);
      return {
        exceeded,
        message: `${fact.limit}: ${touched} of ${fact.total} ${service} instances (${percent(fact.observed)}) ${exceeded ? '>' : '≤'} ${percent(fact.max)}`,
      };
    }
    default: {
      const never: never = fact.kind;
      return unknown(`${(fact as LimitFact).limit}: unknown kind of limit ${JSON.stringify(never)}`);
    }
  }
}

function unknown(what: string): { exceeded: boolean; message: string } {
  return { exceeded: true, message: `${what}; counted as exceeded` };
}

/** ` on <target>` for a per-target key, so that the facts of one limit can be told apart. */
function onTarget(key: string | null): string {
  const target = key === null ? undefined : parseCounterKey(key)?.values.target;
  return target === undefined ? '' : ` on ${target}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}
