/** The store over Kysely: one implementation for every dialect, with dialect hooks kept in this folder. */

import type { Kysely, Selectable, Transaction } from 'kysely';
import { chainEvents } from '../audit/audit-event.ts';
import type {
  ActionFilter,
  ActionRecord,
  AgentRecord,
  AuditRecord,
  ChainHead,
  CredentialRecord,
  GrantRecord,
  NewAuditEvent,
} from './records.ts';
import type { ActionsTable, AgentsTable, AuditEventsTable, Database, GrantsTable } from './schema.ts';
import type { Store, StoreReader, StoreTx } from './store.ts';

/** What differs between dialects and cannot be said in Kysely's portable builder. */
export interface DialectHooks {
  readonly kind: Store['kind'];
  /** Serialise audit appends across connections (SQLite's BEGIN IMMEDIATE already does). */
  lockChain(tx: Transaction<Database>): Promise<void>;
}

const INSERT_BATCH = 100;

class Reads implements StoreReader {
  protected readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async findCredential(hash: string): Promise<CredentialRecord | null> {
    const row = await this.db
      .selectFrom('credentials')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      hash: row.hash,
      principalKind: row.principal_kind,
      principalId: row.principal_id,
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
    };
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const row = await this.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toAgent(row);
  }

  async listAgents(): Promise<AgentRecord[]> {
    const rows = await this.db.selectFrom('agents').selectAll().orderBy('id').execute();
    return rows.map(toAgent);
  }

  async listGrants(agentId: string): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom('grants')
      .selectAll()
      .where('agent_id', '=', agentId)
      .orderBy('type_pattern')
      .orderBy('environment')
      .execute();
    return rows.map(toGrant);
  }

  async getAction(id: string): Promise<ActionRecord | null> {
    const row = await this.db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toAction(row);
  }

  async findActionByKey(agentId: string, idempotencyKey: string): Promise<ActionRecord | null> {
    const row = await this.db
      .selectFrom('actions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    return row === undefined ? null : toAction(row);
  }

  async listActions(filter: ActionFilter): Promise<ActionRecord[]> {
    let query = this.db.selectFrom('actions').selectAll();
    if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.incident !== undefined) query = query.where('incident', '=', filter.incident);
    if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
    const before = filter.before;
    if (before !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', before.createdAt),
          eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .execute();
    return rows.map(toAction);
  }

  async auditHead(): Promise<ChainHead | null> {
    const row = await this.db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : { seq: Number(row.seq), hash: row.hash };
  }

  async auditRange(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toAudit);
  }

  async auditForSubject(subject: string): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject', '=', subject)
      .orderBy('seq')
      .execute();
    return rows.map(toAudit);
  }
}

class Writes extends Reads implements StoreTx {
  readonly #tx: Transaction<Database>;
  readonly #hooks: DialectHooks;
  #chainLocked = false;

  constructor(tx: Transaction<Database>, hooks: DialectHooks) {
    super(tx);
    this.#tx = tx;
    this.#hooks = hooks;
  }

  async appendAudit(events: readonly NewAuditEvent[], at: string): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    if (!this.#chainLocked) {
      await this.#hooks.lockChain(this.#tx);
      this.#chainLocked = true;
    }
    const records = chainEvents(await this.auditHead(), events, at);
    for (let i = 0; i < records.length; i += INSERT_BATCH) {
      const rows = records.slice(i, i + INSERT_BATCH).map((r) => ({
        seq: r.seq,
        at: r.at,
        kind: r.kind,
        actor_kind: r.actor.kind,
        actor_id: r.actor.id,
        subject: r.subject,
        data: r.data,
        prev_hash: r.prevHash,
        hash: r.hash,
      }));
      await this.#tx.insertInto('audit_events').values(rows).execute();
    }
    return records;
  }

  async insertAgent(agent: AgentRecord): Promise<void> {
    await this.#tx
      .insertInto('agents')
      .values({
        id: agent.id,
        owner: agent.owner,
        status: agent.status,
        description: agent.description,
        created_at: agent.createdAt,
        updated_at: agent.updatedAt,
      })
      .execute();
  }

  async setAgentStatus(id: string, status: AgentRecord['status'], at: string): Promise<void> {
    await this.#tx.updateTable('agents').set({ status, updated_at: at }).where('id', '=', id).execute();
  }

  async insertCredential(credential: CredentialRecord): Promise<void> {
    await this.#tx
      .insertInto('credentials')
      .values({
        hash: credential.hash,
        principal_kind: credential.principalKind,
        principal_id: credential.principalId,
        created_at: credential.createdAt,
        revoked_at: credential.revokedAt,
      })
      .execute();
  }

  async revokeCredentials(
    kind: CredentialRecord['principalKind'],
    principalId: string,
    at: string,
  ): Promise<number> {
    const result = await this.#tx
      .updateTable('credentials')
      .set({ revoked_at: at })
      .where('principal_kind', '=', kind)
      .where('principal_id', '=', principalId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async putGrant(grant: GrantRecord): Promise<void> {
    const values = {
      agent_id: grant.agentId,
      type_pattern: grant.typePattern,
      environment: grant.environment,
      level: grant.level,
      granted_by: grant.grantedBy,
      reason: grant.reason,
      granted_at: grant.grantedAt,
    };
    await this.#tx
      .insertInto('grants')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['agent_id', 'type_pattern', 'environment']).doUpdateSet({
          level: values.level,
          granted_by: values.granted_by,
          reason: values.reason,
          granted_at: values.granted_at,
        }),
      )
      .execute();
  }

  async insertAction(action: ActionRecord): Promise<'inserted' | 'duplicate'> {
    const result = await this.#tx
      .insertInto('actions')
      .values({
        id: action.id,
        agent_id: action.agentId,
        type: action.type,
        environment: action.environment,
        status: action.status,
        request: JSON.stringify(action.request),
        request_hash: action.requestHash,
        idempotency_key: action.idempotencyKey,
        incident: action.incident,
        facts: JSON.stringify(action.facts),
        decision: JSON.stringify(action.decision),
        effect: action.decision.effect,
        trust_level: action.decision.trustLevel,
        policy_version: action.decision.policyVersion,
        created_at: action.createdAt,
        updated_at: action.updatedAt,
      })
      .onConflict((oc) => oc.columns(['agent_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? 'inserted' : 'duplicate';
  }
}

export class KyselyStore extends Reads implements Store {
  readonly kind: Store['kind'];
  readonly #hooks: DialectHooks;

  constructor(db: Kysely<Database>, hooks: DialectHooks) {
    super(db);
    this.kind = hooks.kind;
    this.#hooks = hooks;
  }

  write<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new Writes(tx, this.#hooks)));
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('agents').select('id').limit(1).execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function toAgent(row: Selectable<AgentsTable>): AgentRecord {
  return {
    id: row.id,
    owner: row.owner,
    status: row.status,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toGrant(row: Selectable<GrantsTable>): GrantRecord {
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

function toAction(row: Selectable<ActionsTable>): ActionRecord {
  return {
    id: row.id,
    agentId: row.agent_id,
    type: row.type,
    environment: row.environment,
    status: row.status as ActionRecord['status'],
    request: JSON.parse(row.request),
    requestHash: row.request_hash,
    idempotencyKey: row.idempotency_key,
    incident: row.incident,
    facts: JSON.parse(row.facts),
    decision: JSON.parse(row.decision),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toAudit(row: Selectable<AuditEventsTable>): AuditRecord {
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
