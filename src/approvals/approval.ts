/**
 * The approval state machine, pure: open on a route, vote, revise, and let time pass. Every
 * transition returns the events to record; the gateway persists them in one transaction, so two
 * votes racing (or a vote racing a timeout) give exactly one outcome.
 */

import type { Person } from '../project/project-schema.ts';
import type { Fallback, RouteSpec } from './route-schema.ts';
import { isMember } from './routing.ts';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'revised'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export type Verdict = 'approve' | 'deny';

export interface Vote {
  readonly person: string;
  /** `revise`: the person proposed changed params instead (a new revision takes over). */
  readonly verdict: Verdict | 'revise';
  /** The step (1-based) the vote was cast at. */
  readonly step: number;
  readonly comment: string | null;
  /** An admin outside the step's group voted. */
  readonly override: boolean;
  /** The exact request the vote is about. */
  readonly requestHash: string;
  readonly at: string;
}

export interface Approval {
  readonly id: string;
  readonly actionId: string;
  readonly agentId: string;
  readonly agentOwner: string;
  /** Hash of the exact request (type, environment, targets, params …) being approved. */
  readonly requestHash: string;
  /** The route as it was when the approval opened; later config changes do not move it. */
  readonly route: RouteSpec;
  readonly ownerMayApprove: boolean;
  /** The person who proposed this revision, who cannot approve it. */
  readonly revisionAuthor: string | null;
  /** 1-based. */
  readonly step: number;
  readonly deadline: string;
  readonly status: ApprovalStatus;
  readonly votes: readonly Vote[];
  readonly createdAt: string;
  readonly resolvedAt: string | null;
  /** Bumped by every transition; a write only lands on the version it read. */
  readonly version: number;
}

export type Outcome = Exclude<ApprovalStatus, 'pending'>;

export type Transition =
  | { readonly kind: 'approval.voted'; readonly vote: Vote }
  | {
      readonly kind: 'approval.escalated';
      readonly fromStep: number;
      readonly toStep: number;
      readonly group: string;
      readonly quorum: number;
      readonly deadline: string;
      /** When the step that timed out was due (earlier than now after a restart). */
      readonly dueAt: string;
    }
  | {
      readonly kind: 'approval.resolved';
      readonly outcome: Outcome;
      readonly cause: 'quorum' | 'deny_vote' | 'timeout' | 'revision';
      /** For a timeout: the route's fallback that applied, and when the last step was due. */
      readonly fallback?: Fallback;
      readonly dueAt?: string;
    };

export interface Step {
  readonly approval: Approval;
  readonly transitions: readonly Transition[];
}

export type Refusal = {
  readonly code:
    | 'approval_closed'
    | 'already_voted'
    | 'not_eligible'
    | 'request_changed'
    | 'validation_failed';
  readonly message: string;
};

export type Result = ({ readonly ok: true } & Step) | ({ readonly ok: false } & Refusal);

export interface OpenInput {
  readonly id: string;
  readonly actionId: string;
  readonly agentId: string;
  readonly agentOwner: string;
  readonly requestHash: string;
  readonly route: RouteSpec;
  readonly ownerMayApprove: boolean;
  readonly revisionAuthor: string | null;
  readonly now: Date;
}

export function openApproval(input: OpenInput): Approval {
  const first = stepOf(input.route, 1);
  return {
    id: input.id,
    actionId: input.actionId,
    agentId: input.agentId,
    agentOwner: input.agentOwner,
    requestHash: input.requestHash,
    route: input.route,
    ownerMayApprove: input.ownerMayApprove,
    revisionAuthor: input.revisionAuthor,
    step: 1,
    deadline: new Date(input.now.getTime() + first.timeout).toISOString(),
    status: 'pending',
    votes: [],
    createdAt: input.now.toISOString(),
    resolvedAt: null,
    version: 1,
  };
}

/** The action status an outcome leads to. A revised action never runs as proposed: denied. */
export const ACTION_STATUS_OF = {
  approved: 'approved',
  denied: 'denied',
  expired: 'expired',
  revised: 'denied',
} as const satisfies Record<Outcome, string>;

/**
 * Let time pass: each step whose deadline is at or before `now` hands over to the next, which
 * starts at that deadline (so after a long outage several steps may pass at once); the last
 * step's timeout applies the route's fallback, which is never approval.
 */
export function advance(approval: Approval, now: Date): Step {
  const transitions: Transition[] = [];
  let current = approval;
  while (current.status === 'pending' && Date.parse(current.deadline) <= now.getTime()) {
    const dueAt = current.deadline;
    if (current.step < current.route.steps.length) {
      const next = stepOf(current.route, current.step + 1);
      const deadline = new Date(Date.parse(dueAt) + next.timeout).toISOString();
      transitions.push({
        kind: 'approval.escalated',
        fromStep: current.step,
        toStep: current.step + 1,
        group: next.group,
        quorum: next.quorum,
        deadline,
        dueAt,
      });
      current = { ...current, step: current.step + 1, deadline };
    } else {
      const fallback = current.route.fallback;
      const outcome: Outcome = fallback === 'deny' ? 'denied' : 'expired';
      transitions.push({ kind: 'approval.resolved', outcome, cause: 'timeout', fallback, dueAt });
      current = { ...current, status: outcome, resolvedAt: now.toISOString() };
    }
  }
  if (transitions.length === 0) return { approval, transitions };
  return { approval: { ...current, version: approval.version + 1 }, transitions };
}

export type Voter = Pick<Person, 'id' | 'role' | 'groups'>;

export interface VoteInput {
  readonly verdict: Verdict;
  readonly comment: string | null;
  /** When given, must be the approval's: the voter saw exactly this request. */
  readonly requestHash?: string | null | undefined;
}

