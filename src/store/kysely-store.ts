/** The store over Kysely: one implementation for every dialect, with dialect hooks kept in this folder. */

import type { Kysely, Selectable, Transaction } from 'kysely';
import { chainEvents } from '../audit/audit-event.ts';
import { actionFromLog, DECIDED, PROPOSED } from './action-log.ts';
import { PreparedQuery, slot } from './prepared-query.ts';
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
import type {
  ActionsTable,
  AgentsTable,
  AuditEventsTable,
  CredentialsTable,
  Database,
  GrantsTable,
} from './schema.ts';
import type { Store, StoreReader, StoreTx } from './store.ts';
import { applyWriteOps, type WriteOp, type WriteResult } from './write-ops.ts';
import type { BatchWriter } from './writer-thread.ts';

/** What differs between dialects and cannot be said in Kysely's portable builder. */
export interface DialectHooks {
  readonly kind: Store['kind'];
  /** Serialise audit appends across connections (SQLite's BEGIN IMMEDIATE already does). */
  lockChain(tx: Transaction<Database>): Promise<void>;
}

const INSERT_BATCH = 100;

const AUDIT_COLUMNS = [
  'seq',
  'at',
  'kind',
  'actor_kind',
  'actor_id',
  'subject',
  'data',
  'prev_hash',
  'hash',
] as const;
const ACTION_COLUMNS = [
  'id',
  'agent_id',
  'type',
  'environment',
  'status',
  'request_hash',
  'idempotency_key',
  'incident',
  'effect',
  'trust_level',
  'policy_version',
  'created_at',
  'updated_at',
] as const;

/** Columns as slots 0..n-1, for building a prepared insert. */
function slots<C extends string>(columns: readonly C[], offset = 0): Record<C, string> {
  return Object.fromEntries(columns.map((c, i) => [c, slot(offset + i)])) as Record<C, string>;
}

/** The queries every proposal runs, compiled once per store. */
class HotQueries {
  readonly accessVersion: PreparedQuery<{ value: number }>;
  readonly credential: PreparedQuery<Selectable<CredentialsTable>>;
  readonly agent: PreparedQuery<Selectable<AgentsTable>>;
  readonly grants: PreparedQuery<Selectable<GrantsTable>>;
  readonly actionByKey: PreparedQuery<Selectable<ActionsTable>>;
  readonly auditHead: PreparedQuery<{ seq: number; hash: string }>;
  readonly #db: Kysely<Database>;
  readonly #insertAudit = new Map<number, PreparedQuery<unknown>>();
  readonly #insertActions = new Map<number, PreparedQuery<{ id: string }>>();

