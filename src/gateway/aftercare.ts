/**
 * After execution: verify that production is still healthy, and undo what hurt. Verification
 * samples every check each interval until the window ends; one failed check fails it and starts
 * the rollback. The rollback is claimed like an execution (it runs at most once: after a crash
 * mid-rollback the action is `unknown`), and a rollback that fails alerts the route's people.
 */

import { routeFor } from '../approvals/routing.ts';
import type { CatalogEntry } from '../catalog/catalog.ts';
import type { ExecutorSpec } from '../catalog/catalog-schema.ts';
import type { JsonObject, JsonValue } from '../domain/json.ts';
import { type CheckResult, runCheck } from '../execution/checks.ts';
import { runExecutor } from '../execution/run-executor.ts';
import { renderValue, type TemplateContext, type TemplateEnv } from '../execution/template.ts';
import type { Project } from '../project/project-loader.ts';
import type { ActionRecord, OutboxRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { ActionEvents } from './action-events.ts';
import type { Clock } from './clock.ts';
import { applyStep, type StepLedger } from './execution-steps.ts';
import { newId } from './ids.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface AftercareDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly project: () => Project;
  readonly events: ActionEvents;
  /** Where outcomes become evidence, and demotions follow. */
  readonly ledger: StepLedger;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly env: TemplateEnv;
  readonly onNotify: () => void;
  /** This process, recorded as the owner of the phases it runs. */
  readonly replica: string;
}

/** The template context of an action: its params and targets, as the executor and checks see them. */
export function contextOf(action: ActionRecord): TemplateContext {
  return {
    params: action.request.params,
    targets: action.request.targets,
    target: null,
    action: { id: action.id, type: action.type },
    environment: action.environment,
    agent: { id: action.agentId },
  };
}

type RollbackPlan =
  | {
      readonly kind: 'run';
      readonly via: JsonObject;
      readonly executor: ExecutorSpec;
      readonly ctx: TemplateContext;
      readonly baseDir: string;
    }
  | { readonly kind: 'none'; readonly why: string };

export class Aftercare {
  readonly #deps: AftercareDeps;
  readonly #stopping = new AbortController();

  constructor(deps: AftercareDeps) {
    this.#deps = deps;
  }

  /** Stop sampling (on shutdown); an unfinished verification resumes on the next start. */
  stop(): void {
    this.#stopping.abort();
  }

  async verify(actionId: string): Promise<void> {
    const { store, project } = this.#deps;
    const action = await store.getAction(actionId);
    const execution = await store.getExecution(actionId);
    if (action === null || execution === null || execution.phase !== 'verifying') return;
    const entry = project().catalog.get(action.type);
    const spec = entry?.verification ?? null;
    if (entry === undefined || spec === null) {
      await this.#pass(actionId, 0);
      return;
    }
    const planned = Math.max(1, Math.floor(spec.window / spec.interval));
    const prometheus = project().config.prometheus ?? null;
    const ctx = contextOf(action);
    for (let sample = Number(execution.state.samples ?? 0) + 1; sample <= planned; sample++) {
      if (!(await this.#sleep(spec.interval))) return;
      const results = (
        await Promise.all(
          spec.checks.map((check) =>
            runCheck(check, ctx, {
              env: this.#deps.env,
              baseDir: entry.baseDir,
              prometheus,
              signal: this.#stopping.signal,
            }),
          ),
        )
      ).flat();
      if (this.#stopping.signal.aborted) return;
      const failed = results.filter((r) => !r.passed);
      const stepped = await this.#sample(actionId, sample, planned, results, failed);
      if (stepped === null) return;
      if (failed.length > 0) {
        this.#deps.metrics.verifications.inc({ result: 'failed' });
        await this.rollback(actionId);
        return;
      }
    }
    await this.#pass(actionId, planned);
  }

  /** Undo a failed action: another catalog action with mapped params, or an executor call. */
  async rollback(actionId: string): Promise<void> {
    const { store, clock, project } = this.#deps;
    const action = await store.getAction(actionId);
    const execution = await store.getExecution(actionId);
    if (action === null || execution === null || execution.phase !== 'rolling_back') return;
    if (execution.state.rollbackStarted === true) return; // a crash mid-rollback: recovery marks it unknown
    const plan = planRollback(action, project(), this.#deps.env, execution.state.output ?? null);
    if (plan.kind === 'none') {
      await this.#rollbackFailed(action, 'rollback.unavailable', plan.why, {});
      return;
    }
    const claimed = await applyStep(
      this.#deps,
      actionId,
      ['rolling_back'],
      clock.now().toISOString(),
      (current) =>
        current.state.rollbackStarted === true
          ? null
          : {
              phase: 'rolling_back',
              state: { rollbackStarted: true },
              events: [{ kind: 'rollback.started', data: { via: plan.via } }],
            },
    );
    if (claimed === null) return;
    const result = await runExecutor(plan.executor, plan.ctx, { env: this.#deps.env, baseDir: plan.baseDir });
    this.#deps.metrics.rollbacks.inc({ result: result.outcome });
    const data = { outcome: result.outcome, message: result.message, detail: result.detail };
    if (result.outcome !== 'succeeded') {
      await this.#rollbackFailed(action, 'rollback.failed', result.message, data);
      return;
    }
    await applyStep(this.#deps, actionId, ['rolling_back'], clock.now().toISOString(), () => ({
      phase: 'done',
      status: 'rolled_back',
      state: { rollback: { outcome: 'succeeded', message: result.message } },
      events: [{ kind: 'rollback.finished', data }],
    }));
    this.#deps.logger.warn(
      { event: 'rollback.finished', action: actionId, type: action.type },
      `${actionId} ${action.type}@${action.environment}: verification failed; rolled back`,
    );
  }

  async #sample(
    actionId: string,
    sample: number,
    planned: number,
    results: CheckResult[],
    failed: CheckResult[],
  ) {
    const { clock } = this.#deps;
    const data = { sample, of: planned, results: results as unknown as JsonValue };
    return applyStep(this.#deps, actionId, ['verifying'], clock.now().toISOString(), () =>
      failed.length === 0
        ? { phase: 'verifying', state: { samples: sample }, events: [{ kind: 'verification.sample', data }] }
        : {
            phase: 'rolling_back',
            deadline: null,
            status: 'verifying',
            state: { samples: sample, verification: { passed: false, failed: failed.map((f) => f.name) } },
            events: [
              { kind: 'verification.sample', data },
              { kind: 'verification.failed', data: { sample, failed: failed as unknown as JsonValue } },
            ],
          },
    );
  }

  async #pass(actionId: string, samples: number): Promise<void> {
    const { clock } = this.#deps;
    const stepped = await applyStep(this.#deps, actionId, ['verifying'], clock.now().toISOString(), () => ({
      phase: 'done',
      status: 'succeeded',
      deadline: null,
      state: { verification: { passed: true } },
      events: [{ kind: 'verification.passed', data: { samples } }],
    }));
    if (stepped !== null) this.#deps.metrics.verifications.inc({ result: 'passed' });
  }

  /** The action stays failed and needs people: say so in the audit chain, the log and the route's webhooks. */
  async #rollbackFailed(action: ActionRecord, kind: string, why: string, data: JsonObject): Promise<void> {
    const { clock, project, logger } = this.#deps;
    const outbox = alertsFor(action, project(), `Rollback of ${action.id} failed: ${why}`);
    const stepped = await applyStep(
      this.#deps,
      action.id,
      ['rolling_back'],
      clock.now().toISOString(),
      () => ({
        phase: 'done',
        status: 'failed',
        state: {
          rollback: { outcome: 'failed', message: why },
          attention: `verification failed and the rollback failed: ${why}`,
        },
        events: [
          { kind, data: { ...data, reason: why, alerted: [...new Set(outbox.map((m) => m.webhook))] } },
        ],
        outbox,
      }),
    );
    if (stepped === null) return;
    logger.error(
      { event: kind, action: action.id, type: action.type, reason: why },
      `${action.id} ${action.type}@${action.environment}: verification failed and the rollback failed: ${why}`,
    );
    if (outbox.length > 0) this.#deps.onNotify();
  }

  /** Resolves false when stopped. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#stopping.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** What the rollback runs, with params mapped from the original and checked against their type. */
