/**
 * The side-by-side report of an incident replay (pure): each original action of the incident next
 * to what the candidate agent proposed at that step and how Airlock would decide it now, which
 * steps differ, and a summary.
 */

import { canonicalJson } from '../audit/canonical-json.ts';
import type { ActionRequest, ActionStatus, Target } from '../domain/action.ts';
import type { Decision, DecisionEffect, Reason } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { ActionRecord, ExecutionRecord } from '../store/records.ts';

/** How Airlock would decide one candidate proposal, or why it never reached a decision. */
export type CandidateOutcome =
  | {
      readonly kind: 'decided';
      /** The agent whose grants decided it: the step's original agent, or `--as-agent`. */
      readonly agentId: string;
      readonly request: ActionRequest;
      readonly decision: Decision;
    }
  | {
      /** What `POST /v1/actions` would have answered with 422: not a valid proposal for the catalog. */
      readonly kind: 'rejected';
      readonly type: string | null;
      readonly environment: string | null;
      readonly code: 'validation_failed' | 'unknown_action_type';
      readonly message: string;
      readonly details: readonly string[];
    };

/** What came of asking the candidate at one step: its proposals, or why there is nothing to decide. */
export type StepAnswer =
  | { readonly kind: 'answered'; readonly proposals: readonly CandidateOutcome[] }
  | { readonly kind: 'error'; readonly error: string };

/** One step as the replay collected it. */
export interface ReplayedStep {
  readonly original: ActionRecord;
  /** The original's execution, if it was cleared to run. */
  readonly execution: ExecutionRecord | null;
  readonly answer: StepAnswer;
}

export interface ReportHeader {
  readonly incident: string;
  readonly agentUrl: string;
  /** The agent whose grants decided every proposal; null: each step's original agent. */
  readonly asAgent: string | null;
  /** The policy bundle that decided. */
  readonly policyVersion: string;
  readonly decidedAt: string;
}

