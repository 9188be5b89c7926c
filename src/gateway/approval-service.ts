/**
 * Approvals in the gateway: votes, revisions and timeouts, each applied to the stored approval
 * in one transaction that re-reads it, lets time pass first, and writes only if nobody moved it
 * meanwhile. So two votes racing, or a vote racing a timeout, give exactly one outcome.
 */

import {
  ACTION_STATUS_OF,
  type Approval,
  advance,
  castVote,
  eligibility,
  type Refusal,
  reviseApproval,
  type Transition,
  type VoteInput,
} from '../approvals/approval.ts';
import { sha256Hex } from '../audit/audit-event.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { ActionRequest, Target } from '../domain/action.ts';
import { AirlockError } from '../domain/errors.ts';
import type { JsonObject } from '../domain/json.ts';
import type { Project } from '../project/project-loader.ts';
import type { Person } from '../project/project-schema.ts';
import { actionEvents } from '../store/action-log.ts';
import type { ActionRecord, ApprovalFilter } from '../store/records.ts';
import type { Store, StoreTx } from '../store/store.ts';
import type { ActionEvents } from './action-events.ts';
import { notificationsFor, openingFor, transitionEvents } from './approval-records.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { ProposalService } from './proposal-service.ts';
import type { Demotion, TrustLedger } from './trust-ledger.ts';
import { verdictEvidence } from './verdict-evidence.ts';

export interface ApprovalDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly project: () => Project;
  readonly proposals: ProposalService;
  readonly events: ActionEvents;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Where a person's verdict becomes evidence about the agent. */
  readonly ledger: TrustLedger;
  /** New webhook messages are waiting in the outbox. */
  readonly onNotify: () => void;
  /** People approved an action: claim and start its execution. */
  readonly onApproved: (actionId: string) => Promise<unknown>;
}

export interface RevisionInput {
  readonly params: JsonObject;
  readonly targets?: readonly Target[] | undefined;
  readonly comment: string | null;
}

/** What one transaction did, for what follows its commit (events, metrics, logs). */
interface Applied {
  readonly approval: Approval;
  readonly transitions: readonly Transition[];
  readonly lastSeq: number;
  readonly notified: number;
  readonly refusal: Refusal | null;
  readonly revision?: ActionRecord | undefined;
}

const RACE_RETRIES = 3;
/** Pending approvals read to find those one person may vote on. */
const MAX_PENDING_SCAN = 10_000;

export class ApprovalService {
  readonly #deps: ApprovalDeps;

  constructor(deps: ApprovalDeps) {
    this.#deps = deps;
  }

  /*
   * Reads show approvals as they stand now: time is applied in memory (a pure step, no write), so
   * between a deadline and the timer's next pass nobody sees a step that has already timed out.
   */

  /** An approval by its id, or by the id of its action. */
  async get(ref: string): Promise<Approval> {
    const approval = await this.#find(this.#deps.store, ref);
    if (approval === null) throw new AirlockError('not_found', `no approval ${ref}`);
    return this.#now(approval);
  }

  /** The approval of an action, if it opened one. */
  async forAction(actionId: string): Promise<Approval | null> {
    const approval = await this.#deps.store.getApprovalForAction(actionId);
    return approval === null ? null : this.#now(approval);
  }

