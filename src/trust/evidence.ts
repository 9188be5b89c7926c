/**
 * The evidence ledger's vocabulary and its metrics: what each kind of evidence says about an
 * agent, and the rates, counts and calibration of one scope over a window. Pure.
 */

import type { TrustLevel } from '../domain/levels.ts';
import { glob } from '../policy/glob.ts';
import {
  brierScore,
  expectedCalibrationError,
  type Labelled,
  type Rate,
  type ReliabilityBin,
  rateOf,
  reliabilityTable,
} from './stats.ts';

export const EVIDENCE_KINDS = [
  // How an execution ended.
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
  'verification_failed',
  // What a person said.
  'approved_unchanged',
  'approved_changed',
  'denied_by_person',
  'expired',
  'advice_agreed',
  'advice_disagreed',
  'incident',
  // What the ledger did about it: not evidence of skill, kept out of the metrics.
  'denied_burst',
  'demoted',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** One piece of evidence about one action of an agent. */
export interface EvidenceRecord {
  readonly id: string;
  readonly agentId: string;
  readonly actionId: string;
  readonly type: string;
  readonly environment: string;
  readonly kind: EvidenceKind;
  /** The level the action was decided at. */
  readonly level: TrustLevel;
  /** The confidence the agent stated in its proposal. */
  readonly confidence: number | null;
  /** Who gave it: a person's id, or `airlock` for outcomes observed by Airlock. */
  readonly by: string;
  readonly detail: string | null;
  readonly at: string;
}

/** Kinds that say the action, as proposed, was wrong or did harm. */
const NEGATIVE: ReadonlySet<EvidenceKind> = new Set([
  'failed',
  'rolled_back',
  'verification_failed',
  'denied_by_person',
  'approved_changed',
  'advice_disagreed',
  'incident',
]);
const POSITIVE: ReadonlySet<EvidenceKind> = new Set(['succeeded', 'advice_agreed']);
const EXECUTED: ReadonlySet<EvidenceKind> = new Set([
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
  'verification_failed',
]);
const EXECUTION_FAILURE: ReadonlySet<EvidenceKind> = new Set([
  'failed',
  'rolled_back',
  'unknown',
  'verification_failed',
  'incident',
]);
const VERDICTS: ReadonlySet<EvidenceKind> = new Set([
  'approved_unchanged',
  'approved_changed',
  'denied_by_person',
  'advice_agreed',
  'advice_disagreed',
]);
const AGREED: ReadonlySet<EvidenceKind> = new Set(['approved_unchanged', 'advice_agreed']);

/**
 * Whether an action was right, from all its evidence: 0 when anything says it was wrong or did
 * harm, 1 when it succeeded or a person agreed with the advice, null when nothing tells yet.
 */
export function labelOf(kinds: Iterable<EvidenceKind>): 0 | 1 | null {
  let label: 0 | 1 | null = null;
  for (const kind of kinds) {
    if (NEGATIVE.has(kind)) return 0;
    if (POSITIVE.has(kind)) label = 1;
  }
  return label;
}

export interface ScopePattern {
  readonly typePattern: string;
  readonly environment: string;
}

export function inScope(
  scope: ScopePattern,
  evidence: Pick<EvidenceRecord, 'type' | 'environment'>,
): boolean {
  return (
    (scope.environment === '*' || scope.environment === evidence.environment) &&
    glob(scope.typePattern).matches(evidence.type)
  );
}

export interface Calibration {
  /** Actions with a stated confidence and a label. */
  readonly n: number;
  readonly brier: number | null;
  readonly ece: number | null;
  readonly table: readonly ReliabilityBin[];
}

export interface ScopeMetrics {
  readonly since: string;
  readonly until: string;
  /** Evidence of each kind in the window, at any level. */
  readonly counts: Readonly<Record<EvidenceKind, number>>;
  /** Evidence gathered at the scope's current level. */
  readonly atLevel: {
    readonly level: TrustLevel;
    readonly evidence: number;
    readonly approved: number;
    readonly succeeded: number;
  };
  /** Executions that succeeded (unknown, failed, rolled back and incidents count against). */
  readonly success: Rate;
  /** Human verdicts that agreed with the agent (approved unchanged, advice agreed). */
  readonly agreement: Rate;
  readonly rollbacks: number;
  readonly lastRollbackAt: string | null;
  readonly lastIncidentAt: string | null;
  readonly calibration: Calibration;
}

/** Evidence of one scope grouped by action, with the stated confidence each action carried. */
function byAction(evidence: readonly EvidenceRecord[]) {
  const actions = new Map<
    string,
    { kinds: Set<EvidenceKind>; confidence: number | null; level: TrustLevel }
  >();
  for (const e of evidence) {
    const entry = actions.get(e.actionId) ?? { kinds: new Set(), confidence: e.confidence, level: e.level };
    entry.kinds.add(e.kind);
    actions.set(e.actionId, entry);
  }
  return actions;
}

/** The labelled (confidence, outcome) pairs of a scope's actions: the input to calibration. */
export function labelledPoints(evidence: readonly EvidenceRecord[]): Labelled[] {
  const points: Labelled[] = [];
  for (const { kinds, confidence } of byAction(evidence).values()) {
    const outcome = labelOf(kinds);
    if (outcome !== null && confidence !== null) points.push({ confidence, outcome });
  }
  return points;
}

/**
 * The metrics of one scope: `evidence` is the agent's evidence in the window (any scope; this
 * keeps what falls in `scope`), `level` the scope's current level.
 */
export function scopeMetrics(
  evidence: readonly EvidenceRecord[],
  scope: ScopePattern,
  level: TrustLevel,
  window: { readonly since: string; readonly until: string },
): ScopeMetrics {
  const mine = evidence.filter((e) => e.at >= window.since && e.at <= window.until && inScope(scope, e));
  const counts = Object.fromEntries(EVIDENCE_KINDS.map((k) => [k, 0])) as Record<EvidenceKind, number>;
  let lastRollbackAt: string | null = null;
  let lastIncidentAt: string | null = null;
  for (const e of mine) {
    counts[e.kind]++;
    if (e.kind === 'rolled_back' && (lastRollbackAt === null || e.at > lastRollbackAt)) lastRollbackAt = e.at;
    if (e.kind === 'incident' && (lastIncidentAt === null || e.at > lastIncidentAt)) lastIncidentAt = e.at;
  }

  const actions = byAction(mine);
  let executed = 0;
  let succeeded = 0;
  let verdicts = 0;
  let agreed = 0;
  let atLevelEvidence = 0;
  let atLevelApproved = 0;
  let atLevelSucceeded = 0;
  for (const { kinds, level: decidedAt } of actions.values()) {
    const kindList = [...kinds];
    const ok = kinds.has('succeeded') && !kindList.some((k) => EXECUTION_FAILURE.has(k));
    if (kindList.some((k) => EXECUTED.has(k))) {
      executed++;
      if (ok) succeeded++;
    }
    const verdict = kindList.find((k) => VERDICTS.has(k));
    if (verdict !== undefined) {
      verdicts++;
      if (AGREED.has(verdict)) agreed++;
    }
    if (decidedAt !== level) continue;
    if (labelOf(kinds) !== null) atLevelEvidence++;
    if (kinds.has('approved_unchanged')) atLevelApproved++;
    if (ok) atLevelSucceeded++;
  }

  const points = labelledPoints(mine);
  return {
    since: window.since,
    until: window.until,
    counts,
    atLevel: { level, evidence: atLevelEvidence, approved: atLevelApproved, succeeded: atLevelSucceeded },
    success: rateOf(succeeded, executed),
    agreement: rateOf(agreed, verdicts),
    rollbacks: counts.rolled_back,
    lastRollbackAt,
    lastIncidentAt,
    calibration: {
      n: points.length,
      brier: brierScore(points),
      ece: expectedCalibrationError(points),
      table: reliabilityTable(points),
    },
  };
}
