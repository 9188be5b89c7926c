/** Rows of the tables turned into the store's records. */

import type { Selectable } from 'kysely';
import type { Approval, Vote } from '../approvals/approval.ts';
import type { JsonObject } from '../domain/json.ts';
import type { AgentRecord, AuditRecord, GrantRecord, OutboxRecord } from './records.ts';
import type {
  AgentsTable,
  ApprovalsTable,
  ApprovalVotesTable,
  AuditEventsTable,
  GrantsTable,
  OutboxTable,
} from './schema.ts';

/** The parts of an approval that never change after it opens, kept as JSON in its row. */
type ApprovalState = Pick<
  Approval,
  'route' | 'agentOwner' | 'requestHash' | 'ownerMayApprove' | 'revisionAuthor'
>;

export function approvalRow(a: Approval): Selectable<ApprovalsTable> {
  const state: ApprovalState = {
    route: a.route,
    agentOwner: a.agentOwner,
    requestHash: a.requestHash,
    ownerMayApprove: a.ownerMayApprove,
    revisionAuthor: a.revisionAuthor,
  };
  return {
    id: a.id,
    action_id: a.actionId,
    agent_id: a.agentId,
    status: a.status,
    step: a.step,
    deadline: a.deadline,
    route: a.route.name,
    state: JSON.stringify(state),
    version: a.version,
    created_at: a.createdAt,
    updated_at: a.resolvedAt ?? a.createdAt,
    resolved_at: a.resolvedAt,
  };
}

export function toApproval(
  row: Selectable<ApprovalsTable>,
  votes: readonly Selectable<ApprovalVotesTable>[],
): Approval {
  const state = JSON.parse(row.state) as ApprovalState;
  return {
    id: row.id,
    actionId: row.action_id,
    agentId: row.agent_id,
    ...state,
    step: Number(row.step),
    deadline: row.deadline,
    status: row.status as Approval['status'],
    votes: votes.map(toVote),
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    version: Number(row.version),
  };
}

export function voteRow(approvalId: string, v: Vote): Selectable<ApprovalVotesTable> {
  return {
    approval_id: approvalId,
    person_id: v.person,
    step: v.step,
    verdict: v.verdict,
    comment: v.comment,
    override: v.override ? 1 : 0,
    request_hash: v.requestHash,
    at: v.at,
  };
}

function toVote(row: Selectable<ApprovalVotesTable>): Vote {
  return {
    person: row.person_id,
    verdict: row.verdict as Vote['verdict'],
    step: Number(row.step),
    comment: row.comment,
    override: Number(row.override) === 1,
    requestHash: row.request_hash,
    at: row.at,
  };
}

export function outboxRow(r: OutboxRecord): Selectable<OutboxTable> {
  return {
    id: r.id,
    subject: r.subject,
    webhook: r.webhook,
    event: r.event,
    payload: JSON.stringify(r.payload),
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.nextAttemptAt,
    last_error: r.lastError,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function toOutbox(row: Selectable<OutboxTable>): OutboxRecord {
  return {
    id: row.id,
    subject: row.subject,
    webhook: row.webhook,
    event: row.event,
    payload: JSON.parse(row.payload) as JsonObject,
    status: row.status as OutboxRecord['status'],
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toAgent(row: Selectable<AgentsTable>): AgentRecord {
  return {
    id: row.id,
    owner: row.owner,
    status: row.status,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toGrant(row: Selectable<GrantsTable>): GrantRecord {
  return {
    agentId: row.agent_id,
    typePattern: row.type_pattern,
    environment: row.environment,
    level: row.level as GrantRecord['level'],
    grantedBy: row.granted_by,
    reason: row.reason,
    grantedAt: row.granted_at,
  };
}

export function toAudit(row: Selectable<AuditEventsTable>): AuditRecord {
  return {
    seq: Number(row.seq),
    at: row.at,
    kind: row.kind,
    actor: { kind: row.actor_kind as AuditRecord['actor']['kind'], id: row.actor_id },
    subject: row.subject,
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
