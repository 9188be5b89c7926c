/** How an action is shown to agents and people: the request, its status, the decision and its path. */

import { ACTION_STATUS_OF } from '../approvals/approval.ts';
import type { AuditRef } from '../audit/audit-event.ts';
import type { ActionRecord, Approval } from '../store/records.ts';
import { approvalSummary } from './approval-view.ts';

export interface PathStep {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: AuditRef['actor'];
  readonly hash: string;
}

export function actionView(action: ActionRecord, path?: readonly AuditRef[], approval?: Approval | null) {
  const r = action.request;
  return {
    id: action.id,
    agent: action.agentId,
    type: action.type,
    environment: action.environment,
    targets: r.targets,
    params: r.params,
    confidence: r.confidence,
    anomalyScore: r.anomalyScore,
    reasoning: r.reasoning,
    context: r.context,
    incident: r.incident,
    idempotencyKey: action.idempotencyKey,
    // An approval shown as it stands now may have fallen back before the timer recorded it.
    status:
      approval != null && approval.status !== 'pending' && action.status === 'pending_approval'
        ? ACTION_STATUS_OF[approval.status]
        : action.status,
    createdAt: action.createdAt,
    updatedAt: action.updatedAt,
    decision: action.decision,
    approval: approval == null ? null : approvalSummary(approval),
    execution: null,
    verification: null,
    outcome: null,
    ...(path === undefined
      ? {}
      : {
          path: path.map(
            (e): PathStep => ({ seq: e.seq, at: e.at, kind: e.kind, actor: e.actor, hash: e.hash }),
          ),
        }),
  };
}

export type ActionView = ReturnType<typeof actionView>;
