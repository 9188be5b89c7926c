/** How an action is shown to agents and people: the request, its status, the decision and its path. */

import { ACTION_STATUS_OF } from '../approvals/approval.ts';
import type { AuditRef } from '../audit/audit-event.ts';
import type { JsonObject } from '../domain/json.ts';
import type { ActionRecord, Approval, ExecutionRecord } from '../store/records.ts';
import type { Attention } from './action-queries.ts';
import { approvalSummary } from './approval-view.ts';
import type { PermitGrant } from './execution-service.ts';

export interface PathStep {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: AuditRef['actor'];
  readonly hash: string;
  /** The event's data, when the path is shown with it (to people). */
  readonly data?: JsonObject;
}

/** What happened after the decision, when the action was cleared. */
export interface ExecutionExtras {
  readonly execution?: ExecutionRecord | null;
  /** Only for the agent that owns the action, while its permit is good. */
  readonly permit?: PermitGrant | null;
}

export function actionView(
  action: ActionRecord,
  path?: readonly (AuditRef & { readonly data?: string })[],
  approval?: Approval | null,
  extras: ExecutionExtras = {},
) {
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
    ...executionParts(extras.execution ?? null),
    permit: extras.permit ?? null,
    ...(path === undefined
      ? {}
      : {
          path: path.map(
            (e): PathStep => ({
              seq: e.seq,
              at: e.at,
              kind: e.kind,
              actor: e.actor,
              hash: e.hash,
              ...(e.data === undefined ? {} : { data: JSON.parse(e.data) as JsonObject }),
            }),
          ),
        }),
  };
}

export type ActionView = ReturnType<typeof actionView>;

/** An action people must look at, as the approvals queue lists it. */
export function attentionView(attention: Attention) {
  const { action, reason } = attention;
  return {
    action: action.id,
    agent: action.agentId,
    type: action.type,
    environment: action.environment,
    targets: action.request.targets,
    status: action.status,
    reason,
    updatedAt: action.updatedAt,
  };
}

type Part<T> = T | undefined;

function executionParts(execution: ExecutionRecord | null) {
  if (execution === null) return { execution: null, verification: null, outcome: null, rollback: null };
  const state = execution.state;
  const outcome = state.outcome as Part<{ outcome: string; message: string | null }>;
  const verification = state.verification as Part<{ passed: boolean; failed?: string[] }>;
  const rollback = state.rollback as Part<{ outcome: string; message: string }>;
  const permit = state.permit as Part<JsonObject & { expiresAt: string }>;
  return {
    execution: {
      mode: execution.mode,
      phase: execution.phase,
      attempts: execution.attempts,
      startedAt: execution.createdAt,
      updatedAt: execution.updatedAt,
      permitExpiresAt: permit?.expiresAt ?? null,
      attention: typeof state.attention === 'string' ? state.attention : null,
    },
    verification:
      execution.phase === 'verifying' || verification !== undefined || state.samples !== undefined
        ? {
            samples: Number(state.samples ?? 0),
            passed: verification?.passed ?? null,
            failed: verification?.failed ?? [],
          }
        : null,
    outcome: outcome === undefined ? null : { outcome: outcome.outcome, message: outcome.message ?? null },
    rollback: rollback === undefined ? null : { outcome: rollback.outcome, message: rollback.message },
  };
}