  constructor(db: Kysely<Database>) {
    this.#db = db;
    this.accessVersion = new PreparedQuery(
      db.selectFrom('meta').select('value').where('key', '=', 'access_version'),
    );
    this.credential = new PreparedQuery(db.selectFrom('credentials').selectAll().where('hash', '=', slot(0)));
    this.agent = new PreparedQuery(db.selectFrom('agents').selectAll().where('id', '=', slot(0)));
    this.grants = new PreparedQuery(
      db
        .selectFrom('grants')
        .selectAll()
        .where('agent_id', '=', slot(0))
        .orderBy('type_pattern')
        .orderBy('environment'),
    );
    this.actionByKey = new PreparedQuery(
      db
        .selectFrom('actions')
        .selectAll()
        .where('agent_id', '=', slot(0))
        .where('idempotency_key', '=', slot(1)),
    );
    this.auditHead = new PreparedQuery(
      db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1),
    );
  }

  /** A multi-row action insert for `rows` rows that skips used idempotency keys and says which went in. */
  insertActions(rows: number): PreparedQuery<{ id: string }> {
    let query = this.#insertActions.get(rows);
    if (query === undefined) {
      const values = Array.from({ length: rows }, (_, r) => slots(ACTION_COLUMNS, r * ACTION_COLUMNS.length));
      query = new PreparedQuery(
        this.#db
          .insertInto('actions')
          .values(values as never)
          .onConflict((oc) =>
            oc.columns(['agent_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
          )
          .returning('id'),
      );
      this.#insertActions.set(rows, query);
    }
    return query;
  }

  /** A multi-row audit insert for `rows` rows (compiled once per row count). */
  insertAudit(rows: number): PreparedQuery<unknown> {
    let query = this.#insertAudit.get(rows);
    if (query === undefined) {
      const values = Array.from({ length: rows }, (_, r) => slots(AUDIT_COLUMNS, r * AUDIT_COLUMNS.length));
      query = new PreparedQuery(this.#db.insertInto('audit_events').values(values as never));
      this.#insertAudit.set(rows, query);
    }
    return query;
  }
}

class Reads implements StoreReader {
  protected readonly db: Kysely<Database>;
  protected readonly hot: HotQueries;

  constructor(db: Kysely<Database>, hot: HotQueries) {
    this.db = db;
    this.hot = hot;
  }

  protected async rows<R>(query: PreparedQuery<R>, args: readonly unknown[]): Promise<R[]> {
    return (await query.run(this.db, args)).rows;
  }

  async accessVersion(): Promise<number> {
    const [row] = await this.rows(this.hot.accessVersion, []);
    return Number(row?.value ?? 0);
  }

  async findCredential(hash: string): Promise<CredentialRecord | null> {
    const [row] = await this.rows(this.hot.credential, [hash]);
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
    const [row] = await this.rows(this.hot.agent, [id]);
    return row === undefined ? null : toAgent(row);
  }

  async listAgents(): Promise<AgentRecord[]> {
    const rows = await this.db.selectFrom('agents').selectAll().orderBy('id').execute();
    return rows.map(toAgent);
  }

  async listGrants(agentId: string): Promise<GrantRecord[]> {
    return (await this.rows(this.hot.grants, [agentId])).map(toGrant);
  }

  async getAction(id: string): Promise<ActionRecord | null> {
    const row = await this.db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : ((await this.#withLog([row]))[0] ?? null);
  }

  async findActionByKey(agentId: string, idempotencyKey: string): Promise<ActionRecord | null> {
    const [row] = await this.rows(this.hot.actionByKey, [agentId, idempotencyKey]);
    return row === undefined ? null : ((await this.#withLog([row]))[0] ?? null);
  }

  /** Complete action rows from their events in the audit chain (one query for all of them). */
  async #withLog(rows: readonly Selectable<ActionsTable>[]): Promise<ActionRecord[]> {
    if (rows.length === 0) return [];
    const events = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where(
        'subject',
        'in',
        rows.map((r) => r.id),
      )
      .where('kind', 'in', [PROPOSED, DECIDED])
      .execute();
    const bySubject = Map.groupBy(events.map(toAudit), (e) => e.subject ?? '');
    return rows.map((row) => actionFromLog(row, bySubject.get(row.id) ?? []));
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
    return this.#withLog(rows);
  }

  async auditHead(): Promise<ChainHead | null> {
    const [row] = await this.rows(this.hot.auditHead, []);
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
  /** The chain head as this transaction left it; read once, then carried. */
  #head: ChainHead | null | undefined;
  #accessBumped = false;

  constructor(tx: Transaction<Database>, hot: HotQueries, hooks: DialectHooks) {
    super(tx, hot);
    this.#tx = tx;
    this.#hooks = hooks;
  }

  async appendAudit(events: readonly NewAuditEvent[], at: string): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    if (this.#head === undefined) {
      await this.#hooks.lockChain(this.#tx);
      this.#head = await this.auditHead();
    }
    const records = chainEvents(this.#head, events, at);
    for (let i = 0; i < records.length; i += INSERT_BATCH) {
      const batch = records.slice(i, i + INSERT_BATCH);
      const args = batch.flatMap((r) => [
        r.seq,
        r.at,
        r.kind,
        r.actor.kind,
        r.actor.id,
        r.subject,
        r.data,
        r.prevHash,
        r.hash,
      ]);
      await this.hot.insertAudit(batch.length).run(this.#tx, args);
    }
    const last = records[records.length - 1];
    if (last !== undefined) this.#head = { seq: last.seq, hash: last.hash };
    return records;
  }

  /** Every change to who may do what bumps the access version, so caches everywhere drop it. */
  async #accessChanged(): Promise<void> {
    if (this.#accessBumped) return;
    this.#accessBumped = true;
    await this.#tx
      .updateTable('meta')
      .set((eb) => ({ value: eb('value', '+', 1) }))
      .where('key', '=', 'access_version')
      .execute();
  }

  async insertAgent(agent: AgentRecord): Promise<void> {
    await this.#accessChanged();
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
    await this.#accessChanged();
    await this.#tx.updateTable('agents').set({ status, updated_at: at }).where('id', '=', id).execute();
  }

  async insertCredential(credential: CredentialRecord): Promise<void> {
    await this.#accessChanged();
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
    await this.#accessChanged();
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
    await this.#accessChanged();
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

  async insertActions(actions: readonly ActionRecord[]): Promise<ReadonlySet<string>> {
    const inserted = new Set<string>();
    for (let i = 0; i < actions.length; i += INSERT_BATCH) {
      const batch = actions.slice(i, i + INSERT_BATCH);
      const args = batch.flatMap((a) => [
        a.id,
        a.agentId,
        a.type,
        a.environment,
        a.status,
        a.requestHash,
        a.idempotencyKey,
        a.incident,
        a.decision.effect,
        a.decision.trustLevel,
        a.decision.policyVersion,
        a.createdAt,
        a.updatedAt,
      ]);
      const { rows } = await this.hot.insertActions(batch.length).run(this.#tx, args);
      for (const row of rows) inserted.add(row.id);
    }
    return inserted;
  }
}

export class KyselyStore extends Reads implements Store {
  readonly kind: Store['kind'];
  readonly #hooks: DialectHooks;
  readonly #writer: BatchWriter | null;

  /** @param writer where `commit` batches go instead of this connection (SQLite: the writer thread). */
  constructor(db: Kysely<Database>, hooks: DialectHooks, writer: BatchWriter | null = null) {
    super(db, new HotQueries(db));
    this.kind = hooks.kind;
    this.#hooks = hooks;
    this.#writer = writer;
  }

  write<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new Writes(tx, this.hot, this.#hooks)));
  }

  commit(ops: readonly WriteOp[]): Promise<WriteResult[]> {
    if (this.#writer !== null) return this.#writer.commit(ops);
    return this.write((tx) => applyWriteOps(tx, ops));
  }

  async ping(): Promise<void> {
    await this.accessVersion();
  }

  async close(): Promise<void> {
    await this.#writer?.close();
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
