/** What the store hands back: rows turned into typed records. */

import type { Approval, ApprovalStatus } from '../approvals/approval.ts';
import type { Actor, AuditRecord, AuditRef, NewAuditEvent } from '../audit/audit-event.ts';
import type { ActionRequest, ActionStatus } from '../domain/action.ts';
import type { Decision, DecisionEffect, Effect, Reason } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { EvidenceKind, EvidenceRecord } from '../trust/evidence.ts';

export type { Actor, Approval, AuditRecord, AuditRef, EvidenceRecord, NewAuditEvent };

export interface ApprovalFilter {
  readonly status?: ApprovalStatus | undefined;
  readonly actionIds?: readonly string[] | undefined;
  readonly agentId?: string | undefined;
  readonly limit: number;
}

/** A webhook message waiting to be delivered (or delivered, or given up on). */
export interface OutboxRecord {
  readonly id: string;
  /** The action the message is about. */
  readonly subject: string;
  readonly webhook: string;
  /** The event that caused it, e.g. approval.opened. */
  readonly event: string;
  readonly payload: JsonObject;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AgentRecord {
  readonly id: string;
  readonly owner: string;
  readonly status: 'active' | 'suspended';
  readonly description: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CredentialRecord {
  readonly hash: string;
  readonly principalKind: 'agent' | 'person';
  readonly principalId: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface GrantRecord {
  readonly agentId: string;
  readonly typePattern: string;
  readonly environment: string;
  readonly level: TrustLevel;
  readonly grantedBy: string;
  readonly reason: string;
  readonly grantedAt: string;
}

export interface ActionRecord {
  readonly id: string;
  readonly agentId: string;
  readonly type: string;
  readonly environment: string;
  readonly status: ActionStatus;
  readonly request: ActionRequest;
  readonly requestHash: string;
  readonly idempotencyKey: string | null;
  readonly incident: string | null;
  /** Exactly the facts the decision saw, for explain and replay. */
  readonly facts: JsonObject;
  readonly decision: Decision;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ActionFilter {
  readonly agentId?: string | undefined;
  readonly type?: string | undefined;
  readonly environment?: string | undefined;
  readonly status?: ActionStatus | undefined;
  readonly incident?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  /** Keyset cursor: return actions older than this (createdAt, id). */
  readonly before?: { readonly createdAt: string; readonly id: string } | undefined;
  readonly limit: number;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const EXECUTION_PHASES = ['permitted', 'executing', 'verifying', 'rolling_back', 'done'] as const;
export type ExecutionPhase = (typeof EXECUTION_PHASES)[number];

/** The execution of one cleared action; its row is the claim that makes it run at most once. */
export interface ExecutionRecord {
  readonly actionId: string;
  /** gateway: Airlock runs the executor; agent: the agent runs it under a permit. */
  readonly mode: 'gateway' | 'agent';
  readonly phase: ExecutionPhase;
  /** Permit expiry (permitted) or the end of the verification window (verifying). */
  readonly deadline: string | null;
  readonly attempts: number;
  /** What happened so far, for views. */
  readonly state: JsonObject;
  /** Bumped by every change; a change applies only to the version it read. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The replica (server process) running its current phase; null if recorded before replicas were. */
  readonly owner: string | null;
}

/** A server process that executes, and when it last said it is alive. */
export interface ReplicaRecord {
  readonly id: string;
  readonly startedAt: string;
  readonly heartbeatAt: string;
}

/** Autonomous execution halted: for every agent (`scope` '*') or for one (`scope` its id). */
export interface FreezeRecord {
  readonly scope: string;
  readonly reason: string;
  readonly frozenBy: string;
  readonly frozenAt: string;
}

/** One use of a limit counter by one cleared action. */
export interface LimitUsage {
  readonly key: string;
  readonly actionId: string;
  readonly at: string;
}

export interface EvidenceFilter {
  readonly agentId?: string | undefined;
  readonly actionId?: string | undefined;
  /** Evidence at or after this time. */
  readonly since?: string | undefined;
  /** Evidence at or before this time. */
  readonly until?: string | undefined;
  readonly kinds?: readonly EvidenceKind[] | undefined;
  readonly limit: number;
}

/** How a shadow decision differs from the live one, rule by rule (limits named `limit:<name>`). */
export interface RuleDifferences {
  /** Rules (and exceeded limits) the shadow matched and the live bundle did not. */
  readonly newlyMatched: readonly string[];
  /** Rules (and exceeded limits) the live bundle matched and the shadow did not. */
  readonly noLongerMatched: readonly string[];
  /** Rules both matched, with another effect in the shadow. */
  readonly effectChanged: readonly {
    readonly rule: string;
    readonly live: Effect;
    readonly shadow: Effect;
  }[];
}

export const RULE_DIFFERENCES = ['newly_matched', 'no_longer_matched', 'effect_changed'] as const;
export type RuleDifference = (typeof RULE_DIFFERENCES)[number];

/** A live decision the shadow bundle disagreed with: never enforced, kept for review. */
export interface ShadowDecisionRecord {
  readonly actionId: string;
  readonly agentId: string;
  readonly type: string;
  readonly environment: string;
  readonly liveBundle: string;
  readonly shadowBundle: string;
  readonly liveEffect: DecisionEffect;
  readonly shadowEffect: DecisionEffect;
  /** The shadow's decision compared with the live one. */
  readonly change: 'stricter' | 'looser';
  /** Every reason of the shadow's decision. */
  readonly reasons: readonly Reason[];
  readonly rules: RuleDifferences;
  readonly createdAt: string;
}

export interface ShadowFilter {
  /** Only disagreements of this shadow bundle (by its hash). */
  readonly shadowBundle?: string | undefined;
  /** Recorded at or after this time. */
  readonly since?: string | undefined;
}

/** Disagreements counted by what changed and by the rules that made the difference. */
export interface ShadowSummary {
  readonly total: number;
  readonly transitions: readonly {
    readonly liveEffect: DecisionEffect;
    readonly shadowEffect: DecisionEffect;
    readonly count: number;
  }[];
  readonly rules: readonly {
    readonly rule: string;
    readonly difference: RuleDifference;
    readonly count: number;
  }[];
}
