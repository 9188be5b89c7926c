/**
 * How an action lives in the audit chain: two events, `action.proposed` (the request) and
 * `action.decided` (the decision and the facts it saw). The actions table indexes them; these
 * two functions are the only place that writes or reads that shape.
 */

import type { ActionRequest } from '../domain/action.ts';
import type { Decision } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { ActionRecord, Actor, AuditRecord, NewAuditEvent } from './records.ts';

export const PROPOSED = 'action.proposed';
export const DECIDED = 'action.decided';

/**
 * The events that record a decided action. `revision` names the person who proposed it as a
 * revision of another action (the agent proposed everything else).
 */
export function actionEvents(
  action: ActionRecord,
  revision?: { readonly of: string; readonly by: Actor },
): NewAuditEvent[] {
  const { request: _request, ...facts } = action.facts as JsonObject & { request?: unknown };
  return [
    {
      kind: PROPOSED,
      actor: revision?.by ?? { kind: 'agent', id: action.agentId },
      subject: action.id,
      at: action.createdAt,
      data: {
        request: action.request as unknown as JsonObject,
        requestHash: action.requestHash,
        idempotencyKey: action.idempotencyKey,
        ...(revision === undefined ? {} : { revisionOf: revision.of }),
      },
    },
    {
      kind: DECIDED,
      actor: { kind: 'system', id: 'airlock' },
      subject: action.id,
      at: action.createdAt,
      data: { decision: action.decision as unknown as JsonObject, status: action.status, facts },
    },
  ];
}

/** The columns of the actions table that `actionFromLog` completes. */
export interface ActionRow {
  readonly id: string;
  readonly agent_id: string;
  readonly type: string;
  readonly environment: string;
  readonly status: string;
  readonly request_hash: string;
  readonly idempotency_key: string | null;
  readonly incident: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Rebuild an action from its row and its events (any others in `events` are ignored). */
export function actionFromLog(row: ActionRow, events: readonly AuditRecord[]): ActionRecord {
  let request: ActionRequest | undefined;
  let decided: { decision: Decision; facts: JsonObject } | undefined;
  for (const event of events) {
    if (event.subject !== row.id) continue;
    if (event.kind === PROPOSED) request = (JSON.parse(event.data) as { request: ActionRequest }).request;
    else if (event.kind === DECIDED)
      decided = JSON.parse(event.data) as { decision: Decision; facts: JsonObject };
  }
  if (request === undefined || decided === undefined) {
    throw new Error(
      `action ${row.id} has no ${request === undefined ? PROPOSED : DECIDED} event in the audit chain`,
    );
  }
  return {
    id: row.id,
    agentId: row.agent_id,
    type: row.type,
    environment: row.environment,
    status: row.status as ActionRecord['status'],
    request,
    requestHash: row.request_hash,
    idempotencyKey: row.idempotency_key,
    incident: row.incident,
    facts: { ...decided.facts, request: request as unknown as JsonObject },
    decision: decided.decision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