/** What makes two proposals the same action. */
export const COMPARED_FIELDS = ['type', 'environment', 'targets', 'params'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export interface OriginalSide {
  readonly action: string;
  readonly agent: string;
  readonly type: string;
  readonly environment: string;
  readonly targets: readonly Target[];
  readonly params: JsonObject;
  readonly effect: DecisionEffect;
  readonly status: ActionStatus;
  readonly rolledBack: boolean;
  /** What went wrong when it ran: failed checks, the rollback, an outcome nobody knows. */
  readonly note: string | null;
}

export type CandidateProposal =
  | {
      readonly kind: 'decided';
      readonly agent: string;
      readonly type: string;
      readonly environment: string;
      readonly targets: readonly Target[];
      readonly params: JsonObject;
      readonly effect: DecisionEffect;
      readonly trustLevel: TrustLevel;
      /** The reasons that made the decision what it is (see `mainReasons`). */
      readonly reasons: readonly string[];
      /** Fields in which it differs from the step's original action; empty: the same action. */
      readonly differs: readonly ComparedField[];
    }
  | {
      readonly kind: 'rejected';
      readonly type: string | null;
      readonly environment: string | null;
      readonly code: string;
      readonly message: string;
      readonly details: readonly string[];
    };

export type StepVerdict = 'same' | 'different' | 'error';

export interface StepReport {
  /** 1-based, in the order the original actions were created. */
  readonly step: number;
  readonly context: JsonObject | null;
  readonly original: OriginalSide;
  readonly candidate:
    | { readonly kind: 'answered'; readonly proposals: readonly CandidateProposal[] }
    | { readonly kind: 'error'; readonly error: string };
  /** same: exactly the original action and nothing else; error: no usable answer. */
  readonly verdict: StepVerdict;
}

/** What the candidate did at a step whose original went wrong. */
export type CandidateThere = 'same' | 'other' | 'nothing' | 'error';

export interface ReportSummary {
  readonly steps: number;
  readonly same: number;
  readonly different: number;
  readonly errors: number;
  readonly proposals: Readonly<Record<DecisionEffect | 'rejected' | 'total', number>>;
  /** Originals that were rolled back, failed or ended unknown, and what the candidate did there. */
  readonly wentWrong: readonly {
    readonly step: number;
    readonly action: string;
    readonly status: ActionStatus;
    readonly candidate: CandidateThere;
  }[];
}

export interface IncidentReport extends ReportHeader {
  readonly steps: readonly StepReport[];
  readonly summary: ReportSummary;
}

const WENT_WRONG: readonly ActionStatus[] = ['rolled_back', 'failed', 'unknown'];

/** Put the collected steps side by side and sum them up. */
export function buildIncidentReport(header: ReportHeader, steps: readonly ReplayedStep[]): IncidentReport {
  const reports = steps.map((step, index) => stepReport(index + 1, step));
  return { ...header, steps: reports, summary: summarize(reports) };
}

function stepReport(step: number, replayed: ReplayedStep): StepReport {
  const { original: action, answer } = replayed;
  const original: OriginalSide = {
    action: action.id,
    agent: action.agentId,
    type: action.type,
    environment: action.environment,
    targets: action.request.targets,
    params: action.request.params,
    effect: action.decision.effect,
    status: action.status,
    rolledBack: action.status === 'rolled_back',
    note: executionNote(replayed.execution),
  };
  const base = { step, context: action.request.context, original };
  if (answer.kind === 'error') return { ...base, candidate: answer, verdict: 'error' };
  const proposals = answer.proposals.map((outcome) => candidateProposal(action.request, outcome));
  const [only] = proposals;
  const same = proposals.length === 1 && only?.kind === 'decided' && only.differs.length === 0;
  return { ...base, candidate: { kind: 'answered', proposals }, verdict: same ? 'same' : 'different' };
}

function candidateProposal(original: ActionRequest, outcome: CandidateOutcome): CandidateProposal {
  if (outcome.kind === 'rejected') {
    const { kind, type, environment, code, message, details } = outcome;
    return { kind, type, environment, code, message, details };
  }
  const { request, decision } = outcome;
  return {
    kind: 'decided',
    agent: outcome.agentId,
    type: request.type,
    environment: request.environment,
    targets: request.targets,
    params: request.params,
    effect: decision.effect,
    trustLevel: decision.trustLevel,
    reasons: mainReasons(decision),
    differs: differingFields(original, request),
  };
}

/** The fields of COMPARED_FIELDS whose canonical JSON differs between the two requests. */
export function differingFields(a: ActionRequest, b: ActionRequest): ComparedField[] {
  return COMPARED_FIELDS.filter((field) => canonicalJson(a[field]) !== canonicalJson(b[field]));
}

function summarize(steps: readonly StepReport[]): ReportSummary {
  const proposals = { total: 0, execute: 0, escalate: 0, advise: 0, deny: 0, rejected: 0 };
  const verdicts = { same: 0, different: 0, error: 0 };
  const wentWrong: ReportSummary['wentWrong'][number][] = [];
  for (const step of steps) {
    verdicts[step.verdict] += 1;
    const answered = step.candidate.kind === 'answered' ? step.candidate.proposals : [];
    for (const proposal of answered) {
      proposals.total += 1;
      proposals[proposal.kind === 'rejected' ? 'rejected' : proposal.effect] += 1;
    }
    if (WENT_WRONG.includes(step.original.status)) {
      wentWrong.push({
        step: step.step,
        action: step.original.action,
        status: step.original.status,
        candidate: candidateThere(step),
      });
    }
  }
  return {
    steps: steps.length,
    same: verdicts.same,
    different: verdicts.different,
    errors: verdicts.error,
    proposals,
    wentWrong,
  };
}

function candidateThere(step: StepReport): CandidateThere {
  if (step.candidate.kind === 'error') return 'error';
  const { proposals } = step.candidate;
  if (proposals.length === 0) return 'nothing';
  return proposals.some((p) => p.kind === 'decided' && p.differs.length === 0) ? 'same' : 'other';
}

/** A few words on how a cleared original ended badly; null when nothing went wrong. */
function executionNote(execution: ExecutionRecord | null): string | null {
  if (execution === null) return null;
  const state = execution.state as {
    verification?: { passed?: boolean; failed?: string[] };
    rollback?: { outcome?: string };
    outcome?: { outcome?: string; message?: string | null };
    attention?: unknown;
  };
  const notes: string[] = [];
  if (state.verification?.passed === false) {
    const failed = state.verification.failed ?? [];
    notes.push(`verification failed${failed.length === 0 ? '' : `: ${failed.join(', ')}`}`);
  }
  if (state.rollback?.outcome !== undefined) notes.push(`rollback ${state.rollback.outcome}`);
  if (state.outcome?.outcome === 'failed' && typeof state.outcome.message === 'string')
    notes.push(`failed: ${state.outcome.message}`);
  if (typeof state.attention === 'string' && !notes.some((n) => state.attention === n))
    notes.push(state.attention);
  return notes.length === 0 ? null : notes.join('; ');
}

/**
 * The reasons that made a decision what it is, as one line each: for a denial the denying rules
 * and limits (or the suspended agent); for advice the level; for an escalation the escalating
 * rules, exceeded limits, freeze and failed caps; for execution the allowing rules.
 *
 * @example
 * mainReasons(decision) // ['rule no-data-loss-migrations: Migrations that drop data are never run through automation.']
 */
export function mainReasons(decision: Pick<Decision, 'effect' | 'reasons'>): string[] {
  return decision.reasons.filter((reason) => decisive(reason, decision.effect)).map(reasonText);
}

function decisive(reason: Reason, effect: DecisionEffect): boolean {
  switch (reason.kind) {
    case 'agent_suspended':
      return effect === 'deny';
    case 'rule':
    case 'default':
      return reason.effect === POLICY_EFFECT_OF[effect];
    case 'rule_error':
      return effect === 'escalate' || (effect === 'deny' && reason.effect === 'deny');
    case 'limit':
      return !reason.passed && (effect === 'escalate' || (effect === 'deny' && reason.effect === 'deny'));
    case 'cap':
      return !reason.passed && (effect === 'escalate' || effect === 'advise');
    case 'frozen':
    case 'revision':
      return effect === 'escalate';
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/** The policy effect that speaks for a decision (advice is the level's doing, not a rule's). */
const POLICY_EFFECT_OF: Readonly<Record<DecisionEffect, string | null>> = {
  execute: 'allow',
  escalate: 'escalate',
  deny: 'deny',
  advise: null,
};

function reasonText(reason: Reason): string {
  switch (reason.kind) {
    case 'rule':
      return `rule ${reason.rule}: ${reason.message}`;
    case 'rule_error':
      return `rule ${reason.rule} failed to evaluate: ${reason.message}`;
    case 'default':
      return `default ${reason.effect}: ${reason.message}`;
    case 'limit':
      return `limit ${reason.limit}: ${reason.message}`;
    case 'cap':
      return `cap ${reason.code}: ${reason.message}`;
    case 'agent_suspended':
    case 'frozen':
    case 'revision':
      return reason.message;
    default: {
      const never: never = reason;
      return JSON.stringify(never);
    }
  }
}
