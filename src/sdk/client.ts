/**
 * `AirlockClient`: what an agent calls Airlock for — propose, read, wait, report the outcome of
 * what it executed under a permit, read the catalog — and `guard`, which wraps a tool function.
 */

import { type GuardedFunction, type GuardOptions, type GuardTool, guard } from './guard.ts';
import { send } from './http.ts';
import type { Action, ActionStatus, Catalog, OutcomeReport, Proposal, WaitResult } from './types.ts';
import { hasPermit, isSettled, waitUntil } from './wait-loop.ts';

/**
 * How to reach Airlock.
 *
 * @example
 * ```ts
 * const options: AirlockClientOptions = { url: 'http://127.0.0.1:8080', token: process.env.AIRLOCK_TOKEN ?? '' };
 * ```
 */
export interface AirlockClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  readonly url: string;
  /** The agent's bearer token (`alk_agent_…`). */
  readonly token: string;
  /** The `fetch` to use (default: the global one), e.g. to add a proxy or tracing. */
  readonly fetch?: typeof globalThis.fetch;
  /** How long one request may take, in ms (default 30 000); a long-poll gets its wait on top. */
  readonly timeout?: number;
}

/**
 * Per-call options of every request.
 *
 * @example
 * ```ts
 * await client.get('act_123', { timeout: 5_000, signal: AbortSignal.timeout(10_000) });
 * ```
 */
export interface CallOptions {
  /** Cancels the request: it rejects with `AirlockAbortError`. */
  readonly signal?: AbortSignal | undefined;
  /** This request's timeout in ms, instead of the client's. */
  readonly timeout?: number | undefined;
}

/**
 * Options of one long-poll (`GET /v1/actions/:id/wait`).
 *
 * @example
 * ```ts
 * const { changed } = await client.wait('act_123', { timeout: 20_000, status: 'pending_approval' });
 * ```
 */
export interface WaitOptions {
  /** How long the server holds the request, in ms (default 30 000, at most 120 000). */
  readonly timeout?: number | undefined;
  /** Wait until the status differs from this one (default: the status when the request arrives). */
  readonly status?: ActionStatus | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Options of `waitForOutcome`.
 *
 * @example
 * ```ts
 * await client.waitForOutcome('act_123', { timeout: 15 * 60_000, signal: controller.signal });
 * ```
 */
export interface WaitForOutcomeOptions {
  /** Give up after this many ms with `AirlockTimeoutError` (default: wait as long as it takes). */
  readonly timeout?: number | undefined;
  /** Cancels the wait with `AirlockAbortError`; the action itself is not affected. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Options of `request`, the way to routes this client does not wrap.
 *
 * @example
 * ```ts
 * await client.request('GET', '/v1/actions/act_123', { timeout: 5_000 });
 * ```
 */
export interface RequestOptions extends CallOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | undefined>> | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_WAIT_MS = 120_000;

/**
 * A client of Airlock's HTTP API for agents. Every method throws a typed error: an
 * `AirlockApiError` subclass for an error answer (`NotFoundError`, `ValidationFailedError`, …),
 * `AirlockNetworkError`, `AirlockTimeoutError` or `AirlockAbortError` when there is no answer.
 *
 * @example
 * ```ts
 * import { AirlockClient } from 'airlock/sdk';
 *
 * const airlock = new AirlockClient({ url: 'http://127.0.0.1:8080', token: process.env.AIRLOCK_TOKEN ?? '' });
 * const action = await airlock.propose({
 *   type: 'cache.flush',
 *   environment: 'staging',
 *   targets: [{ id: 'redis-1' }],
 *   params: { keyPattern: 'session:*' },
 *   confidence: 0.9,
 * });
 * console.log(action.status, action.decision.reasons);
 * ```
 */
export class AirlockClient {
  readonly #config: { url: string; token: string; fetch: typeof globalThis.fetch; timeoutMs: number };

  constructor(options: AirlockClientOptions) {
    if (options.url === '') throw new TypeError('AirlockClient: url is required');
    if (options.token === '') throw new TypeError('AirlockClient: token is required');
    this.#config = {
      url: options.url,
      token: options.token,
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs: options.timeout ?? DEFAULT_TIMEOUT_MS,
    };
  }

  /**
   * Propose an action (`POST /v1/actions`); answers the action with its decision: `advised`,
   * `pending_approval`, `denied`, or `approved` (with a `permit` for an agent-executed type).
   * The same `idempotencyKey` returns the action proposed first, so a retry never makes a second.
   *
   * @example
   * ```ts
   * const action = await airlock.propose({
   *   type: 'service.restart',
   *   environment: 'staging',
   *   targets: [{ id: 'api-1' }],
   *   params: { reason: 'memory leak after deploy' },
   *   confidence: 0.93,
   *   idempotencyKey: 'restart-api-1-2026-11-24',
   * });
   * if (action.status === 'pending_approval') console.log('waiting for', action.approval?.group);
   * ```
   */
  async propose(proposal: Proposal, options: CallOptions = {}): Promise<Action> {
    return this.request<Action>('POST', '/v1/actions', { ...options, body: proposal });
  }

