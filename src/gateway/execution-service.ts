/**
 * Brokered execution: the path from a cleared action to production goes through here. A cleared
 * action is claimed first (its execution row is inserted in the transaction that records the
 * start, so it runs at most once, here or on any replica), then Airlock runs the executor itself
 * or hands the agent a single-use permit. What follows (verification, rollback) is Aftercare's.
 */

import type { CatalogEntry } from '../catalog/catalog.ts';
import { AirlockError } from '../domain/errors.ts';
import type { JsonObject } from '../domain/json.ts';
import type { ExecutorOutcome } from '../execution/executor-outcome.ts';
import { readPermit, signPermit } from '../execution/permit.ts';
import { runExecutor } from '../execution/run-executor.ts';
import type { TemplateEnv } from '../execution/template.ts';
import type { Project } from '../project/project-loader.ts';
import type { ActionRecord, AgentRecord, ExecutionRecord, ReplicaRecord } from '../store/records.ts';
import type { Store, StoreReader } from '../store/store.ts';
import type { ActionEvents } from './action-events.ts';
import { type Aftercare, contextOf } from './aftercare.ts';
import type { Clock } from './clock.ts';
import { claimExecution, permitKey, takePermitOnce } from './execution-claim.ts';
import { applyStep, type Step, type StepLedger } from './execution-steps.ts';
import type { FreezeService } from './freeze-service.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { WriteBatcher } from './write-batcher.ts';

export interface ExecutionDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly project: () => Project;
  readonly freezes: FreezeService;
  readonly aftercare: Aftercare;
  readonly events: ActionEvents;
  /** Where outcomes become evidence, and demotions follow. */
  readonly ledger: StepLedger;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly env: TemplateEnv;
  /** New webhook messages are waiting in the outbox. */
  readonly onNotify: () => void;
  /** This process; it owns the executions it claims and the phases it runs. */
  readonly replica: string;
  /** A replica whose heartbeat is older than this is gone: the others take over what it ran. */
  readonly replicaTimeoutMs: number;
}

export interface PermitGrant {
  readonly token: string;
  readonly expiresAt: string;
}

export interface OutcomeReport {
  readonly permit: string;
  /** `unknown`: the agent cannot tell whether it took effect; the action goes to people. */
  readonly outcome: 'succeeded' | 'failed' | 'unknown';
  readonly message?: string | null | undefined;
  readonly detail?: JsonObject | null | undefined;
}

/** Cleared actions picked up on start-up, per pass. */
const RECOVERY_BATCH = 500;

/**
 * Whether an execution's phase was left by a replica that is gone: recorded before replicas were,
 * or by a replica that left, or whose last heartbeat is older than `timeoutMs`. Never this one's.
 */
export function isOrphaned(
  execution: ExecutionRecord,
  replicas: readonly ReplicaRecord[],
  self: string,
  now: Date,
  timeoutMs: number,
): boolean {
  if (execution.owner === self) return false;
  if (execution.owner === null) return true;
  const owner = replicas.find((r) => r.id === execution.owner);
  return owner === undefined || Date.parse(owner.heartbeatAt) < now.getTime() - timeoutMs;
}

export class ExecutionService {
  readonly #deps: ExecutionDeps;
  readonly #running = new Set<Promise<void>>();
  /** Actions this process is executing, verifying or rolling back now: recovery leaves them alone. */
  readonly #active = new Set<string>();
  #key: Promise<Buffer> | null = null;

