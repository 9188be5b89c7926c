/** The read side of the Kysely store, shared by the store itself and its write transactions. */

import type { Kysely, Selectable } from 'kysely';
import { actionFromLog, DECIDED, PROPOSED } from './action-log.ts';
import * as evidence from './evidence-queries.ts';
import * as exec from './execution-queries.ts';
import type { HotQueries } from './hot-queries.ts';
import type { PreparedQuery } from './prepared-query.ts';
import type {
  ActionFilter,
  ActionRecord,
  AgentRecord,
  Approval,
  ApprovalFilter,
  AuditRecord,
  ChainHead,
  CredentialRecord,
  EvidenceFilter,
  EvidenceRecord,
  ExecutionPhase,
  ExecutionRecord,
  FreezeRecord,
  GrantRecord,
  OutboxRecord,
  ReplicaRecord,
  ShadowDecisionRecord,
  ShadowFilter,
  ShadowSummary,
} from './records.ts';
import { toAgent, toApproval, toAudit, toGrant, toOutbox } from './rows.ts';
import type { ActionsTable, ApprovalsTable, Database } from './schema.ts';
import * as shadow from './shadow-queries.ts';
import type { StoreReader } from './store.ts';

export class Reads implements StoreReader {
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
      // A row-value comparison, so the index seeks to the cursor; an OR of the two cases scans
      // the index from the newest row on every page, which makes paging through it quadratic.
      query = query.where((eb) =>
        eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before.createdAt, before.id)),
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

  async getApproval(id: string): Promise<Approval | null> {
    const row = await this.db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : ((await this.#withVotes([row]))[0] ?? null);
  }

  async getApprovalForAction(actionId: string): Promise<Approval | null> {
    const row = await this.db
      .selectFrom('approvals')
      .selectAll()
      .where('action_id', '=', actionId)
      .executeTakeFirst();
    return row === undefined ? null : ((await this.#withVotes([row]))[0] ?? null);
  }

  async listApprovals(filter: ApprovalFilter): Promise<Approval[]> {
    let query = this.db.selectFrom('approvals').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
    if (filter.actionIds !== undefined) {
      if (filter.actionIds.length === 0) return [];
      query = query.where('action_id', 'in', filter.actionIds);
    }
    const rows = await query.orderBy('created_at').orderBy('id').limit(filter.limit).execute();
    return this.#withVotes(rows);
  }

  async dueApprovals(now: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('approvals')
      .select('id')
      .where('status', '=', 'pending')
      .where('deadline', '<=', now)
      .orderBy('deadline')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async nextApprovalDeadline(): Promise<string | null> {
    const row = await this.db
      .selectFrom('approvals')
      .select('deadline')
      .where('status', '=', 'pending')
      .orderBy('deadline')
      .limit(1)
      .executeTakeFirst();
    return row?.deadline ?? null;
  }

  async dueDeliveries(now: string, limit: number): Promise<OutboxRecord[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toOutbox);
  }

  async listDeliveries(subject: string): Promise<OutboxRecord[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('subject', '=', subject)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toOutbox);
  }

  listReplicas(): Promise<ReplicaRecord[]> {
    return exec.listReplicas(this.db);
  }

  getExecution(actionId: string): Promise<ExecutionRecord | null> {
    return exec.getExecution(this.db, actionId);
  }

  listExecutions(
    filter: { readonly phases?: readonly ExecutionPhase[]; readonly actionIds?: readonly string[] },
    limit: number,
  ): Promise<ExecutionRecord[]> {
    return exec.listExecutions(this.db, filter, limit);
  }

  dueExecutions(phase: ExecutionPhase, now: string, limit: number): Promise<string[]> {
    return exec.dueExecutions(this.db, phase, now, limit);
  }

  unclaimedActions(limit: number): Promise<string[]> {
    return exec.unclaimedActions(this.db, limit);
  }

  countUsage(key: string, since: string): Promise<number> {
    return exec.countUsage(this.db, key, since);
  }

  countInFlight(key: string): Promise<number> {
    return exec.countInFlight(this.db, key);
  }

  listFreezes(): Promise<FreezeRecord[]> {
    return exec.listFreezes(this.db);
  }

  getSetting(key: string): Promise<string | null> {
    return exec.getSetting(this.db, key);
  }

  listEvidence(filter: EvidenceFilter): Promise<EvidenceRecord[]> {
    return evidence.listEvidence(this.db, filter);
  }

  countEvidence(filter: Omit<EvidenceFilter, 'limit'>): Promise<number> {
    return evidence.countEvidence(this.db, filter);
  }

  countDenied(agentId: string, since: string): Promise<number> {
    return evidence.countDenied(this.db, agentId, since);
  }

  listShadowDecisions(filter: ShadowFilter & { readonly limit: number }): Promise<ShadowDecisionRecord[]> {
    return shadow.listShadowDecisions(this.db, filter);
  }

  summarizeShadowDecisions(filter: ShadowFilter): Promise<ShadowSummary> {
    return shadow.summarizeShadowDecisions(this.db, filter);
  }

  async #withVotes(rows: readonly Selectable<ApprovalsTable>[]): Promise<Approval[]> {
    if (rows.length === 0) return [];
    const votes = await this.db
      .selectFrom('approval_votes')
      .selectAll()
      .where(
        'approval_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('step')
      .orderBy('at')
      .execute();
    const byApproval = Map.groupBy(votes, (v) => v.approval_id);
    return rows.map((row) => toApproval(row, byApproval.get(row.id) ?? []));
  }
}
