/**
 * Waiting for an action to reach a state: long-polls one after another, under an overall timeout
 * and the caller's AbortSignal.
 */

import { AirlockAbortError, AirlockSdkError, AirlockTimeoutError } from './errors.ts';
import { isTransient } from './http.ts';
import type { Action, WaitResult } from './types.ts';

/** Statuses after which nothing more happens to an action by itself. */
const SETTLED: ReadonlySet<Action['status']> = new Set([
  'advised',
  'denied',
  'expired',
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
]);

/** Each long-poll asks the server to hold the request this long at most. */
const LONG_POLL_MS = 30_000;
/** Reads that got no answer in a row before the wait gives up (a restart of Airlock takes a few). */
const MAX_FAILURES = 5;

/** Nothing more happens to the action by itself. */
export function isSettled(action: Action): boolean {
  return SETTLED.has(action.status);
}

/** Cleared for its agent to execute: the permit is there. */
export function hasPermit(action: Action): boolean {
  return action.status === 'approved' && action.permit !== null;
}

/** What the loop reads actions with (the client). */
export interface Reader {
  get(id: string, options: { signal: AbortSignal }): Promise<Action>;
  wait(
    id: string,
    options: { status: Action['status']; timeout: number; signal: AbortSignal },
  ): Promise<WaitResult>;
}

/** The overall timeout and cancellation of a wait. */
export interface LoopOptions {
  readonly timeout?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The action as already seen (saves the first read). */
  readonly initial?: Action | undefined;
}

/** Long-poll until `done(action)`; throws `AirlockTimeoutError` or `AirlockAbortError`. */
export async function waitUntil(
  reader: Reader,
  id: string,
  done: (action: Action) => boolean,
  options: LoopOptions = {},
): Promise<Action> {
  const { timeout, signal: callerSignal } = options;
  const timer = timeout === undefined ? undefined : AbortSignal.timeout(timeout);
  const signals = [callerSignal, timer].filter((s): s is AbortSignal => s !== undefined);
  const signal = AbortSignal.any(signals);
  const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
  try {
    let action = options.initial ?? (await reader.get(id, { signal }));
    let pause = 25;
    let failures = 0;
    for (;;) {
      if (done(action)) return action;
      signal.throwIfAborted();
      try {
        if (action.status === 'approved' && action.execution === null) {
          // Cleared, not yet claimed: the claim issues the permit without changing the status, so
          // a long-poll would not notice it. Read again shortly instead.
          await sleep(pause, signal);
          pause = Math.min(pause * 2, 1_000);
          action = await reader.get(id, { signal });
          failures = 0;
          continue;
        }
        pause = 25;
        const wait = Math.max(1, Math.min(LONG_POLL_MS, deadline - Date.now()));
        action = (await reader.wait(id, { status: action.status, timeout: wait, signal })).action;
        failures = 0;
      } catch (error) {
        // Reads are safe to repeat: a blip (or a restart of Airlock) does not end a long wait for a human.
        if (!isTransient(error) || ++failures >= MAX_FAILURES) throw error;
        await sleep(Math.min(250 * 2 ** failures, 5_000), signal);
      }
    }
  } catch (error) {
    if (timer?.aborted === true && callerSignal?.aborted !== true)
      throw new AirlockTimeoutError(`${id} did not reach an outcome within ${timeout} ms`, timeout ?? 0, {
        cause: error,
      });
    if (callerSignal?.aborted === true && !(error instanceof AirlockSdkError))
      throw new AirlockAbortError(`waiting for ${id}: aborted`, { cause: callerSignal.reason });
    throw error;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
