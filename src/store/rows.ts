/** Rows of the tables turned into the store's records. */

import type { Selectable } from 'kysely';
import type { AgentRecord, AuditRecord, GrantRecord } from './records.ts';
import type { AgentsTable, AuditEventsTable, GrantsTable } from './schema.ts';

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
