/**
 * A candidate bundle's limits over recorded facts: what was counted for a decision is reused
 * wherever the candidate counts the same thing; what was never counted stays unknown (fail closed)
 * and is named, so that a new limit does not pass for a policy that tightened. Pure.
 */

import type { DecisionFacts } from '../decide/facts.ts';
import { type LimitFact, limitCounters, limitFacts } from '../policy/limits.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';

export interface CandidateLimits {
  /** The facts to decide on; undefined when no limit applies (as the gateway stores them). */
  readonly limits: readonly LimitFact[] | undefined;
  /** Limits whose counter for this action was never recorded: they count as exceeded. */
  readonly unrecorded: readonly string[];
}

const NONE: readonly string[] = [];

/**
 * Rebuild the limit facts of a recorded decision with the candidate's limits. A rate or in-flight
 * counter is reused when the recorded facts hold the same key counted the same way (same kind,
 * same window); a changed maximum is judged against the recorded count. Target counts and
 * service shares are recomputed from the request, with the service sizes recorded at the time
 * (else `inventory`, else what the targets state).
 *
 * @example
 * const { limits, unrecorded } = candidateLimits(facts, candidate, inventory);
 * unrecorded; // ['deploys-per-day']: a new limit, its counter never kept for this action
 */
export function candidateLimits(
  facts: DecisionFacts,
  bundle: PolicyBundle,
  inventory: ReadonlyMap<string, number>,
): CandidateLimits {
  const { request } = facts;
  const agentId = facts.agent.id;
  const recorded = facts.limits ?? [];
  const counts = new Map<string, number>();
  let unrecorded: string[] | null = null;
  for (const query of limitCounters(bundle, request, agentId)) {
    const fact = recorded.find((f) => f.key === query.key);
    const same =
      fact !== undefined &&
      fact.kind === query.kind &&
      (query.kind !== 'rate' || fact.window === query.since);
    if (!same) {
      unrecorded ??= [];
      if (!unrecorded.includes(query.limit)) unrecorded.push(query.limit);
    } else if (fact.unknown !== true) counts.set(query.key, fact.observed);
    // A counter that could not be read at the time stays unknown, as it was decided.
  }
  const limits = limitFacts(bundle, request, agentId, counts, recordedSizes(recorded, inventory));
  return { limits: limits.length === 0 ? undefined : limits, unrecorded: unrecorded ?? NONE };
}

/** The inventory with the service sizes the recorded share facts used laid over it. */
function recordedSizes(
  recorded: readonly LimitFact[],
  inventory: ReadonlyMap<string, number>,
): ReadonlyMap<string, number> {
  let sizes: Map<string, number> | null = null;
  for (const fact of recorded) {
    if (fact.kind !== 'fraction' || fact.service === undefined || typeof fact.total !== 'number') continue;
    sizes ??= new Map(inventory);
    sizes.set(fact.service, fact.total);
  }
  return sizes ?? inventory;
}
