/**
 * `guard`: a tool function made governed. Each call proposes, waits for Airlock, runs the function
 * exactly once only under a permit, and reports its outcome under that permit.
 */

import { PermitUsedError } from './api-errors.ts';
import type { AirlockClient } from './client.ts';
import { AirlockAbortError } from './errors.ts';
import { ActionNotClearedError, GatewayExecutedError, OutcomeNotRecordedError } from './guard-errors.ts';
import { isTransient } from './http.ts';
import type { Action, JsonObject, Permit, Proposal } from './types.ts';
import { hasPermit, isSettled, waitUntil } from './wait-loop.ts';

/** What the outcome route keeps at most (`detail`, as JSON) and a message's length. */
const MAX_DETAIL_CHARS = 16 * 1024;
const MAX_MESSAGE_CHARS = 2000;
/** Attempts of a request that is safe to repeat (a proposal with its idempotency key, a report). */
const ATTEMPTS = 3;

/**
 * A value, or how to get it from the guarded function's input.
 *
 * @example
 * ```ts
 * const environment: FromInput<{ env: string }, string> = (input) => input.env;
 * ```
 */
export type FromInput<I, T> = T | ((input: I) => T);

/**
 * How a guarded call becomes a proposal, and what to report afterwards.
 *
 * @example
 * ```ts
 * const options: GuardOptions<{ cluster: string }, number> = {
 *   environment: 'staging',
 *   targets: (input) => [{ id: input.cluster }],
 *   params: { keyPattern: '*' },
 *   confidence: 0.9,
 *   message: (flushed) => `flushed ${flushed} keys`,
 * };
 * ```
 */
export interface GuardOptions<I, R> {
  /** The environment the call acts on, e.g. `staging`. */
  readonly environment: FromInput<I, string>;
  /** What the call touches: `[{ id, …attributes }]`. */
  readonly targets: FromInput<I, NonNullable<Proposal['targets']>>;
  /** The action type's params (default `{}`), checked against its schema in the catalog. */
  readonly params?: FromInput<I, NonNullable<Proposal['params']>>;
  /** The agent's confidence, 0..1; levels 2 and 3 act alone only above their threshold. */
  readonly confidence?: FromInput<I, number | undefined>;
  /** How unusual the situation is, 0..1. */
  readonly anomalyScore?: FromInput<I, number | undefined>;
  /** Shown to approvers: why the agent wants this. */
  readonly reasoning?: FromInput<I, string | undefined>;
  /** What the agent saw: alerts, metrics, links. */
  readonly context?: FromInput<I, Proposal['context']>;
  /** The incident the call belongs to, to group actions. */
  readonly incident?: FromInput<I, string | undefined>;
  /** Give up waiting for a decision or an approval after this many ms (default: as long as it takes). */
  readonly timeout?: number;
  /** Cancels every call's wait (a call's own `signal` too); `fn` is never started after it aborts. */
  readonly signal?: AbortSignal;
  /** Called once the action is proposed, e.g. to log its id while a human decides. */
  readonly onProposed?: (action: Action) => void;
  /** The success message to report (default none). */
  readonly message?: (result: Awaited<R>) => string | undefined;
  /** The success detail to report (default `{ result }` when it is JSON of at most 16 KiB). */
  readonly detail?: (result: Awaited<R>) => JsonObject | undefined;
}

/**
 * What the tool function gets besides its input: the cleared action and its permit.
 *
 * @example
 * ```ts
 * const tool = async (input: { cluster: string }, { action }: GuardContext) => {
 *   console.log(`running ${action.id} under its permit`);
 * };
 * ```
 */
export interface GuardContext {
  readonly action: Action;
  readonly permit: Permit;
}

/**
 * The function `guard` wraps.
 *
 * @example
 * ```ts
 * const tool: GuardTool<{ cluster: string }, number> = async ({ cluster }) => flushAll(cluster);
 * ```
 */
export type GuardTool<I, R> = (input: I, context: GuardContext) => R;

/**
 * The governed function `guard` returns: the tool's input in, the tool's result out.
 *
 * @example
 * ```ts
 * const flush: GuardedFunction<{ cluster: string }, Promise<number>> = airlock.guard('cache.flush', tool, options);
 * const keys = await flush({ cluster: 'redis-1' }, { signal: AbortSignal.timeout(60_000) });
 * ```
 */