  /** The approvals of many actions at once, by action id. */
  async forActions(actions: readonly ActionRecord[]): Promise<Map<string, Approval>> {
    const ids = actions.filter((a) => a.decision.effect === 'escalate').map((a) => a.id);
    const approvals = await this.#deps.store.listApprovals({ actionIds: ids, limit: ids.length });
    return new Map(approvals.map((a) => [a.actionId, this.#now(a)]));
  }

  /**
   * Approvals with this status, as they stand now (a pending one whose last step has just timed
   * out is no longer listed as pending; the timer records its fallback within a second).
   */
  async list(filter: ApprovalFilter): Promise<Approval[]> {
    const now = (await this.#deps.store.listApprovals(filter)).map((a) => this.#now(a));
    return filter.status === undefined ? now : now.filter((a) => a.status === filter.status);
  }

  /** Pending approvals this person may vote on now (members of the step's group; admins anywhere), oldest first. */
  async pendingFor(person: Person, limit = 200): Promise<Approval[]> {
    const pending = await this.list({ status: 'pending', limit: MAX_PENDING_SCAN });
    return pending.filter((a) => eligibility(a, person, 'deny').ok).slice(0, limit);
  }

  #now(approval: Approval): Approval {
    return advance(approval, this.#deps.clock.now()).approval;
  }

  /** Cast a vote; throws the refusal (after recording any timeout that came first). */
  async vote(ref: string, person: Person, input: VoteInput): Promise<Approval> {
    const now = this.#deps.clock.now();
    const applied = await this.#transition(ref, now, async (current) => {
      const timed = advance(current, now);
      const voted = castVote(timed.approval, person, input, now);
      if (!voted.ok) return { ...timed, refusal: voted };
      return {
        approval: voted.approval,
        transitions: [...timed.transitions, ...voted.transitions],
        refusal: null,
      };
    });
    const approval = this.#finish(applied).approval;
    if (approval.status === 'approved') {
      try {
        await this.#deps.onApproved(approval.actionId);
      } catch (error) {
        this.#deps.logger.error(
          { event: 'execution.claim_failed', action: approval.actionId, err: error },
          `claiming ${approval.actionId} for execution failed; it starts on the next start-up`,
        );
      }
    }
    return approval;
  }

  /**
   * Propose changed params (and optionally targets) instead of approving: the approval closes as
   * `revised`, and a new action with the changed request is decided afresh. It can be denied;
   * when it escalates it needs its own approval, which its author cannot give.
   */
  async revise(
    ref: string,
    person: Person,
    input: RevisionInput,
  ): Promise<{ approval: Approval; revision: ActionRecord }> {
    const { store, clock, proposals } = this.#deps;
    const project = this.#deps.project();
    const now = clock.now();
    const original = await this.get(ref);
    // Who may revise, before anything about the request is said (the transaction checks again).
    const allowed = eligibility(original, person, 'revise');
    if (!allowed.ok) throw new AirlockError(allowed.code, allowed.message);
    const action = await store.getAction(original.actionId);
    const agent = await store.getAgent(original.agentId);
    if (action === null || agent === null)
      throw new AirlockError('internal', `action ${original.actionId} is missing`);

    const request: ActionRequest = {
      ...action.request,
      params: input.params,
      targets: input.targets ?? action.request.targets,
    };
    const { entry, environment } = proposals.check(request, project);
    const requestHash = sha256Hex(canonicalJson(request));
    if (requestHash === action.requestHash) {
      throw new AirlockError(
        'validation_failed',
        'the revision changes nothing; approve the action instead',
        [{ path: 'params', message: 'same params and targets as the action' }],
      );
    }
    const { action: revision } = await proposals.assess(agent, request, entry, environment, project, now, {
      requestHash,
      idempotencyKey: null,
      revision: { of: action.id, by: person.id },
    });
    const opening =
      revision.decision.effect === 'escalate'
        ? openingFor(revision, agent.owner, project.routing, now, person.id)
        : null;

    const applied = await this.#transition(ref, now, async (current, tx) => {
      const timed = advance(current, now);
      const revised = reviseApproval(timed.approval, person, input.comment, now);
      if (!revised.ok) return { ...timed, refusal: revised };
      return {
        approval: revised.approval,
        transitions: [...timed.transitions, ...revised.transitions],
        refusal: null,
        revision,
        async extra() {
          await tx.insertActions([revision]);
          if (opening !== null) {
            await tx.insertApprovals([opening.approval]);
            await tx.enqueue(opening.outbox);
          }
          return {
            events: [
              ...actionEvents(revision, { of: action.id, by: { kind: 'person', id: person.id } }),
              ...(opening?.events ?? []),
            ],
            notified: opening?.outbox.length ?? 0,
          };
        },
      };
    });
    this.#finish(applied);
    if (opening !== null) this.#deps.metrics.approvalsOpened.inc();
    this.#deps.events.publish({
      actionId: revision.id,
      agentId: revision.agentId,
      status: revision.status,
      seq: applied.lastSeq,
    });
    return { approval: applied.approval, revision };
  }

  /**
   * Apply every deadline that has passed: steps hand over, last steps fall back. Safe to run
   * anywhere and any number of times: each approval moves once, in its own transaction.
   */
  async resolveDue(limit = 100): Promise<number> {
    const now = this.#deps.clock.now();
    let moved = 0;
    for (;;) {
      const due = await this.#deps.store.dueApprovals(now.toISOString(), limit);
      let failed = 0;
      for (const id of due) {
        try {
          const applied = await this.#transition(id, now, async (current) => ({
            ...advance(current, now),
            refusal: null,
          }));
          if (applied.transitions.length > 0) moved++;
          this.#finish(applied);
        } catch (error) {
          // One approval that cannot move must not hold up the others; the next pass tries again.
          failed++;
          this.#deps.logger.error(
            { event: 'approvals.deadline_failed', approval: id, err: error },
            `applying the deadline of ${id} failed`,
          );
        }
      }
      if (due.length < limit || failed === due.length) return moved;
    }
  }

  nextDeadline(): Promise<string | null> {
    return this.#deps.store.nextApprovalDeadline();
  }

  #find(store: Pick<Store, 'getApproval' | 'getApprovalForAction'>, ref: string): Promise<Approval | null> {
    return ref.startsWith('act_') ? store.getApprovalForAction(ref) : store.getApproval(ref);
  }

  /**
   * Read the approval, compute its next state, and write it with its audit events, the action's
   * new status and its notifications, unless another writer moved it first (then try again).
   */
  async #transition(
    ref: string,
    now: Date,
    step: (
      current: Approval,
      tx: StoreTx,
    ) => Promise<{
      approval: Approval;
      transitions: readonly Transition[];
      refusal: Refusal | null;
      revision?: ActionRecord;
      extra?: () => Promise<{ events: ReturnType<typeof actionEvents>; notified: number }>;
    }>,
  ): Promise<Applied> {
    const at = now.toISOString();
    for (let attempt = 0; attempt <= RACE_RETRIES; attempt++) {
      let demotions: Demotion[] = [];
      const applied = await this.#deps.store.write(async (tx): Promise<Applied | null> => {
        const current = await this.#find(tx, ref);
        if (current === null) throw new AirlockError('not_found', `no approval ${ref}`);
        const next = await step(current, tx);
        if (next.transitions.length === 0) {
          return { approval: current, transitions: [], lastSeq: 0, notified: 0, refusal: next.refusal };
        }
        if (!(await tx.saveApproval(next.approval, current, at))) return null;

        const resolved = next.transitions.find((t) => t.kind === 'approval.resolved');
        if (resolved !== undefined) {
          await tx.setActionStatus(current.actionId, ACTION_STATUS_OF[resolved.outcome], at);
        }
        const action = await tx.getAction(current.actionId);
        const outbox =
          action === null
            ? []
            : notificationsFor(next.approval, action, next.transitions, this.#deps.project().routing);
        await tx.enqueue(outbox);
        const extra = next.extra === undefined ? { events: [], notified: 0 } : await next.extra();
        const records = await tx.appendAudit(
          [...transitionEvents(next.approval, next.transitions, at), ...extra.events],
          at,
        );
        if (resolved !== undefined && action !== null)
          demotions = await this.#deps.ledger.record(
            tx,
            verdictEvidence(action, resolved, next.transitions),
            at,
          );
        return {
          approval: next.approval,
          transitions: next.transitions,
          lastSeq: records.at(-1)?.seq ?? 0,
          notified: outbox.length + extra.notified,
          refusal: next.refusal,
          revision: next.revision,
        };
      });
      if (applied !== null) {
        this.#deps.ledger.announce(demotions);
        return applied;
      }
    }
    throw new AirlockError('conflict', `approval ${ref} kept changing while this was applied; try again`);
  }

  /** After the commit: tell listeners, count, log; then throw the refusal, if any. */
  #finish(applied: Applied): Applied {
    const { approval, transitions } = applied;
    const { metrics, logger, events } = this.#deps;
    for (const t of transitions) {
      if (t.kind === 'approval.voted') {
        metrics.approvalVotes.inc({ verdict: t.vote.verdict, override: String(t.vote.override) });
      } else if (t.kind === 'approval.escalated') {
        metrics.approvalEscalations.inc();
      } else {
        metrics.approvalsResolved.inc({ outcome: t.outcome, cause: t.cause });
      }
      logger.info(
        { event: t.kind, approval: approval.id, action: approval.actionId, ...logFields(t) },
        `${approval.id} (${approval.actionId}): ${describe(t)}`,
      );
    }
    if (transitions.length > 0) {
      events.publish({
        actionId: approval.actionId,
        agentId: approval.agentId,
        status: approval.status === 'pending' ? 'pending_approval' : ACTION_STATUS_OF[approval.status],
        seq: applied.lastSeq,
      });
    }
    if (applied.notified > 0) this.#deps.onNotify();
    if (applied.refusal !== null) throw new AirlockError(applied.refusal.code, applied.refusal.message);
    return applied;
  }
}

function logFields(t: Transition): Record<string, unknown> {
  switch (t.kind) {
    case 'approval.voted':
      return { person: t.vote.person, verdict: t.vote.verdict, step: t.vote.step, override: t.vote.override };
    case 'approval.escalated':
      return { fromStep: t.fromStep, toStep: t.toStep, group: t.group };
    case 'approval.resolved':
      return { outcome: t.outcome, cause: t.cause };
  }
}

function describe(t: Transition): string {
  switch (t.kind) {
    case 'approval.voted':
      return `${t.vote.person} voted ${t.vote.verdict}${t.vote.override ? ' (admin override)' : ''}`;
    case 'approval.escalated':
      return `step ${t.fromStep} timed out; step ${t.toStep} (group ${t.group}) until ${t.deadline}`;
    case 'approval.resolved':
      return `${t.outcome} (${t.cause})`;
  }
}
