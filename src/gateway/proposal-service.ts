/**
 * The governed-action pipeline for one proposal: validate → gather facts → decide (pure) →
 * record durably in the audit chain → answer. Nothing is answered before it is on disk.
 */

import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { CatalogEntry } from '../catalog/catalog.ts';
import { decide } from '../decide/decide.ts';
import type { DecisionFacts } from '../decide/facts.ts';
import type { ActionRequest, ActionStatus } from '../domain/action.ts';
import type { Decision, DecisionEffect } from '../domain/decision.ts';
import { AirlockError, type ErrorDetail } from '../domain/errors.ts';
import type { JsonObject } from '../domain/json.ts';
import { parseProposal } from '../domain/proposal-schema.ts';
import { limitCounters, limitFacts } from '../policy/limits.ts';
import type { Project } from '../project/project-loader.ts';
import type { EnvironmentSpec } from '../project/project-schema.ts';
import type { ActionRecord, AgentRecord, Approval, AuditRef } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { applyWriteOps, type WriteOp } from '../store/write-ops.ts';
import type { AccessCache } from './access-cache.ts';
import type { ActionEvents } from './action-events.ts';
import { type Opening, openingFor } from './approval-records.ts';
import type { CalibrationCache } from './calibration-cache.ts';
import type { Clock } from './clock.ts';
import { gatherFacts } from './decision-facts.ts';
import { limitKeys } from './execution-claim.ts';
import type { PermitGrant } from './execution-service.ts';
import type { FreezeService } from './freeze-service.ts';
import type { GroupCommitter } from './group-commit.ts';
import { newId } from './ids.ts';
import { countLimits } from './limit-counts.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import {
  countShadowOutcome,
  decideShadow,
  disagreementOf,
  planShadow,
  type ShadowOutcome,
  type ShadowPlan,
  shadowUsageKeys,
} from './shadow-evaluation.ts';

export const STATUS_OF: Readonly<Record<DecisionEffect, ActionStatus>> = {
  advise: 'advised',
  execute: 'approved',
  escalate: 'pending_approval',
  deny: 'denied',
};

export interface ProposalOutcome {
  readonly action: ActionRecord;
  /** The action's audit events so far (its decision path). */
  readonly path: readonly AuditRef[];
  /** True when an idempotency key returned an action proposed earlier. */
  readonly replayed: boolean;
  /** The approval the action opened, if it escalated. */
  readonly approval: Approval | null;
  /** For an agent-executed type cleared at once: the single-use permit to execute it. */
  readonly permit: PermitGrant | null;
}

export interface ProposalDeps {
  readonly store: Store;
  /** Grants come from here (refreshed at the start of each proposal). */
  readonly access: AccessCache;
  readonly committer: GroupCommitter;
  readonly project: () => Project;
  readonly clock: Clock;
  readonly events: ActionEvents;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Each scope's calibration of stated confidence. */
  readonly calibration: CalibrationCache;
  /** Proposals denied at their decision go here (bursts of them can demote). */
  readonly onDenied: (action: ActionRecord) => Promise<void>;
  /** The kill switch: is autonomous execution halted for this agent here and now? */
  readonly freezes: Pick<FreezeService, 'check'>;
  /** An action was cleared for execution: claim and start it (answers a permit for agent-executed types). */
  readonly onCleared: (actionId: string) => Promise<PermitGrant | null>;
  /** New webhook messages are waiting in the outbox. */
  readonly onNotify: () => void;
}

export class ProposalService {
  readonly #deps: ProposalDeps;

  constructor(deps: ProposalDeps) {
    this.#deps = deps;
  }

