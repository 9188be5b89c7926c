/** How an approval is shown: everything an approver needs to judge the action, in one object. */

import { type Approval, approvalsAtStep, eligibility, stepOf } from '../approvals/approval.ts';
import { formatDuration } from '../config/durations.ts';
import type { DecisionFacts } from '../decide/facts.ts';
import type { Person } from '../project/project-schema.ts';
import type { ActionRecord } from '../store/records.ts';

/** The approval's state, as the action view carries it. */
export function approvalSummary(approval: Approval) {
  const step = stepOf(approval.route, approval.step);
  return {
    id: approval.id,
    status: approval.status,
    requestHash: approval.requestHash,
    route: {
      name: approval.route.name,
      fallback: approval.route.fallback,
      steps: approval.route.steps.map((s) => ({
        group: s.group,
        quorum: s.quorum,
        timeout: formatDuration(s.timeout),
      })),
    },
    step: approval.step,
    group: step.group,
    quorum: step.quorum,
    approvals: approvalsAtStep(approval.votes, approval.step),
    deadline: approval.deadline,
    votes: approval.votes.map((v) => ({ ...v })),
    revisionAuthor: approval.revisionAuthor,
    createdAt: approval.createdAt,
    resolvedAt: approval.resolvedAt,
  };
}

/** Full context for an approver, and (given a viewer) what that person may do with it. */
export function approvalView(approval: Approval, action: ActionRecord, viewer?: Person) {
  const facts = action.facts as unknown as Partial<DecisionFacts>;
  const r = action.request;
  const you =
    viewer === undefined
      ? undefined
      : (() => {
          const approve = eligibility(approval, viewer, 'approve');
          const deny = eligibility(approval, viewer, 'deny');
          return {
            person: viewer.id,
            mayApprove: approve.ok,
            mayDeny: deny.ok,
            override: deny.ok && deny.override,
            why: approve.ok ? null : approve.message,
          };
        })();
  return {
    ...approvalSummary(approval),
    action: action.id,
    actionStatus: action.status,
    revisionOf: facts.revision?.of ?? null,
    agent: { id: action.agentId, owner: approval.agentOwner },
    trustLevel: action.decision.trustLevel,
    type: action.type,
    environment: action.environment,
    production: facts.environment?.production ?? null,
    tier: facts.action?.tier ?? null,
    domains: facts.action?.domains ?? [],
    reversible: facts.action?.reversible ?? null,
    targets: r.targets,
    params: r.params,
    confidence: r.confidence,
    anomalyScore: r.anomalyScore,
    reasoning: r.reasoning,
    context: r.context,
    incident: r.incident,
    decision: {
      effect: action.decision.effect,
      policyEffect: action.decision.policyEffect,
      reasons: action.decision.reasons,
      policyVersion: action.decision.policyVersion,
    },
    blastRadius: {
      targets: r.targets.length,
      production: facts.environment?.production ?? null,
      reversible: facts.action?.reversible ?? null,
      // The share of each service the action touches, and the other limits, as counted when decided.
      limits: (facts.limits ?? []).map((l) => ({
        limit: l.limit,
        kind: l.kind,
        observed: l.observed,
        max: l.max,
        service: l.service ?? null,
      })),
    },
    calibration:
      facts.calibration === undefined
        ? null
        : {
            scope: facts.calibration.scope,
            n: facts.calibration.n,
            minEvidence: facts.calibration.minEvidence,
            stated: r.confidence,
            calibrated: facts.calibration.calibrated,
          },
    ...(you === undefined ? {} : { you }),
  };
}

export type ApprovalView = ReturnType<typeof approvalView>;