export type GuardedFunction<I, R> = (input: I, options?: { signal?: AbortSignal }) => Promise<Awaited<R>>;

/** See `AirlockClient.guard`. */
export function guard<I, R>(
  client: AirlockClient,
  actionType: string,
  fn: GuardTool<I, R>,
  options: GuardOptions<I, R>,
): GuardedFunction<I, R> {
  return async (input, call = {}): Promise<Awaited<R>> => {
    const signals = [options.signal, call.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    // A fresh key per call: retries of this proposal return the same action, never a second one.
    const proposal = proposalOf(actionType, input, options, `guard-${globalThis.crypto.randomUUID()}`);
    const proposed = await retrying(() => client.propose(proposal, { signal }));
    options.onProposed?.(proposed);

    const ready = (a: Action) => isSettled(a) || hasPermit(a) || a.execution?.mode === 'gateway';
    const action = ready(proposed)
      ? proposed
      : await waitUntil(client, proposed.id, ready, { timeout: options.timeout, signal, initial: proposed });
    if (action.execution?.mode === 'gateway') throw new GatewayExecutedError(action);
    if (!hasPermit(action) || action.permit === null) throw new ActionNotClearedError(action);
    const permit = action.permit;
    if (signal?.aborted === true) {
      // Cleared, but the caller is gone: say so under the permit rather than leave it to expire as `unknown`.
      const message = 'not run: the caller cancelled before it started';
      await report(client, action.id, { permit: permit.token, outcome: 'failed', message }).catch(() => {});
      throw new AirlockAbortError(`${action.id}: ${message}`, { cause: signal.reason });
    }
    let result: Awaited<R>;
    try {
      result = await fn(input, { action, permit });
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_MESSAGE_CHARS);
      // The function's error is what the caller needs; a failed report leaves the action for a human.
      await report(client, action.id, { permit: permit.token, outcome: 'failed', message }).catch(() => {});
      throw error;
    }
    const message = options.message?.(result)?.slice(0, MAX_MESSAGE_CHARS);
    const detail = options.detail === undefined ? detailOf(result) : options.detail(result);
    try {
      await report(client, action.id, {
        permit: permit.token,
        outcome: 'succeeded',
        ...(message === undefined ? {} : { message }),
        ...(detail === undefined ? {} : { detail }),
      });
    } catch (error) {
      throw new OutcomeNotRecordedError(action.id, result, error);
    }
    return result;
  };
}

function proposalOf<I, R>(
  type: string,
  input: I,
  options: GuardOptions<I, R>,
  idempotencyKey: string,
): Proposal {
  const from = <T>(value: FromInput<I, T>): T =>
    typeof value === 'function' ? (value as (input: I) => T)(input) : value;
  const optional = {
    confidence: from(options.confidence),
    anomalyScore: from(options.anomalyScore),
    reasoning: from(options.reasoning),
    context: from(options.context),
    incident: from(options.incident),
  };
  return {
    type,
    environment: from(options.environment),
    targets: from(options.targets),
    params: from(options.params) ?? {},
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    idempotencyKey,
  };
}

/** Report under the permit; on a retry, `permit_used` means an earlier attempt got through. */
async function report(
  client: AirlockClient,
  id: string,
  body: Parameters<AirlockClient['reportOutcome']>[1],
) {
  let attempt = 0;
  return retrying(async () => {
    attempt++;
    try {
      return await client.reportOutcome(id, body);
    } catch (error) {
      if (attempt > 1 && error instanceof PermitUsedError) return client.get(id);
      throw error;
    }
  });
}

/** Repeat a request that is safe to repeat while there is no answer, or the server asks for it. */
async function retrying<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!isTransient(error) || attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** `{ result }` when the result is JSON small enough to keep, else nothing. */
function detailOf(result: unknown): JsonObject | undefined {
  if (result === undefined) return undefined;
  try {
    const text = JSON.stringify({ result });
    if (text.length > MAX_DETAIL_CHARS) return undefined;
    const detail = JSON.parse(text) as JsonObject;
    return 'result' in detail ? detail : undefined;
  } catch {
    return undefined; // not JSON (a cycle, a BigInt)
  }
}