  async propose(agent: AgentRecord, body: unknown): Promise<ProposalOutcome> {
    const { store, clock, metrics } = this.#deps;
    const project = this.#deps.project();

    const parsed = parseProposal(body);
    if (!parsed.ok)
      return this.#reject(agent, body, 'validation_failed', 'the proposal is not valid', parsed.details);
    const { request, idempotencyKey } = parsed.value;

    const environment = project.environments.get(request.environment);
    if (environment === undefined) {
      const known = [...project.environments.keys()].join(', ');
      return this.#reject(agent, body, 'validation_failed', 'unknown environment', [
        { path: 'environment', message: `unknown environment "${request.environment}" (known: ${known})` },
      ]);
    }
    const checked = project.catalog.check(request);
    if (!checked.ok) {
      const message =
        checked.code === 'unknown_action_type'
          ? 'unknown action type'
          : 'the proposal does not fit its action type';
      return this.#reject(agent, body, checked.code, message, checked.details);
    }
    const entry = checked.entry;
    const requestHash = sha256Hex(canonicalJson(request));

    if (idempotencyKey !== null) {
      const earlier = await store.findActionByKey(agent.id, idempotencyKey);
      if (earlier !== null) return this.#replay(earlier, requestHash);
    }

    const now = clock.now();
    const facts = await gatherFacts(this.#deps, { agent, request, entry, environment, project, now });
    const counters = limitCounters(project.bundle, request, agent.id);
    // The shadow bundle decides the same facts beside the live one; it never changes the outcome.
    const plan = planShadow(project, request, agent.id, counters);
    const extra = { requestHash, idempotencyKey };
    const { action, opening, written, shadow } =
      counters.length === 0
        ? await this.#commit(
            this.#record(facts, new Map(), project, now, extra),
            facts,
            plan,
            agent,
            project,
            now,
          )
        : // Counted, decided and written in one transaction: parallel proposals against a limit
          // are serialised by the database, so a limit of N lets exactly N through.
          await store.write(async (tx) => {
            const counts = await countLimits(tx, counters, now);
            const action = this.#record(facts, counts, project, now, extra);
            const opening = this.#opening(action, agent, project, now);
            const shadow =
              plan && (await decideShadow({ reader: tx, plan, counts, base: facts, action, project, now }));
            const [written] = await applyWriteOps(tx, [proposeOp(action, opening, shadow)]);
            if (written?.kind === 'appended' && action.status === 'approved') {
              const keys = new Set([...limitKeys(action), ...shadowUsageKeys(project, action)]);
              await tx.recordUsage(
                [...keys].map((key) => ({ key, actionId: action.id, at: action.createdAt })),
              );
            }
            return { action, opening, shadow, written: written ?? { kind: 'duplicate' as const } };
          });
    const decision = action.decision;

    if (written.kind === 'duplicate') {
      // Another proposal with the same key won the race; answer with that one.
      const earlier = idempotencyKey === null ? null : await store.findActionByKey(agent.id, idempotencyKey);
      if (earlier === null) throw new AirlockError('internal', 'idempotent proposal vanished');
      return this.#replay(earlier, requestHash);
    }

    metrics.decisions.inc({ effect: decision.effect });
    metrics.auditEvents.inc(written.records.length);
    if (shadow !== null) countShadowOutcome(this.#deps, action.id, shadow);
    if (opening !== null) {
      metrics.approvalsOpened.inc();
      if (opening.outbox.length > 0) this.#deps.onNotify();
    }
    this.#deps.events.publish({
      actionId: action.id,
      agentId: agent.id,
      status: action.status,
      seq: written.records.at(-1)?.seq ?? 0,
    });
    this.#log(action, decision);
    // A burst counts what policy and limits denied, not a suspended agent's every attempt.
    if (decision.effect === 'deny' && !facts.agent.suspended) await this.#denied(action);
    const permit = action.status === 'approved' ? await this.#clear(action) : null;
    return { action, path: written.records, replayed: false, approval: opening?.approval ?? null, permit };
  }

  /**
   * Count a denial towards a burst before answering, so a burst's demotion is in force for the
   * agent's next proposal; the decision stands whatever happens here.
   */
  async #denied(action: ActionRecord): Promise<void> {
    try {
      await this.#deps.onDenied(action);
    } catch (error) {
      this.#deps.logger.error(
        { event: 'trust.burst_check_failed', action: action.id, err: error },
        `checking ${action.agentId} for a burst of denials failed`,
      );
    }
  }

  /** Start what was cleared; the decision stands even if this fails (start-up recovery picks it up). */
  async #clear(action: ActionRecord): Promise<PermitGrant | null> {
    try {
      return await this.#deps.onCleared(action.id);
    } catch (error) {
      this.#deps.logger.error(
        { event: 'execution.claim_failed', action: action.id, err: error },
        `claiming ${action.id} for execution failed; it starts on the next start-up`,
      );
      return null;
    }
  }

  /**
   * Check a request against the environments and the catalog (an agent's proposal does this
   * with auditing in `propose`; a person's revision uses this directly): 422 when it does not fit.
   */
  check(request: ActionRequest, project: Project): { entry: CatalogEntry; environment: EnvironmentSpec } {
    const environment = project.environments.get(request.environment);
    if (environment === undefined) {
      throw new AirlockError('validation_failed', 'unknown environment', [
        { path: 'environment', message: `unknown environment "${request.environment}"` },
      ]);
    }
    const checked = project.catalog.check(request);
    if (!checked.ok)
      throw new AirlockError(checked.code, 'the request does not fit its action type', checked.details);
    return { entry: checked.entry, environment };
  }

  /** Gather the facts and decide: the action as it would be recorded (not yet written). */
  async assess(
    agent: AgentRecord,
    request: ActionRequest,
    entry: CatalogEntry,
    environment: EnvironmentSpec,
    project: Project,
    now: Date,
    extra: {
      requestHash: string;
      idempotencyKey: string | null;
      revision?: { of: string; by: string } | undefined;
    },
  ): Promise<{ action: ActionRecord; facts: DecisionFacts }> {
    const base = await gatherFacts(this.#deps, { agent, request, entry, environment, project, now });
    const facts: DecisionFacts = extra.revision === undefined ? base : { ...base, revision: extra.revision };
    const counts = await countLimits(this.#deps.store, limitCounters(project.bundle, request, agent.id), now);
    const action = this.#record(facts, counts, project, now, extra);
    return { action, facts: action.facts as unknown as DecisionFacts };
  }

  /** Decide on the facts with the limits' counts (pure apart from metrics): the action to record. */
  #record(
    base: DecisionFacts,
    counts: ReadonlyMap<string, number>,
    project: Project,
    now: Date,
    extra: { requestHash: string; idempotencyKey: string | null },
  ): ActionRecord {
    const { request } = base;
    const limits = limitFacts(project.bundle, request, base.agent.id, counts, project.inventory);
    const facts: DecisionFacts = limits.length === 0 ? base : { ...base, limits };
    const started = performance.now();
    const decision = decide(facts, project.bundle);
    this.#deps.metrics.decideSeconds.observe((performance.now() - started) / 1000);
    return {
      id: newId('act', now),
      agentId: base.agent.id,
      type: request.type,
      environment: request.environment,
      status: STATUS_OF[decision.effect],
      request,
      requestHash: extra.requestHash,
      idempotencyKey: extra.idempotencyKey,
      incident: request.incident,
      facts: facts as unknown as JsonObject,
      decision,
      createdAt: facts.now,
      updatedAt: facts.now,
    };
  }

  #opening(action: ActionRecord, agent: AgentRecord, project: Project, now: Date) {
    return action.decision.effect === 'escalate'
      ? openingFor(action, agent.owner, project.routing, now)
      : null;
  }

  /** The hot path: the decided action (and the approval it opens) through the group committer. */
  async #commit(
    action: ActionRecord,
    base: DecisionFacts,
    plan: ShadowPlan | null,
    agent: AgentRecord,
    project: Project,
    now: Date,
  ) {
    const opening = this.#opening(action, agent, project, now);
    // The shadow's own counters (if it has any) are read here, outside the live path's transaction.
    const { store: reader } = this.#deps;
    const shadow =
      plan && (await decideShadow({ reader, plan, counts: new Map(), base, action, project, now }));
    const written = await this.#deps.committer.run(proposeOp(action, opening, shadow));
    return { action, opening, written, shadow };
  }

  async #replay(earlier: ActionRecord, requestHash: string): Promise<ProposalOutcome> {
    const action = sameRequestOrConflict(earlier, requestHash);
    const { store } = this.#deps;
    return {
      action,
      // References only, as the first answer gave: an event's data is for people.
      path: (await store.auditForSubject(action.id)).map(({ data: _, ...ref }) => ref),
      replayed: true,
      approval: await store.getApprovalForAction(action.id),
      permit: null,
    };
  }

  /** A proposal that never reached a decision: audited as a rejected attempt, answered with 422. */
  async #reject(
    agent: AgentRecord,
    body: unknown,
    code: 'validation_failed' | 'unknown_action_type',
    message: string,
    details: ErrorDetail[],
  ): Promise<never> {
    const at = this.#deps.clock.now().toISOString();
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    await this.#deps.committer.run({
      kind: 'append',
      at,
      events: [
        {
          kind: 'action.rejected',
          actor: { kind: 'agent', id: agent.id },
          subject: null,
          data: {
            code,
            details: details as unknown as JsonObject[],
            type: typeof fields.type === 'string' ? fields.type.slice(0, 200) : null,
            environment: typeof fields.environment === 'string' ? fields.environment.slice(0, 100) : null,
            bodyHash: safeHash(body),
          },
        },
      ],
    });
    this.#deps.metrics.rejected.inc({ code });
    this.#deps.metrics.auditEvents.inc();
    throw new AirlockError(code, message, details);
  }

  #log(action: ActionRecord, decision: Decision): void {
    this.#deps.logger.info(
      {
        event: 'action.decided',
        action: action.id,
        agent: action.agentId,
        type: action.type,
        environment: action.environment,
        effect: decision.effect,
        level: decision.trustLevel,
        bundle: decision.policyVersion,
      },
      `${action.agentId} ${action.type}@${action.environment}: ${decision.effect}`,
    );
  }
}

function proposeOp(action: ActionRecord, opening: Opening | null, shadow: ShadowOutcome | null): WriteOp {
  return {
    kind: 'propose',
    action,
    approval: opening?.approval,
    events: opening?.events,
    outbox: opening?.outbox,
    shadow: disagreementOf(shadow),
  };
}

function sameRequestOrConflict(earlier: ActionRecord, requestHash: string): ActionRecord {
  if (earlier.requestHash !== requestHash) {
    throw new AirlockError(
      'idempotency_conflict',
      `idempotency key already used for action ${earlier.id} with a different request`,
      [{ path: 'idempotencyKey', message: `already used for ${earlier.id}` }],
    );
  }
  return earlier;
}

function safeHash(body: unknown): string | null {
  try {
    return sha256Hex(canonicalJson(body));
  } catch {
    return null;
  }
}
