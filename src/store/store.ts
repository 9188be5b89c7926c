/** The one seam to the database. Domain code talks to these interfaces, never to SQL. */

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
  LimitUsage,
  NewAuditEvent,
  OutboxRecord,
  ReplicaRecord,
  ShadowDecisionRecord,
  ShadowFilter,
  ShadowSummary,
} from './records.ts';
import type { WriteOp, WriteResult } from './write-ops.ts';

export interface StoreReader {
  /** Changes whenever a credential, agent or grant changes, in any process: the key for caching them. */
  accessVersion(): Promise<number>;
  findCredential(hash: string): Promise<CredentialRecord | null>;
  getAgent(id: string): Promise<AgentRecord | null>;
  listAgents(): Promise<AgentRecord[]>;
  listGrants(agentId: string): Promise<GrantRecord[]>;
  getAction(id: string): Promise<ActionRecord | null>;
  findActionByKey(agentId: string, idempotencyKey: string): Promise<ActionRecord | null>;
  listActions(filter: ActionFilter): Promise<ActionRecord[]>;
  auditHead(): Promise<ChainHead | null>;
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  auditRange(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  auditForSubject(subject: string): Promise<AuditRecord[]>;
  getApproval(id: string): Promise<Approval | null>;
  getApprovalForAction(actionId: string): Promise<Approval | null>;
  /** Oldest first. */
  listApprovals(filter: ApprovalFilter): Promise<Approval[]>;
  /** Ids of pending approvals whose deadline is at or before `now`, earliest first. */
  dueApprovals(now: string, limit: number): Promise<string[]>;
  /** The earliest deadline of any pending approval. */
  nextApprovalDeadline(): Promise<string | null>;
  /** Pending webhook messages whose next attempt is due. */
  dueDeliveries(now: string, limit: number): Promise<OutboxRecord[]>;
  /** Every webhook message about one action, oldest first. */
  listDeliveries(subject: string): Promise<OutboxRecord[]>;
  getExecution(actionId: string): Promise<ExecutionRecord | null>;
  /** Oldest first. */
  listExecutions(
    filter: { readonly phases?: readonly ExecutionPhase[]; readonly actionIds?: readonly string[] },
    limit: number,
  ): Promise<ExecutionRecord[]>;
  /** Server processes that execute, with their last heartbeat. */
  listReplicas(): Promise<ReplicaRecord[]>;
  /** Action ids in `phase` whose deadline is at or before `now`, earliest first. */
  dueExecutions(phase: ExecutionPhase, now: string, limit: number): Promise<string[]>;
  /** Approved actions with no execution claimed yet, oldest first. */
  unclaimedActions(limit: number): Promise<string[]>;
  /** Uses of a limit counter after `since`. */
  countUsage(key: string, since: string): Promise<number>;
  /** Uses of a limit counter whose action is still in flight (approved, executing, verifying). */
  countInFlight(key: string): Promise<number>;
  listFreezes(): Promise<FreezeRecord[]>;
  getSetting(key: string): Promise<string | null>;
  /** Evidence, oldest first; the newest `filter.limit` when more match. */
  listEvidence(filter: EvidenceFilter): Promise<EvidenceRecord[]>;
  /** How many evidence records match `filter`, without reading them. */
  countEvidence(filter: Omit<EvidenceFilter, 'limit'>): Promise<number>;
  /** Proposals of an agent denied at their decision after `since`. */
  countDenied(agentId: string, since: string): Promise<number>;
  /** Disagreements of shadow bundles with the live one, newest first. */
  listShadowDecisions(filter: ShadowFilter & { readonly limit: number }): Promise<ShadowDecisionRecord[]>;
  summarizeShadowDecisions(filter: ShadowFilter): Promise<ShadowSummary>;
}

/** Everything a write transaction may do; it holds the audit chain until it commits. */
export interface StoreTx extends StoreReader {
  /** Chain events after the current head; they commit (durably) with the rest of the transaction. */
  appendAudit(events: readonly NewAuditEvent[], at: string): Promise<AuditRecord[]>;
  insertAgent(agent: AgentRecord): Promise<void>;
  setAgentStatus(id: string, status: AgentRecord['status'], at: string): Promise<void>;
  insertCredential(credential: CredentialRecord): Promise<void>;
  /** Revoke every live credential of a principal; returns how many were revoked. */
  revokeCredentials(
    kind: CredentialRecord['principalKind'],
    principalId: string,
    at: string,
  ): Promise<number>;
  putGrant(grant: GrantRecord): Promise<void>;
  /**
   * Insert actions in order, skipping any whose agent already used its idempotency key (earlier,
   * or earlier in the same call); returns the ids inserted. Never throws for a used key.
   */
  insertActions(actions: readonly ActionRecord[]): Promise<ReadonlySet<string>>;
  setActionStatus(id: string, status: ActionRecord['status'], at: string): Promise<void>;
  insertApprovals(approvals: readonly Approval[]): Promise<void>;
  /**
   * Store `next` (and the votes it adds to `previous`) only if the row is still at
   * `previous.version`; false when another writer moved it first. Two votes for one person fail
   * on the primary key (a person counts once per step).
   */
  saveApproval(next: Approval, previous: Approval, at: string): Promise<boolean>;
  enqueue(messages: readonly OutboxRecord[]): Promise<void>;
  /** Claim an action's execution; false when it was claimed before (it must not run again). */
  insertExecution(execution: ExecutionRecord): Promise<boolean>;
  /** Store `next` only if the row is still at `expectedVersion`; false otherwise. */
  saveExecution(next: ExecutionRecord, expectedVersion: number): Promise<boolean>;
  recordUsage(usage: readonly LimitUsage[]): Promise<void>;
  /** Record that a replica is alive (registering it on its first beat). */
  heartbeat(replica: Omit<ReplicaRecord, 'heartbeatAt'>, at: string): Promise<void>;
  /** A replica that stops cleanly leaves: what it ran is the others' at once. */
  removeReplica(id: string): Promise<void>;
  /** Freeze (or re-freeze with a new reason); bumps the access version so every process sees it. */
  putFreeze(freeze: FreezeRecord): Promise<void>;
  /** Lift a freeze; false when there was none. */
  deleteFreeze(scope: string): Promise<boolean>;
  /** Record evidence, skipping kinds an action already has; returns what was recorded. */
  insertEvidence(records: readonly EvidenceRecord[]): Promise<EvidenceRecord[]>;
  /** Record shadow disagreements (an action's second record is skipped). */
  insertShadowDecisions(records: readonly ShadowDecisionRecord[]): Promise<void>;
  /** Keep the first value written for `key`. */
  putSettingIfAbsent(key: string, value: string): Promise<void>;
  /** Write `value` for `key`, replacing any value before it. */
  putSetting(key: string, value: string): Promise<void>;
  /** Update a message only if it is still at `expectedAttempts` attempts; false otherwise. */
  updateDelivery(
    id: string,
    expectedAttempts: number,
    changes: Pick<OutboxRecord, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'updatedAt'>,
  ): Promise<boolean>;
}

export interface Store extends StoreReader {
  readonly kind: 'sqlite' | 'postgres';
  /** Run `work` in one transaction; it has committed durably when the promise resolves. */
  write<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Apply hot-path writes in order in one transaction (on SQLite, in a writer thread); it has
   * committed durably when the promise resolves. Fails whole: nothing of a failed batch is kept.
   */
  commit(ops: readonly WriteOp[]): Promise<WriteResult[]>;
  /**
   * Be told, soon after they commit, of chain appends made by other processes sharing the database
   * (PostgreSQL: LISTEN/NOTIFY). A hint to read the chain, not a delivery: listeners still read it,
   * and poll too, since notifications can be missed while a connection is down. Returns the stop
   * function. On SQLite it never fires: other processes' appends are seen by polling.
   */
  watchAppends(listener: () => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
