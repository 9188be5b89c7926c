/**
 * The Airlock SDK for agents that call Airlock directly: `AirlockClient` (propose, read, wait,
 * report outcomes, the catalog), `guard` for governed tool functions, the API's shapes as types,
 * and typed errors. No runtime dependencies; Node 24 or any runtime with `fetch` and `AbortSignal.any`.
 *
 * @example
 * ```ts
 * import { ActionNotClearedError, AirlockClient } from 'airlock/sdk';
 *
 * const airlock = new AirlockClient({ url: 'http://127.0.0.1:8080', token: process.env.AIRLOCK_TOKEN ?? '' });
 * const flush = airlock.guard('cache.flush', async (cluster: string) => `flushed ${cluster}`, {
 *   environment: 'staging',
 *   targets: (cluster) => [{ id: cluster }],
 *   confidence: 0.9,
 * });
 * try {
 *   console.log(await flush('redis-1'));
 * } catch (error) {
 *   if (error instanceof ActionNotClearedError) console.log(error.status, error.message);
 * }
 * ```
 *
 * @module
 */

export * from './api-errors.ts';
export {
  AirlockClient,
  type AirlockClientOptions,
  type CallOptions,
  type RequestOptions,
  type WaitForOutcomeOptions,
  type WaitOptions,
} from './client.ts';
export * from './errors.ts';
export type { FromInput, GuardContext, GuardedFunction, GuardOptions, GuardTool } from './guard.ts';
export * from './guard-errors.ts';
export type * from './types.ts';
