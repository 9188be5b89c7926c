/** Reading actions: one (agents see only their own), many (people), and waiting for a change. */

import type { ActionStatus } from '../domain/action.ts';
import { AirlockError } from '../domain/errors.ts';
import type { ActionFilter, ActionRecord, AuditRecord } from '../store/records.ts';
import type { StoreReader } from '../store/store.ts';
import type { ActionEvents } from './action-events.ts';
import { type ActionView, actionView } from './action-view.ts';
import type { ApprovalService } from './approval-service.ts';
import type { Principal } from './auth.ts';
import type { ExecutionService } from './execution-service.ts';

/** Cross-process changes (another replica, the CLI) are noticed by polling at this pace. */
const POLL_MS = 1_000;

export interface Attention {
  readonly action: ActionRecord;
  readonly reason: string;
}

export class ActionQueries {
  readonly #store: StoreReader;
  readonly #events: ActionEvents;
  readonly #approvals: ApprovalService;
  readonly #executions: ExecutionService;

  constructor(
    store: StoreReader,
    events: ActionEvents,
    approvals: ApprovalService,
    executions: ExecutionService,
  ) {
    this.#store = store;
    this.#events = events;
    this.#approvals = approvals;
    this.#executions = executions;
  }

  /**
   * The whole view of one action: decision path, approval, execution; and, for the agent that
   * proposed it, its permit while the permit is good.
   */
  async view(action: ActionRecord, principal: Principal | null): Promise<ActionView> {
    const execution = await this.#store.getExecution(action.id);
    const own = principal?.kind === 'agent' && principal.agent.id === action.agentId;
    // People see each step's data (rule reasons, votes, samples); an agent sees the steps alone.
    const path = await this.path(action.id);
    const shown = principal?.kind === 'person' ? path : path.map(({ data: _, ...ref }) => ref);
    return actionView(action, shown, await this.#approvals.forAction(action.id), {
      execution,
      permit: own && execution !== null ? await this.#executions.permitFor(execution) : null,
    });
  }

  /** Views of many actions for lists (without their paths or permits). */
  async views(actions: readonly ActionRecord[]): Promise<ActionView[]> {
    const approvals = await this.#approvals.forActions(actions);
    const ids = actions.map((a) => a.id);
    const executions = new Map(
      (await this.#store.listExecutions({ actionIds: ids }, ids.length)).map((e) => [e.actionId, e]),
    );
    return actions.map((a) =>
      actionView(a, undefined, approvals.get(a.id), { execution: executions.get(a.id) ?? null }),
    );
  }

  /** An action the caller may see; another agent's action is "not found", not "forbidden". */
  async get(id: string, principal: Principal): Promise<ActionRecord> {
    const action = await this.#store.getAction(id);
    if (action === null || (principal.kind === 'agent' && action.agentId !== principal.agent.id)) {
      throw new AirlockError('not_found', `no action ${id}`);
    }
    return action;
  }

  /**
   * Actions people must look at: outcome unknown (interrupted, timed out, permit expired), or a
   * failed verification whose rollback failed too. Newest first.
   */
  async needingAttention(limit = 100): Promise<Attention[]> {
    const store = this.#store;
    const found = [
      ...(await store.listActions({ status: 'unknown', limit })),
      ...(await store.listActions({ status: 'failed', limit })),
    ];
    const executions = new Map(
      (await store.listExecutions({ actionIds: found.map((a) => a.id) }, found.length)).map((e) => [
        e.actionId,
        e,
      ]),
    );
    return found
      .flatMap((action) => {
        const reason = executions.get(action.id)?.state.attention;
        if (typeof reason === 'string') return [{ action, reason }];
        return action.status === 'unknown' ? [{ action, reason: 'the outcome is unknown' }] : [];
      })
      .sort((a, b) => b.action.updatedAt.localeCompare(a.action.updatedAt))
      .slice(0, limit);
  }

  path(id: string): Promise<AuditRecord[]> {
    return this.#store.auditForSubject(id);
  }

  list(filter: ActionFilter): Promise<ActionRecord[]> {
    return this.#store.listActions(filter);
  }

  /**
   * Resolve when the action's status differs from `from` (default: its status now), or when
   * `timeoutMs` passes (then with the unchanged action). `signal` ends the wait early.
   */
  async wait(
    id: string,
    principal: Principal,
    options: { timeoutMs: number; from?: ActionStatus | undefined; signal?: AbortSignal | undefined },
  ): Promise<{ action: ActionRecord; changed: boolean }> {
    const first = await this.get(id, principal);
    const from = options.from ?? first.status;
    if (first.status !== from) return { action: first, changed: true };

    return new Promise((resolve, reject) => {
      let done = false;
      const settle = (outcome: () => void) => {
        if (done) return;
        done = true;
        unsubscribe();
        clearTimeout(timer);
        clearInterval(poll);
        options.signal?.removeEventListener('abort', onTimeout);
        outcome();
      };
      const check = () => {
        this.#store.getAction(id).then(
          (action) => {
            if (action !== null && action.status !== from) settle(() => resolve({ action, changed: true }));
          },
          (error) => settle(() => reject(error)),
        );
      };
      const onTimeout = () => {
        settle(() => {
          this.get(id, principal).then(
            (action) => resolve({ action, changed: action.status !== from }),
            reject,
          );
        });
      };
      const unsubscribe = this.#events.subscribe(id, check);
      const timer = setTimeout(onTimeout, options.timeoutMs);
      const poll = setInterval(check, POLL_MS);
      options.signal?.addEventListener('abort', onTimeout, { once: true });
    });
  }
}
