/**
 * Replaying one recorded decision: the facts it was made from, with a candidate bundle and
 * candidate trust laid over them, decided again and compared with what was decided. Pure.
 */

import { decide } from '../decide/decide.ts';
import type { DecisionFacts } from '../decide/facts.ts';
import type { Decision } from '../domain/decision.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import { candidateLimits } from './candidate-limits.ts';
import { type CandidateTrust, CannotReplay, type Refit, withCandidateTrust } from './candidate-trust.ts';
import { changeOf, type DecisionDiff, diffDecisions } from './compare.ts';
import { readDecision, readFacts } from './recorded-facts.ts';

/** A decision as the store keeps it (an ActionRecord is one). */
export interface RecordedDecision {
  readonly id: string;
  readonly agentId: string;
  readonly type: string;
  readonly environment: string;
  readonly createdAt: string;
  /** The facts decide() saw, as stored. */
  readonly facts: unknown;
  readonly decision: Decision;
}

/** What the recorded decisions are decided again with. */
export interface Candidate {
  readonly bundle: PolicyBundle;
  /** null: the trust facts as recorded. */
  readonly trust: CandidateTrust | null;
  /** Instances per service, for share limits whose recorded facts lack the service's size. */
  readonly inventory: ReadonlyMap<string, number>;
}

export type ReplayOutcome =
  | {
      readonly kind: 'replayed';
      readonly recorded: RecordedDecision;
      readonly before: Decision;
      readonly after: Decision;
      readonly diff: DecisionDiff;
      /** Limits whose counters for this action were never recorded (counted as exceeded). */
      readonly unrecorded: readonly string[];
      /** The decision is stricter only because such a limit counts as exceeded. */
      readonly restsOnUnrecorded: boolean;
    }
  | { readonly kind: 'skipped'; readonly recorded: RecordedDecision; readonly reason: string };

/**
 * Decide a recorded action again with the candidate, on the facts it was decided on.
 *
 * @example
 * const outcome = replayDecision(action, { bundle: next, trust: null, inventory: project.inventory });
 * if (outcome.kind === 'replayed') outcome.diff.change; // 'unchanged' | 'stricter' | 'looser'
 */
export function replayDecision(
  recorded: RecordedDecision,
  candidate: Candidate,
  refit: Refit | null = null,
): ReplayOutcome {
  const facts = readFacts(recorded.facts);
  if (typeof facts === 'string') return { kind: 'skipped', recorded, reason: facts };
  const before = readDecision(recorded.decision);
  if (typeof before === 'string') return { kind: 'skipped', recorded, reason: before };
  let candidateFacts: DecisionFacts;
  let unrecorded: readonly string[] = [];
  try {
    candidateFacts = withCandidateTrust(facts, candidate.trust, refit);
    // The same bundle counts the same limits: its recorded facts stand as they are.
    if (candidate.bundle.hash !== before.policyVersion) {
      const rebuilt = candidateLimits(candidateFacts, candidate.bundle, candidate.inventory);
      candidateFacts = { ...candidateFacts, limits: rebuilt.limits };
      unrecorded = rebuilt.unrecorded;
    }
  } catch (error) {
    if (error instanceof CannotReplay) return { kind: 'skipped', recorded, reason: error.message };
    throw error;
  }
  const after = decide(candidateFacts, candidate.bundle);
  // Most decisions come out as they were: no need to list what they matched.
  const diff = sameDecision(before, after) ? unchanged(before) : diffDecisions(before, after);
  return {
    kind: 'replayed',
    recorded,
    before,
    after,
    diff,
    unrecorded,
    restsOnUnrecorded:
      diff.change === 'stricter' &&
      unrecorded.length > 0 &&
      !stricterWithout(candidateFacts, unrecorded, before, candidate.bundle),
  };
}

/** Whether the decision is still stricter with the unrecorded counters taken as within their limits. */
function stricterWithout(
  facts: DecisionFacts,
  unrecorded: readonly string[],
  before: Decision,
  bundle: PolicyBundle,
): boolean {
  const limits = (facts.limits ?? []).filter((f) => !(f.unknown === true && unrecorded.includes(f.limit)));
  const without = decide({ ...facts, limits }, bundle);
  return changeOf(before.effect, without.effect) === 'stricter';
}

const NOTHING: readonly string[] = [];

function unchanged(decision: Decision): DecisionDiff {
  const { effect } = decision;
  return {
    change: 'unchanged',
    before: effect,
    after: effect,
    newlyMatched: NOTHING,
    noLongerMatched: NOTHING,
  };
}

/**
 * Whether two decisions on the same facts say the same, whatever bundle made them: effect, level,
 * route, and every reason with its outcome and message. Under the recording bundle, every
 * decision must (the report's self-check).
 */
export function sameDecision(a: Decision, b: Decision): boolean {
  if (
    a.effect !== b.effect ||
    a.policyEffect !== b.policyEffect ||
    a.trustLevel !== b.trustLevel ||
    a.route !== b.route ||
    a.reasons.length !== b.reasons.length
  )
    return false;
  for (let i = 0; i < a.reasons.length; i++) {
    const x = a.reasons[i] as Decision['reasons'][number] & { passed?: boolean };
    const y = b.reasons[i] as Decision['reasons'][number] & { passed?: boolean };
    if (x.kind !== y.kind || x.message !== y.message || x.passed !== y.passed) return false;
  }
  return true;
}