  /** The key that signs permits: made once, shared by every replica through the store. */
  #permitKey(): Promise<Buffer> {
    this.#key ??= permitKey(this.#deps.store);
    return this.#key;
  }

  /** Claims of actions cleared together share one transaction. */
  readonly #claims: WriteBatcher;

  constructor(deps: ExecutionDeps) {
    this.#deps = deps;
    this.#claims = new WriteBatcher(deps.store);
  }

  get(actionId: string): Promise<ExecutionRecord | null> {
    return this.#deps.store.getExecution(actionId);
  }

  /**
   * An action was cleared (decided `execute`, or approved by people). Claim it and start it:
   * for an agent-executed type, answer the permit; otherwise run the executor in the background.
   * Does nothing for an action claimed before, or no longer `approved`.
   */
  async cleared(actionId: string): Promise<PermitGrant | null> {
    const { store, clock, project } = this.#deps;
    const action = await store.getAction(actionId);
    if (action === null || action.status !== 'approved') return null;
    const autonomous = action.decision.effect === 'execute';
    const freeze = autonomous
      ? await this.#deps.freezes.check(action.agentId, action.environment, clock.now())
      : null;
    // The key is read (or made) before the claim's transaction: never a write inside a write.
    const key = await this.#permitKey();
    const claim = await this.#claims.run((tx) =>
      claimExecution(tx, {
        actionId,
        project: project(),
        freeze,
        key,
        now: clock.now(),
        replica: this.#deps.replica,
      }),
    );
    if (claim.kind === 'permit') this.#deps.metrics.permits.inc({ event: 'issued' });
    if (claim.status !== undefined) {
      // The sequence number is not known here; listeners re-read the action.
      this.#deps.events.publish({ actionId, agentId: action.agentId, status: claim.status, seq: 0 });
    }
    if (claim.notify === true) this.#deps.onNotify();
    if (claim.kind === 'permit') return claim.grant;
    if (claim.kind === 'run') this.#track(actionId, () => this.#execute(claim.action, claim.entry));
    return null;
  }

  /** The permit of an action waiting for its agent's report, if it has one. */
  async permitFor(execution: ExecutionRecord): Promise<PermitGrant | null> {
    const permit = execution.state.permit as
      | { nonce: string; expiresAt: string; requestHash: string }
      | undefined;
    if (execution.phase !== 'permitted' || permit === undefined) return null;
    const claims = { action: execution.actionId, ...permit };
    return { token: signPermit(claims, await this.#permitKey()), expiresAt: permit.expiresAt };
  }

  /**
   * Hand out an action's permit to exactly one caller: the first to take it gets it, later callers
   * (another session, another replica) get null. For executors that act for the agent, such as the
   * MCP gateway, which must never run one call twice.
   */
  async takePermit(agent: AgentRecord, actionId: string): Promise<PermitGrant | null> {
    const { store, clock, freezes, events } = this.#deps;
    const execution = await store.getExecution(actionId);
    if (execution === null || execution.phase !== 'permitted') return null;
    const permit = execution.state.permit as JsonObject | undefined;
    const action = await store.getAction(actionId);
    if (permit === undefined || permit.takenAt !== undefined || action === null) return null;
    const now = clock.now();
    const at = now.toISOString();
    const freeze =
      action.decision.effect === 'execute'
        ? await freezes.check(action.agentId, action.environment, now)
        : null;
    // Through the claims' batcher: permits taken together share one commit.
    const taken = await this.#claims.run((tx) =>
      takePermitOnce(tx, { execution, action, taker: agent.id, freeze, at }),
    );
    if (taken === 'refused') events.publish({ actionId, agentId: action.agentId, status: 'denied', seq: 0 });
    return taken === null || taken === 'refused' ? null : this.permitFor(taken);
  }

  /** The agent's report of an action it executed under a permit; the permit is good once. */
  async reportOutcome(agent: AgentRecord, actionId: string, report: OutcomeReport): Promise<ExecutionRecord> {
    const { store, clock, project } = this.#deps;
    const action = await store.getAction(actionId);
    if (action === null || action.agentId !== agent.id)
      throw new AirlockError('not_found', `no action ${actionId}`);
    const claims = readPermit(report.permit, await this.#permitKey());
    if (claims === null || claims.action !== actionId || claims.requestHash !== action.requestHash)
      throw new AirlockError('permit_invalid', `the permit is not valid for ${actionId}`);
    const execution = await store.getExecution(actionId);
    if (execution === null || execution.mode !== 'agent')
      throw new AirlockError('invalid_state', `${actionId} is not waiting for an outcome from its agent`);
    if ((execution.state.permit as { nonce?: string } | undefined)?.nonce !== claims.nonce)
      throw new AirlockError('permit_invalid', `the permit is not valid for ${actionId}`);

    const now = clock.now();
    if (now.getTime() >= Date.parse(claims.expiresAt)) {
      await this.#expire(actionId, now);
      throw new AirlockError(
        'permit_expired',
        `the permit expired at ${claims.expiresAt}; ${actionId} is unknown`,
      );
    }
    const verification = project().catalog.get(action.type)?.verification ?? null;
    const verify = report.outcome === 'succeeded' && verification !== null;
    const stepped = await applyStep(this.#deps, actionId, ['permitted'], now.toISOString(), () => ({
      phase: verify ? 'verifying' : 'done',
      status: verify ? 'verifying' : report.outcome,
      deadline: verify ? new Date(now.getTime() + (verification?.window ?? 0)).toISOString() : null,
      state: {
        outcome: {
          outcome: report.outcome,
          message: report.message ?? null,
          reportedAt: now.toISOString(),
        },
        ...(report.outcome === 'unknown'
          ? {
              attention: `the agent could not tell whether it took effect: ${report.message ?? 'no reason given'}`,
            }
          : {}),
      },
      events: [
        {
          kind: 'execution.reported',
          actor: { kind: 'agent', id: agent.id },
          data: { outcome: report.outcome, message: report.message ?? null, detail: report.detail ?? null },
        },
      ],
    }));
    if (stepped === null) {
      const current = await store.getExecution(actionId);
      if (current?.state.expired === true)
        throw new AirlockError('permit_expired', `the permit expired; ${actionId} is unknown`);
      throw new AirlockError('permit_used', `the outcome of ${actionId} was reported already`);
    }
    this.#deps.metrics.executions.inc({ mode: 'agent', outcome: report.outcome });
    if (verify) this.#track(actionId, () => this.#deps.aftercare.verify(actionId));
    return stepped.execution;
  }

  /** Start cleared actions nobody claimed (approved from the command line, or a crash came between). */
  async startUnclaimed(limit = RECOVERY_BATCH): Promise<number> {
    let started = 0;
    for (const id of await this.#deps.store.unclaimedActions(limit)) {
      await this.cleared(id);
      started++;
    }
    return started;
  }

  /** Permits that expired with no report: their actions become `unknown`. */
  async expireDue(limit = 100): Promise<number> {
    const now = this.#deps.clock.now();
    const due = await this.#deps.store.dueExecutions('permitted', now.toISOString(), limit);
    let expired = 0;
    for (const id of due) if (await this.#expire(id, now)) expired++;
    return expired;
  }

  /**
   * After a crash or restart, on start and then periodically: what a replica that is gone (this
   * process before a restart, or another that stopped or stopped beating) left running. An
   * execution that was running may or may not have taken effect, so it becomes `unknown` for a
   * human and is never run again; an interrupted verification resumes here (it only reads); a
   * cleared action that was never claimed starts now. Live replicas' executions are left alone.
   */
  async recover(): Promise<{ interrupted: number; resumed: number; started: number }> {
    const { store, clock, logger } = this.#deps;
    const now = clock.now();
    const at = now.toISOString();
    // Decided again inside each step's transaction: two replicas recovering at once adopt it once.
    const orphaned = async (execution: ExecutionRecord, reader: StoreReader = store) =>
      !this.#active.has(execution.actionId) &&
      isOrphaned(
        execution,
        await reader.listReplicas(),
        this.#deps.replica,
        now,
        this.#deps.replicaTimeoutMs,
      );
    let interrupted = 0;
    for (const execution of await store.listExecutions({ phases: ['executing'] }, RECOVERY_BATCH)) {
      if (!(await orphaned(execution))) continue;
      const stepped = await applyStep(this.#deps, execution.actionId, ['executing'], at, async (e, _, tx) =>
        !(await orphaned(e, tx))
          ? null
          : {
              phase: 'done',
              status: 'unknown',
              state: { attention: 'interrupted mid-execution: it may or may not have taken effect' },
              events: [
                {
                  kind: 'execution.interrupted',
                  data: { attempts: execution.attempts, startedAt: execution.createdAt },
                },
              ],
            },
      );
      if (stepped !== null) interrupted++;
    }
    let resumed = 0;
    for (const execution of await store.listExecutions(
      { phases: ['verifying', 'rolling_back'] },
      RECOVERY_BATCH,
    )) {
      if (!(await orphaned(execution))) continue;
      if (execution.phase === 'rolling_back' && execution.state.rollbackStarted === true) {
        // The rollback may or may not have taken effect: people must look, nothing runs again.
        const stepped = await applyStep(
          this.#deps,
          execution.actionId,
          ['rolling_back'],
          at,
          async (e, _, tx) =>
            !(await orphaned(e, tx))
              ? null
              : {
                  phase: 'done',
                  status: 'unknown',
                  state: { attention: 'interrupted mid-rollback: it may or may not have taken effect' },
                  events: [{ kind: 'rollback.interrupted', data: {} }],
                },
        );
        if (stepped !== null) interrupted++;
        continue;
      }
      // Adopt it first (the same phase, this replica its owner): only one replica resumes it.
      const adopted = await applyStep(
        this.#deps,
        execution.actionId,
        [execution.phase],
        at,
        async (e, _, tx) => ((await orphaned(e, tx)) ? { phase: e.phase, events: [] } : null),
      );
      if (adopted === null) continue;
      resumed++;
      const { actionId } = execution;
      this.#track(actionId, () =>
        execution.phase === 'verifying'
          ? this.#deps.aftercare.verify(actionId)
          : this.#deps.aftercare.rollback(actionId),
      );
    }
    const started = await this.startUnclaimed();
    if (interrupted + resumed + started > 0) {
      logger.warn(
        { event: 'executions.recovered', interrupted, resumed, started },
        `recovery: ${interrupted} interrupted execution(s) marked unknown, ${resumed} resumed, ${started} started`,
      );
    }
    return { interrupted, resumed, started };
  }

  /** Wait for running executions to finish (their calls have timeouts); verifications resume on the next start. */
  async close(): Promise<void> {
    this.#deps.aftercare.stop();
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Every background run, so that close() can wait for it and recovery does not touch it. */
  #track(actionId: string, work: () => Promise<void>): void {
    if (this.#active.has(actionId)) return;
    this.#active.add(actionId);
    const tracked = work()
      .catch((error: unknown) =>
        this.#deps.logger.error(
          { event: 'execution.crashed', action: actionId, err: error },
          'an execution step failed',
        ),
      )
      .finally(() => {
        this.#active.delete(actionId);
        this.#running.delete(tracked);
      });
    this.#running.add(tracked);
  }

  /** Run the executor (retrying only an idempotent type), record the outcome, then verify. */
  async #execute(action: ActionRecord, entry: CatalogEntry): Promise<void> {
    const { clock, env, metrics } = this.#deps;
    const execution = entry.execution;
    const executor = execution?.executor;
    if (execution === null || executor === undefined) return;
    const ctx = contextOf(action);
    let attempt = 1;
    let result: ExecutorOutcome;
    const started = performance.now();
    for (;;) {
      result = await runExecutor(executor, ctx, { env, baseDir: entry.baseDir });
      if (result.outcome === 'succeeded' || !execution.idempotent || attempt > execution.retries) break;
      attempt++;
      // The retry is on record before it is made.
      const retried = await applyStep(
        this.#deps,
        action.id,
        ['executing'],
        clock.now().toISOString(),
        () => ({
          phase: 'executing',
          attempts: attempt,
          events: [
            {
              kind: 'execution.retried',
              data: { attempt, previous: { outcome: result.outcome, message: result.message } },
            },
          ],
        }),
      );
      if (retried === null) return;
      await sleep(execution.retryBackoff * 2 ** (attempt - 2));
    }
    metrics.executions.inc({ mode: 'gateway', outcome: result.outcome });
    metrics.executionSeconds.observe((performance.now() - started) / 1000);
    const verify = result.outcome === 'succeeded' && entry.verification !== null;
    const now = clock.now();
    const stepped = await applyStep(
      this.#deps,
      action.id,
      ['executing'],
      now.toISOString(),
      (): Step => ({
        phase: verify ? 'verifying' : 'done',
        status: verify ? 'verifying' : result.outcome,
        deadline: verify ? new Date(now.getTime() + (entry.verification?.window ?? 0)).toISOString() : null,
        state: {
          outcome: {
            outcome: result.outcome,
            message: result.message,
            attempts: attempt,
            finishedAt: now.toISOString(),
          },
          output: result.output,
          ...(result.outcome === 'unknown'
            ? { attention: `the executor's outcome is unknown: ${result.message}` }
            : {}),
        },
        events: [
          {
            kind: 'execution.finished',
            data: {
              outcome: result.outcome,
              message: result.message,
              attempts: attempt,
              detail: result.detail,
            },
          },
        ],
      }),
    );
    this.#log(action, result);
    if (stepped !== null && verify) await this.#deps.aftercare.verify(action.id);
  }

  async #expire(actionId: string, now: Date): Promise<boolean> {
    const stepped = await applyStep(this.#deps, actionId, ['permitted'], now.toISOString(), (execution) => ({
      phase: 'done',
      status: 'unknown',
      state: { expired: true, attention: 'the permit expired with no outcome reported' },
      events: [{ kind: 'permit.expired', data: { expiresAt: execution.deadline } }],
    }));
    if (stepped !== null) this.#deps.metrics.permits.inc({ event: 'expired' });
    return stepped !== null;
  }

  #log(action: ActionRecord, result: ExecutorOutcome): void {
    const level = result.outcome === 'succeeded' ? 'info' : 'warn';
    this.#deps.logger[level](
      { event: 'execution.finished', action: action.id, type: action.type, outcome: result.outcome },
      `${action.id} ${action.type}@${action.environment}: ${result.outcome}: ${result.message}`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
