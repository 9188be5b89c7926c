/** The store over Kysely: one implementation for every dialect, with dialect hooks kept in this folder. */

import type { Kysely, Transaction } from 'kysely';
import { chainEvents } from '../audit/audit-event.ts';
import * as evidence from './evidence-queries.ts';
import * as exec from './execution-queries.ts';
import { HotQueries, INSERT_BATCH } from './hot-queries.ts';
import type {
  ActionRecord,
  AgentRecord,
  Approval,
  AuditRecord,
  ChainHead,
  CredentialRecord,
  EvidenceRecord,
  ExecutionRecord,
  FreezeRecord,
  GrantRecord,
  LimitUsage,
  NewAuditEvent,
  OutboxRecord,
  ReplicaRecord,
  ShadowDecisionRecord,
} from './records.ts';
import { approvalRow, outboxRow, voteRow } from './rows.ts';
import type { Database } from './schema.ts';
import * as shadow from './shadow-queries.ts';
import type { Store, StoreTx } from './store.ts';
import { Reads } from './store-reads.ts';
import { applyWriteOps, type WriteOp, type WriteResult } from './write-ops.ts';
import type { BatchWriter } from './writer-thread.ts';

/** What differs between dialects and cannot be said in Kysely's portable builder. */
export interface DialectHooks {
  readonly kind: Store['kind'];
  /**
   * Run first in every write transaction: serialise writers across connections and processes, so
   * each reads the chain head its predecessor committed (SQLite's BEGIN IMMEDIATE already does).
   * Taking it first, not at the first append, gives every writer one lock order: no deadlocks.
   */
  lockChain(tx: Transaction<Database>): Promise<void>;
  /** Run last in a write transaction that appended to the chain (PostgreSQL: tell the other replicas). */
  chainAppended?(tx: Transaction<Database>, head: ChainHead): Promise<void>;
  /** Be told of appends committed by other connections and processes; the stop function is returned. */
  watchAppends?(listener: () => void): () => void;
  /** Release what the hooks hold (e.g. a listening connection). */
  close?(): Promise<void>;
}

class Writes extends Reads implements StoreTx {
  readonly #tx: Transaction<Database>;
  /** The chain head as this transaction left it; read once (under the chain lock), then carried. */
  #head: ChainHead | null | undefined;
  /** Whether this transaction appended to the chain. */
  appended = false;
  #accessBumped = false;

  constructor(tx: Transaction<Database>, hot: HotQueries) {
    super(tx, hot);
    this.#tx = tx;
  }

  async appendAudit(events: readonly NewAuditEvent[], at: string): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    if (this.#head === undefined) this.#head = await this.auditHead();
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
    if (last !== undefined) {
      this.#head = { seq: last.seq, hash: last.hash };
      this.appended = true;
    }
    return records;
  }

