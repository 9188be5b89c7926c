/**
 * Shadow policies on the decision path: the facts of a live decision decided again with the
 * shadow bundle (its own limits built from the same counters), compared with the live decision,
 * and a disagreement made ready to record with the action. Never enforced: whatever fails here
 * leaves the live decision as it is.
 */

import { decide } from '../decide/decide.ts';
import type { DecisionFacts } from '../decide/facts.ts';
import type { ActionRequest } from '../domain/action.ts';
import type { Effect, Reason } from '../domain/decision.ts';
import { type CounterQuery, limitCounters, limitFacts } from '../policy/limits.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import type { Project } from '../project/project-loader.ts';
import { diffDecisions } from '../replay/compare.ts';
import type { ActionRecord, RuleDifferences, ShadowDecisionRecord } from '../store/records.ts';
import type { StoreReader } from '../store/store.ts';
import { countLimits } from './limit-counts.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/** What the shadow needs for one proposal. */
export interface ShadowPlan {
  readonly bundle: PolicyBundle;
  /** Every counter the shadow's limits read. */
  readonly counters: readonly CounterQuery[];
  /** Those the live decision does not read already (another key, or one key over another window). */
  readonly extra: readonly CounterQuery[];
}

/** The shadow's counts, or why they could not be read (then the shadow is not evaluated). */
export type ShadowCounts =
  | { readonly ok: true; readonly counts: ReadonlyMap<string, number> }
  | { readonly ok: false; readonly error: unknown };

export type ShadowOutcome =
  | { readonly result: 'agree' }
  | { readonly result: 'stricter' | 'looser'; readonly record: ShadowDecisionRecord }
  | { readonly result: 'error'; readonly error: unknown };

export function planShadow(
  project: Project,
  request: ActionRequest,
  agentId: string,
  live: readonly CounterQuery[],
): ShadowPlan | null {
  if (project.shadow === null) return null;
  const counters = limitCounters(project.shadow, request, agentId);
  const extra = counters.filter(
    (c) => !live.some((l) => l.key === c.key && l.kind === c.kind && l.since === c.since),
  );
  return { bundle: project.shadow, counters, extra };
}

/** The shadow's counts: those it shares with the live decision, and the rest read from `reader`. */
export async function countShadow(
  reader: StoreReader,
  plan: ShadowPlan,
  live: ReadonlyMap<string, number>,
  now: Date,
): Promise<ShadowCounts> {
  try {
    const own = await countLimits(reader, plan.extra, now);
    const counts = new Map<string, number>();
    for (const { key } of plan.counters) {
      const count = own.get(key) ?? live.get(key);
      if (count !== undefined) counts.set(key, count);
    }
    return { ok: true, counts };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Decide `base` (the live facts without limits) with the shadow bundle and compare with the live
 * action's decision: agreement, or the disagreement to record.
 */
export function evaluateShadow(
  plan: ShadowPlan,
  counts: ShadowCounts,
  base: DecisionFacts,
  action: ActionRecord,
  inventory: ReadonlyMap<string, number>,
): ShadowOutcome {
  if (!counts.ok) return { result: 'error', error: counts.error };
  try {
    const limits = limitFacts(plan.bundle, base.request, base.agent.id, counts.counts, inventory);
    const { limits: _live, ...rest } = base;
    const facts: DecisionFacts = limits.length === 0 ? rest : { ...rest, limits };
    const shadow = decide(facts, plan.bundle);
    const live = action.decision;
    const diff = diffDecisions(live, shadow);
    if (diff.change === 'unchanged') return { result: 'agree' };
    const rules: RuleDifferences = {
      newlyMatched: diff.newlyMatched,
      noLongerMatched: diff.noLongerMatched,
      effectChanged: effectChanges(live.reasons, shadow.reasons),
    };
    return {
      result: diff.change,
      record: {
        actionId: action.id,
        agentId: action.agentId,
        type: action.type,
        environment: action.environment,
        liveBundle: live.policyVersion,
        shadowBundle: shadow.policyVersion,
        liveEffect: live.effect,
        shadowEffect: shadow.effect,
        change: diff.change,
        reasons: shadow.reasons,
        rules,
        createdAt: action.createdAt,
      },
    };
  } catch (error) {
    return { result: 'error', error };
  }
}

/** Count what the shadow needs, then decide with it: `countShadow`, then `evaluateShadow`. */
export async function decideShadow(input: {
  readonly reader: StoreReader;
  readonly plan: ShadowPlan;
  /** The counts the live decision read. */
  readonly counts: ReadonlyMap<string, number>;
  readonly base: DecisionFacts;
  readonly action: ActionRecord;
  readonly project: Project;
  readonly now: Date;
}): Promise<ShadowOutcome> {
  const { reader, plan, base, action, project, now } = input;
  const counts = await countShadow(reader, plan, input.counts, now);
  return evaluateShadow(plan, counts, base, action, project.inventory);
}

/** The disagreement to record with the action, if there is one. */
export function disagreementOf(outcome: ShadowOutcome | null): ShadowDecisionRecord | undefined {
  return outcome !== null && (outcome.result === 'stricter' || outcome.result === 'looser')
    ? outcome.record
    : undefined;
}

/** Count the shadow's verdict on a recorded action; a shadow that failed is logged too. */
export function countShadowOutcome(
  deps: { readonly metrics: Metrics; readonly logger: Logger },
  actionId: string,
  outcome: ShadowOutcome,
): void {
  deps.metrics.shadowDecisions.inc({ result: outcome.result });
  if (outcome.result !== 'error') return;
  deps.logger.error(
    { event: 'policy.shadow_failed', action: actionId, err: outcome.error },
    `the shadow bundle could not decide ${actionId}; the live decision stands`,
  );
}

/**
 * The counter keys the shadow's limits count this action under. A cleared action is counted under
 * them too, so that a limit only the shadow has sees the real history, as it would once promoted.
 */
export function shadowUsageKeys(
  project: Project,
  action: Pick<ActionRecord, 'request' | 'agentId'>,
): string[] {
  if (project.shadow === null) return [];
  return limitCounters(project.shadow, action.request, action.agentId).map((c) => c.key);
}

/** Rules (and exceeded limits) both decisions matched, with another effect in the second. */
function effectChanges(live: readonly Reason[], shadow: readonly Reason[]): RuleDifferences['effectChanged'] {
  const before = effectsOf(live);
  const changes: { rule: string; live: Effect; shadow: Effect }[] = [];
  for (const [rule, effect] of effectsOf(shadow)) {
    const was = before.get(rule);
    if (was !== undefined && was !== effect) changes.push({ rule, live: was, shadow: effect });
  }
  return changes;
}

/** Named as matchedNames names them (`limit:` before a limit). */
function effectsOf(reasons: readonly Reason[]): Map<string, Effect> {
  const effects = new Map<string, Effect>();
  for (const reason of reasons) {
    if (reason.kind === 'rule' || reason.kind === 'rule_error') effects.set(reason.rule, reason.effect);
    else if (reason.kind === 'limit' && !reason.passed) effects.set(`limit:${reason.limit}`, reason.effect);
  }
  return effects;
}
