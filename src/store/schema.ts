/** Table types as Kysely sees them. JSON is stored as text so that one schema serves SQLite and PostgreSQL. */

export interface AgentsTable {
  id: string;
  owner: string;
  status: 'active' | 'suspended';
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface CredentialsTable {
  /** SHA-256 of the token; the token itself is never stored. */
  hash: string;
  principal_kind: 'agent' | 'person';
  principal_id: string;
  created_at: string;
  revoked_at: string | null;
}

export interface GrantsTable {
  agent_id: string;
  type_pattern: string;
  environment: string;
  level: number;
  granted_by: string;
  reason: string;
  granted_at: string;
}

export interface ActionsTable {
  id: string;
  agent_id: string;
  type: string;
  environment: string;
  status: string;
  request_hash: string;
  idempotency_key: string | null;
  incident: string | null;
  effect: string;
  trust_level: number;
  policy_version: string;
  created_at: string;
  updated_at: string;
}

export interface AuditEventsTable {
  seq: number;
  at: string;
  kind: string;
  actor_kind: string;
  actor_id: string;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface ApprovalsTable {
  id: string;
  action_id: string;
  agent_id: string;
  status: string;
  step: number;
  deadline: string;
  route: string;
  /** JSON: the route snapshot and the approval's fixed facts (owner, request hash, …). */
  state: string;
  version: number;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export interface ApprovalVotesTable {
  approval_id: string;
  /** One vote per person per step: the primary key makes a person count once. */
  person_id: string;
  step: number;
  verdict: string;
  comment: string | null;
  override: number;
  request_hash: string;
  at: string;
}

export interface OutboxTable {
  id: string;
  /** The action the message is about. */
  subject: string;
  webhook: string;
  event: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface ExecutionsTable {
  action_id: string;
  mode: string;
  phase: string;
  /** Permit expiry (phase permitted) or the end of the verification window (phase verifying). */
  deadline: string | null;
  attempts: number;
  /** JSON: what happened so far, for views (permit, outcome, verification samples, rollback). */
  state: string;
  version: number;
  created_at: string;
  updated_at: string;
  /** The replica running its current phase (null: recorded before replicas were). */
  owner: string | null;
}

/** Each running server process that executes: its heartbeat tells the others it is alive. */
export interface ReplicasTable {
  id: string;
  started_at: string;
  heartbeat_at: string;
}

export interface LimitUsageTable {
  key: string;
  action_id: string;
  at: string;
}

export interface FreezesTable {
  scope: string;
  reason: string;
  frozen_by: string;
  frozen_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface EvidenceTable {
  id: string;
  agent_id: string;
  action_id: string;
  type: string;
  environment: string;
  kind: string;
  level: number;
  confidence: number | null;
  by: string;
  detail: string | null;
  at: string;
}

export interface ShadowDecisionsTable {
  action_id: string;
  agent_id: string;
  type: string;
  environment: string;
  live_bundle: string;
  shadow_bundle: string;
  live_effect: string;
  shadow_effect: string;
  /** stricter | looser: the shadow's decision compared with the live one. */
  change: string;
  /** JSON: the shadow decision's reasons. */
  reasons: string;
  /** JSON: the rules and limits newly matched, no longer matched, and matched with another effect. */
  rules: string;
  created_at: string;
}

export interface ShadowDecisionRulesTable {
  action_id: string;
  /** A rule name, or `limit:` and a limit name. */
  rule: string;
  /** newly_matched | no_longer_matched | effect_changed */
  difference: string;
  shadow_bundle: string;
  created_at: string;
}

export interface MetaTable {
  key: string;
  value: number;
}

export interface Database {
  agents: AgentsTable;
  credentials: CredentialsTable;
  grants: GrantsTable;
  actions: ActionsTable;
  audit_events: AuditEventsTable;
  approvals: ApprovalsTable;
  approval_votes: ApprovalVotesTable;
  outbox: OutboxTable;
  meta: MetaTable;
  executions: ExecutionsTable;
  replicas: ReplicasTable;
  limit_usage: LimitUsageTable;
  freezes: FreezesTable;
  settings: SettingsTable;
  evidence: EvidenceTable;
  shadow_decisions: ShadowDecisionsTable;
  shadow_decision_rules: ShadowDecisionRulesTable;
}
