/** The shapes the console reads from the v1 API, written to match the server's response schemas. */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const ACTION_STATUSES = [
  'advised',
  'pending_approval',
  'denied',
  'expired',
  'approved',
  'executing',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export type Effect = 'allow' | 'escalate' | 'deny';
export type DecisionEffect = 'advise' | 'execute' | 'escalate' | 'deny';
export type Tier = 'low' | 'medium' | 'high' | 'critical';
export type Level = 0 | 1 | 2 | 3;

export interface ErrorEnvelope {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details: readonly { readonly path: string; readonly message: string }[];
    readonly requestId: string;
  };
}

export interface Me {
  readonly kind: 'person' | 'agent';
  readonly id: string;
  readonly name: string | null;
  readonly role: string | null;
  readonly admin: boolean;
}

export type Reason =
  | {
      readonly kind: 'rule';
      readonly rule: string;
      readonly file: string;
      readonly effect: Effect;
      readonly message: string;
      readonly route?: string;
    }
  | {
      readonly kind: 'rule_error';
      readonly rule: string;
      readonly file: string;
      readonly effect: Effect;
      readonly message: string;
    }
  | { readonly kind: 'default'; readonly effect: Effect; readonly message: string }
  | { readonly kind: 'agent_suspended'; readonly message: string }
  | { readonly kind: 'frozen'; readonly message: string }
  | { readonly kind: 'revision'; readonly of: string; readonly by: string; readonly message: string }
  | {
      readonly kind: 'limit';
      readonly limit: string;
      readonly file: string;
      readonly limitKind: 'rate' | 'targets' | 'fraction' | 'in_flight';
      readonly effect: 'escalate' | 'deny';
      readonly passed: boolean;
      readonly message: string;
    }
  | {
      readonly kind: 'cap';
      readonly code: string;
      readonly passed: boolean;
      readonly message: string;
      readonly basis?: 'stated' | 'calibrated';
    };

export interface Decision {
  readonly effect: DecisionEffect;
  readonly policyEffect: Effect;
  readonly reasons: readonly Reason[];
  readonly trustLevel: Level;
  readonly policyVersion: string;
  readonly route: string | null;
}

export interface Target {
  readonly id: string;
  readonly [attribute: string]: Json;
}

export interface Vote {
  readonly person: string;
  readonly verdict: 'approve' | 'deny' | 'revise';
  readonly step: number;
  readonly comment: string | null;
  readonly override: boolean;
  readonly requestHash: string;
  readonly at: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'revised';

export interface ApprovalSummary {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly requestHash: string;
  readonly route: {
    readonly name: string;
    readonly fallback: string;
    readonly steps: readonly { readonly group: string; readonly quorum: number; readonly timeout: string }[];
  };
  readonly step: number;
  readonly group: string;
  readonly quorum: number;
  readonly approvals: number;
  readonly deadline: string;
  readonly votes: readonly Vote[];
  readonly revisionAuthor: string | null;
  readonly createdAt: string;
  readonly resolvedAt: string | null;
}

export interface PathStep {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: { readonly kind: 'agent' | 'person' | 'system'; readonly id: string };
  readonly hash: string;
  /** The event's data as recorded in the audit chain (people see it; agents do not). */
  readonly data?: JsonObject;
}

export interface Action {
  readonly id: string;
  readonly agent: string;
  readonly type: string;
  readonly environment: string;
  readonly targets: readonly Target[];
  readonly params: JsonObject;
  readonly confidence: number | null;
  readonly anomalyScore: number | null;
  readonly reasoning: string | null;
  readonly context: JsonObject | null;
  readonly incident: string | null;
  readonly idempotencyKey: string | null;
  readonly status: ActionStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly decision: Decision;
  readonly approval: ApprovalSummary | null;
  readonly execution: {
    readonly mode: 'gateway' | 'agent';
    readonly phase: 'permitted' | 'executing' | 'verifying' | 'rolling_back' | 'done';
    readonly attempts: number;
    readonly startedAt: string;
    readonly updatedAt: string;
    readonly permitExpiresAt: string | null;
    readonly attention: string | null;
  } | null;
  readonly verification: {
    readonly samples: number;
    readonly passed: boolean | null;
    readonly failed: readonly string[];
  } | null;
  readonly outcome: {
    readonly outcome: 'succeeded' | 'failed' | 'unknown';
    readonly message: string | null;
  } | null;
  readonly rollback: { readonly outcome: string; readonly message: string } | null;
  readonly path?: readonly PathStep[];
}

export interface ActionList {
  readonly actions: readonly Action[];
  readonly nextCursor: string | null;
}

export interface Approval extends ApprovalSummary {
  readonly action: string;
  readonly actionStatus: ActionStatus;
  readonly revisionOf: string | null;
  readonly agent: { readonly id: string; readonly owner: string };
  readonly trustLevel: Level;
  readonly type: string;
  readonly environment: string;
  readonly production: boolean | null;
  readonly tier: Tier | null;
  readonly domains: readonly string[];
  readonly reversible: boolean | null;
  readonly targets: readonly Target[];
  readonly params: JsonObject;
  readonly confidence: number | null;
  readonly anomalyScore: number | null;
  readonly reasoning: string | null;
  readonly context: JsonObject | null;
  readonly incident: string | null;
  readonly decision: Omit<Decision, 'trustLevel' | 'route'>;
  readonly blastRadius: {
    readonly targets: number;
    readonly production: boolean | null;
    readonly reversible: boolean | null;
    /** The limits that applied, as counted at the decision. */
    readonly limits: readonly {
      readonly limit: string;
      readonly kind: 'rate' | 'in_flight' | 'targets' | 'fraction';
      readonly observed: number;
      readonly max: number;
      readonly service: string | null;
    }[];
  };
  /** The agent's calibration for the scope when decided; null for decisions recorded before calibration. */
  readonly calibration: {
    readonly scope: string;
    readonly n: number;
    readonly minEvidence: number;
    readonly stated: number | null;
    readonly calibrated: number | null;
  } | null;
  readonly you?: {
    readonly person: string;
    readonly mayApprove: boolean;
    readonly mayDeny: boolean;
    readonly override: boolean;
    readonly why: string | null;
  };
}

export interface Attention {
  readonly action: string;
  readonly agent: string;
  readonly type: string;
  readonly environment: string;
  readonly targets: readonly Target[];
  readonly status: ActionStatus;
  readonly reason: string;
  readonly updatedAt: string;
}

export interface ApprovalList {
  readonly approvals: readonly Approval[];
  readonly attention: readonly Attention[];
}

export interface VoteResult {
  readonly approval: ApprovalSummary;
}

export interface CatalogType {
  readonly type: string;
  readonly description: string;
  readonly tier: Tier;
  readonly domains: readonly string[];
  readonly reversible: boolean;
  readonly verified: boolean;
}

export interface Catalog {
  readonly types: readonly CatalogType[];
}

export interface AuditHead {
  readonly seq: number;
  readonly hash: string | null;
  readonly at: string | null;
}

export interface AuditVerify {
  readonly ok: boolean;
  readonly events: number;
  readonly head: string | null;
  readonly firstBad: number | null;
  readonly problem: string | null;
}

/** One server-sent event: an audit event as it was chained. */
export interface LiveEvent {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: { readonly kind: 'agent' | 'person' | 'system'; readonly id: string };
  readonly subject: string | null;
  readonly hash: string;
  readonly data: Json;
}