/**
 * Who may act on the approval now, and whether as an admin override. Time must have been
 * applied first (`advance`), so that a vote never lands on a step that has already timed out.
 */
export function eligibility(
  approval: Approval,
  voter: Voter,
  verdict: Verdict | 'revise',
): { ok: true; override: boolean } | ({ ok: false } & Refusal) {
  if (approval.status !== 'pending') {
    return { ok: false, code: 'approval_closed', message: `the approval is already ${approval.status}` };
  }
  if (voter.role === 'viewer') {
    return { ok: false, code: 'not_eligible', message: `${voter.id} is a viewer; viewers cannot vote` };
  }
  // A person counts once per step: a later step (another group's decision) may hear them again.
  if (approval.votes.some((v) => v.person === voter.id && v.step === approval.step)) {
    return {
      ok: false,
      code: 'already_voted',
      message: `${voter.id} has already voted at step ${approval.step} of this approval`,
    };
  }
  if (verdict !== 'deny') {
    if (voter.id === approval.agentId) {
      return { ok: false, code: 'not_eligible', message: 'an agent cannot approve its own action' };
    }
    if (voter.id === approval.agentOwner && !approval.ownerMayApprove) {
      return {
        ok: false,
        code: 'not_eligible',
        message: `${voter.id} owns agent ${approval.agentId} and may not approve its actions (ownerMayApprove is off)`,
      };
    }
    if (voter.id === approval.revisionAuthor) {
      return {
        ok: false,
        code: 'not_eligible',
        message: `${voter.id} proposed this revision; someone else must approve it`,
      };
    }
  }
  const step = stepOf(approval.route, approval.step);
  if (isMember(voter, step.group)) return { ok: true, override: false };
  if (voter.role === 'admin') return { ok: true, override: true };
  return {
    ok: false,
    code: 'not_eligible',
    message: `step ${approval.step} of route "${approval.route.name}" is for group "${step.group}"; ${voter.id} is not in it`,
  };
}

/** Cast a vote at `now`: one deny ends it, reaching the step's quorum approves it. */
export function castVote(approval: Approval, voter: Voter, input: VoteInput, now: Date): Result {
  const timed = advance(approval, now);
  const current = timed.approval;
  // Who may vote first, so that nobody else learns anything from the other refusals.
  const allowed = eligibility(current, voter, input.verdict);
  if (!allowed.ok) return allowed;
  const refused = checkVote(current, voter, input);
  if (refused !== null) return { ok: false, ...refused };

  const vote: Vote = {
    person: voter.id,
    verdict: input.verdict,
    step: current.step,
    comment: input.comment,
    override: allowed.override,
    requestHash: current.requestHash,
    at: now.toISOString(),
  };
  const votes = [...current.votes, vote];
  const transitions: Transition[] = [...timed.transitions, { kind: 'approval.voted', vote }];
  let status: ApprovalStatus = 'pending';
  if (input.verdict === 'deny') {
    status = 'denied';
    transitions.push({ kind: 'approval.resolved', outcome: 'denied', cause: 'deny_vote' });
  } else if (approvalsAtStep(votes, current.step) >= stepOf(current.route, current.step).quorum) {
    status = 'approved';
    transitions.push({ kind: 'approval.resolved', outcome: 'approved', cause: 'quorum' });
  }
  return {
    ok: true,
    approval: {
      ...current,
      votes,
      status,
      resolvedAt: status === 'pending' ? null : now.toISOString(),
      version: approval.version + 1,
    },
    transitions,
  };
}

/** Close the approval because an approver proposed changed params (a new revision takes over). */
export function reviseApproval(approval: Approval, voter: Voter, comment: string | null, now: Date): Result {
  const timed = advance(approval, now);
  const allowed = eligibility(timed.approval, voter, 'revise');
  if (!allowed.ok) return allowed;
  if (comment === null || comment.trim() === '') {
    return { ok: false, code: 'validation_failed', message: 'say why the params change (comment)' };
  }
  const vote: Vote = {
    person: voter.id,
    verdict: 'revise',
    step: timed.approval.step,
    comment,
    override: allowed.override,
    requestHash: timed.approval.requestHash,
    at: now.toISOString(),
  };
  return {
    ok: true,
    approval: {
      ...timed.approval,
      votes: [...timed.approval.votes, vote],
      status: 'revised',
      resolvedAt: now.toISOString(),
      version: approval.version + 1,
    },
    transitions: [
      ...timed.transitions,
      { kind: 'approval.voted', vote },
      { kind: 'approval.resolved', outcome: 'revised', cause: 'revision' },
    ],
  };
}

function checkVote(approval: Approval, voter: Voter, input: VoteInput): Refusal | null {
  if (input.verdict === 'deny' && (input.comment === null || input.comment.trim() === '')) {
    return { code: 'validation_failed', message: 'a deny needs a reason (comment)' };
  }
  if (
    input.requestHash !== undefined &&
    input.requestHash !== null &&
    input.requestHash !== approval.requestHash
  ) {
    return {
      code: 'request_changed',
      message: `${voter.id} voted on request ${input.requestHash}, but the approval is for ${approval.requestHash}`,
    };
  }
  return null;
}

export function approvalsAtStep(votes: readonly Vote[], step: number): number {
  return votes.filter((v) => v.step === step && v.verdict === 'approve').length;
}

export function stepOf(route: RouteSpec, step: number): RouteSpec['steps'][number] {
  const found = route.steps[step - 1];
  if (found === undefined) throw new Error(`route "${route.name}" has no step ${step}`);
  return found;
}