function planRollback(
  action: ActionRecord,
  project: Project,
  env: TemplateEnv,
  output: unknown,
): RollbackPlan {
  const entry: CatalogEntry | undefined = project.catalog.get(action.type);
  const spec = entry?.rollback ?? null;
  if (entry === undefined || spec === null)
    return { kind: 'none', why: `${action.type} declares no rollback` };
  const ctx = contextOf(action);
  if ('executor' in spec)
    return {
      kind: 'run',
      via: { executor: spec.executor.kind },
      executor: spec.executor,
      ctx,
      baseDir: entry.baseDir,
    };

  const target = project.catalog.get(spec.action);
  const executor = target?.execution?.executor;
  if (target === undefined || executor === undefined)
    return { kind: 'none', why: `rollback action ${spec.action} has no executor Airlock can run` };
  let params: JsonValue;
  try {
    const original = {
      params: action.request.params,
      targets: action.request.targets,
      target: null,
      output: (output ?? null) as JsonValue,
    };
    params = renderValue(spec.params, { ...ctx, original }, env).value;
  } catch (error) {
    return { kind: 'none', why: `rollback params: ${(error as Error).message}` };
  }
  if (!target.validateParams(params)) {
    const why = (target.validateParams.errors ?? [])
      .map((e) => `${e.instancePath || 'params'} ${e.message}`)
      .join('; ');
    return { kind: 'none', why: `rollback params do not fit ${spec.action}: ${why}` };
  }
  return {
    kind: 'run',
    via: { action: spec.action, params },
    executor,
    ctx: { ...ctx, params: params as JsonObject, action: { id: action.id, type: spec.action } },
    baseDir: target.baseDir,
  };
}

/** Webhook messages to the people of the action's route: its own webhooks and every step's. */
function alertsFor(action: ActionRecord, project: Project, text: string): OutboxRecord[] {
  const owner = (action.facts as { agent?: { owner?: string } }).agent?.owner ?? '';
  const route = routeFor(project.routing, action.decision.route, owner);
  const hooks = new Set(route.notify);
  for (const step of route.steps) for (const name of step.notify) hooks.add(name);
  const at = new Date().toISOString();
  const payload: JsonObject = {
    text,
    event: 'action.rollback_failed',
    route: route.name,
    groups: route.steps.map((s) => s.group),
    action: {
      id: action.id,
      agent: action.agentId,
      type: action.type,
      environment: action.environment,
      targets: action.request.targets as unknown as JsonObject[],
    },
  };
  return [...hooks]
    .filter((name) => project.routing.webhooks.has(name))
    .map((webhook) => ({
      id: newId('ntf', new Date(at)),
      subject: action.id,
      webhook,
      event: 'action.rollback_failed',
      payload,
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: at,
      lastError: null,
      createdAt: at,
      updatedAt: at,
    }));
}