  /**
   * One action of this agent, with its status, decision, approval, execution and decision path.
   *
   * @example
   * ```ts
   * const action = await airlock.get('act_123');
   * console.log(action.status, action.path?.map((step) => step.kind));
   * ```
   */
  async get(id: string, options: CallOptions = {}): Promise<Action> {
    return this.request<Action>('GET', `/v1/actions/${encodeURIComponent(id)}`, options);
  }

  /**
   * One long-poll: answers when the action's status differs from `status` (default: its status
   * now) or when `timeout` passes; `changed` says which.
   *
   * @example
   * ```ts
   * const { changed, action } = await airlock.wait('act_123', { timeout: 30_000, status: 'pending_approval' });
   * if (!changed) console.log('still waiting for a human');
   * ```
   */
  async wait(id: string, options: WaitOptions = {}): Promise<WaitResult> {
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    return this.request<WaitResult>('GET', `/v1/actions/${encodeURIComponent(id)}/wait`, {
      query: { timeout: (Math.max(0, timeout) / 1000).toFixed(3), status: options.status },
      signal: options.signal,
      // The server holds the request for the wait: the request timeout comes on top.
      timeout: Math.min(timeout, MAX_WAIT_MS) + this.#config.timeoutMs,
    });
  }

  /**
   * Wait, one long-poll after another, until the action is settled (`advised`, `denied`,
   * `expired`, `succeeded`, `failed`, `rolled_back`, `unknown`) or its permit is available (an
   * agent-executed type cleared: `approved` with `permit`). Throws `AirlockTimeoutError` after
   * `timeout` and `AirlockAbortError` when `signal` aborts; neither changes the action.
   *
   * @example
   * ```ts
   * const proposed = await airlock.propose(proposal);
   * const action = await airlock.waitForOutcome(proposed.id, { timeout: 30 * 60_000 });
   * if (action.permit) {
   *   await flushCache();
   *   await airlock.reportOutcome(action.id, { permit: action.permit.token, outcome: 'succeeded' });
   * }
   * ```
   */
  async waitForOutcome(id: string, options: WaitForOutcomeOptions = {}): Promise<Action> {
    return waitUntil(this, id, (action) => isSettled(action) || hasPermit(action), options);
  }

  /**
   * Report what happened when the agent executed a cleared action under its permit
   * (`POST /v1/actions/:id/outcome`). A permit is good for one report: a second is `PermitUsedError`,
   * one after the permit's expiry `PermitExpiredError`. Answers the action after the report.
   *
   * @example
   * ```ts
   * const done = await airlock.reportOutcome(action.id, {
   *   permit: action.permit.token,
   *   outcome: 'succeeded',
   *   message: 'flushed 120 keys',
   *   detail: { keys: 120 },
   * });
   * console.log(done.status); // succeeded, or verifying when the type has checks
   * ```
   */
  async reportOutcome(id: string, report: OutcomeReport, options: CallOptions = {}): Promise<Action> {
    return this.request<Action>('POST', `/v1/actions/${encodeURIComponent(id)}/outcome`, {
      ...options,
      body: report,
    });
  }

  /**
   * The action types this agent may propose: params schema, tier, domains, reversible, an example.
   *
   * @example
   * ```ts
   * const { types } = await airlock.catalog();
   * for (const t of types) console.log(t.type, t.tier, JSON.stringify(t.example));
   * ```
   */
  async catalog(options: CallOptions = {}): Promise<Catalog> {
    return this.request<Catalog>('GET', '/v1/catalog', options);
  }

  /**
   * Make a tool function governed: each call proposes `actionType` (the options map the input to
   * environment, targets and params), waits for Airlock, and runs `fn` exactly once only when
   * Airlock clears it with a permit; then reports `succeeded` (with a small result as detail) or
   * `failed` (with the error's message) under the permit and returns `fn`'s result. When the action
   * is not cleared (advised, denied, expired, …) `fn` never runs and the call throws
   * `ActionNotClearedError` with the action id and the reasons. A type Airlock executes itself
   * (mode gateway) throws `GatewayExecutedError`.
   *
   * @example
   * ```ts
   * const flush = airlock.guard(
   *   'cache.flush',
   *   async (input: { cluster: string; pattern: string }) => redis(input.cluster).flush(input.pattern),
   *   {
   *     environment: 'staging',
   *     targets: (input) => [{ id: input.cluster }],
   *     params: (input) => ({ keyPattern: input.pattern }),
   *     confidence: 0.9,
   *     reasoning: (input) => `evictions on ${input.cluster} after the deploy`,
   *   },
   * );
   * const flushed = await flush({ cluster: 'redis-1', pattern: 'session:*' });
   * ```
   */
  guard<I, R>(actionType: string, fn: GuardTool<I, R>, options: GuardOptions<I, R>): GuardedFunction<I, R> {
    return guard(this, actionType, fn, options);
  }

  /**
   * Call a route this client does not wrap, with the same token, timeout and typed errors.
   *
   * @example
   * ```ts
   * const openapi = await airlock.request<{ openapi: string }>('GET', '/v1/openapi.json');
   * ```
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await send<T>(this.#config, {
      method,
      path,
      query: options.query,
      body: options.body,
      signal: options.signal,
      timeoutMs: options.timeout,
    });
    return response.body;
  }
}