  /** The chain head as this transaction leaves it (after an append). */
  get head(): ChainHead | null {
    return this.#head ?? null;
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

  async setActionStatus(id: string, status: ActionRecord['status'], at: string): Promise<void> {
    await this.#tx.updateTable('actions').set({ status, updated_at: at }).where('id', '=', id).execute();
  }

  async insertApprovals(approvals: readonly Approval[]): Promise<void> {
    if (approvals.length === 0) return;
    await this.#tx.insertInto('approvals').values(approvals.map(approvalRow)).execute();
    const votes = approvals.flatMap((a) => a.votes.map((v) => voteRow(a.id, v)));
    if (votes.length > 0) await this.#tx.insertInto('approval_votes').values(votes).execute();
  }

  async saveApproval(next: Approval, previous: Approval, at: string): Promise<boolean> {
    const row = approvalRow(next);
    const result = await this.#tx
      .updateTable('approvals')
      .set({
        status: row.status,
        step: row.step,
        deadline: row.deadline,
        version: row.version,
        updated_at: at,
        resolved_at: row.resolved_at,
      })
      .where('id', '=', next.id)
      .where('version', '=', previous.version)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    const added = next.votes.slice(previous.votes.length).map((v) => voteRow(next.id, v));
    if (added.length > 0) await this.#tx.insertInto('approval_votes').values(added).execute();
    return true;
  }

  async enqueue(messages: readonly OutboxRecord[]): Promise<void> {
    if (messages.length === 0) return;
    await this.#tx.insertInto('outbox').values(messages.map(outboxRow)).execute();
  }

  insertExecution(execution: ExecutionRecord): Promise<boolean> {
    return exec.insertExecution(this.#tx, execution);
  }

  saveExecution(next: ExecutionRecord, expectedVersion: number): Promise<boolean> {
    return exec.saveExecution(this.#tx, next, expectedVersion);
  }

  heartbeat(replica: Omit<ReplicaRecord, 'heartbeatAt'>, at: string): Promise<void> {
    return exec.heartbeat(this.#tx, replica, at);
  }

  removeReplica(id: string): Promise<void> {
    return exec.removeReplica(this.#tx, id);
  }

  recordUsage(usage: readonly LimitUsage[]): Promise<void> {
    return exec.recordUsage(this.#tx, usage);
  }

  async putFreeze(freeze: FreezeRecord): Promise<void> {
    await this.#accessChanged();
    await exec.putFreeze(this.#tx, freeze);
  }

  async deleteFreeze(scope: string): Promise<boolean> {
    await this.#accessChanged();
    return exec.deleteFreeze(this.#tx, scope);
  }

  insertEvidence(records: readonly EvidenceRecord[]): Promise<EvidenceRecord[]> {
    return evidence.insertEvidence(this.#tx, records);
  }

  insertShadowDecisions(records: readonly ShadowDecisionRecord[]): Promise<void> {
    return shadow.insertShadowDecisions(this.#tx, records);
  }

  putSettingIfAbsent(key: string, value: string): Promise<void> {
    return exec.putSettingIfAbsent(this.#tx, key, value);
  }

  putSetting(key: string, value: string): Promise<void> {
    return exec.putSetting(this.#tx, key, value);
  }

  async updateDelivery(
    id: string,
    expectedAttempts: number,
    changes: Pick<OutboxRecord, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'updatedAt'>,
  ): Promise<boolean> {
    const result = await this.#tx
      .updateTable('outbox')
      .set({
        status: changes.status,
        attempts: changes.attempts,
        next_attempt_at: changes.nextAttemptAt,
        last_error: changes.lastError,
        updated_at: changes.updatedAt,
      })
      .where('id', '=', id)
      .where('attempts', '=', expectedAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

export class KyselyStore extends Reads implements Store {
  readonly kind: Store['kind'];
  readonly #hooks: DialectHooks;
  readonly #writer: BatchWriter | null;
  /** The last batch handed to `commit`: batches commit in the order they were handed over. */
  #lastBatch: Promise<unknown> = Promise.resolve();

  /** @param writer where `commit` batches go instead of this connection (SQLite: the writer thread). */
  constructor(db: Kysely<Database>, hooks: DialectHooks, writer: BatchWriter | null = null) {
    super(db, new HotQueries(db));
    this.kind = hooks.kind;
    this.#hooks = hooks;
    this.#writer = writer;
  }

  write<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      await this.#hooks.lockChain(tx);
      const writes = new Writes(tx, this.hot);
      const result = await work(writes);
      const head = writes.head;
      if (writes.appended && head !== null) await this.#hooks.chainAppended?.(tx, head);
      return result;
    });
  }

  watchAppends(listener: () => void): () => void {
    return this.#hooks.watchAppends?.(listener) ?? (() => {});
  }

  commit(ops: readonly WriteOp[]): Promise<WriteResult[]> {
    if (this.#writer !== null) return this.#writer.commit(ops);
    // Straight through this connection pool, one batch after another (as the writer thread does).
    const batch = this.#lastBatch.then(() => this.write((tx) => applyWriteOps(tx, ops)));
    this.#lastBatch = batch.catch(() => {});
    return batch;
  }

  async ping(): Promise<void> {
    await this.accessVersion();
  }

  async close(): Promise<void> {
    await this.#writer?.close();
    await this.#hooks.close?.();
    await this.db.destroy();
  }
}
