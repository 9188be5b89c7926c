/**
 * Errors of the SDK that are not the API's: the base class of everything the client throws, and
 * failures to get an answer at all (network, timeout, cancellation, a reply that is not Airlock's).
 */

/**
 * The base class of every error the SDK throws: API errors, transport failures and the guard's refusals.
 *
 * @example
 * ```ts
 * try {
 *   await client.get('act_123');
 * } catch (error) {
 *   if (error instanceof AirlockSdkError) console.error(error.name, error.message);
 * }
 * ```
 */
export class AirlockSdkError extends Error {
  override readonly name: string = 'AirlockSdkError';
}

/**
 * The request never got an answer: the connection failed or was reset. `cause` holds what `fetch` threw.
 * Nothing is known about whether a proposal was recorded: retry with the same `idempotencyKey`.
 *
 * @example
 * ```ts
 * try {
 *   await client.catalog();
 * } catch (error) {
 *   if (error instanceof AirlockNetworkError) console.error('Airlock unreachable:', error.cause);
 * }
 * ```
 */
export class AirlockNetworkError extends AirlockSdkError {
  override readonly name = 'AirlockNetworkError';
  /** The method and path of the request that failed. */
  readonly request: string;

  constructor(request: string, options: ErrorOptions) {
    super(`${request}: Airlock could not be reached`, options);
    this.request = request;
  }
}

/**
 * A request, or a wait for an outcome, took longer than allowed.
 *
 * @example
 * ```ts
 * try {
 *   await client.waitForOutcome('act_123', { timeout: 60_000 });
 * } catch (error) {
 *   if (error instanceof AirlockTimeoutError) console.warn(`still undecided after ${error.timeoutMs} ms`);
 * }
 * ```
 */
export class AirlockTimeoutError extends AirlockSdkError {
  override readonly name = 'AirlockTimeoutError';
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number, options?: ErrorOptions) {
    super(message, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The caller's `AbortSignal` ended the call; `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 5_000);
 * try {
 *   await client.waitForOutcome('act_123', { signal: stop.signal });
 * } catch (error) {
 *   if (error instanceof AirlockAbortError) console.log('gave up waiting');
 * }
 * ```
 */
export class AirlockAbortError extends AirlockSdkError {
  override readonly name = 'AirlockAbortError';
}

/**
 * An answer that is not Airlock's: an error status without the error envelope (a proxy's error
 * page, say), or a body that is not JSON.
 *
 * @example
 * ```ts
 * try {
 *   await client.catalog();
 * } catch (error) {
 *   if (error instanceof AirlockResponseError) console.error(error.status, error.body.slice(0, 200));
 * }
 * ```
 */
export class AirlockResponseError extends AirlockSdkError {
  override readonly name = 'AirlockResponseError';
  /** The HTTP status. */
  readonly status: number;
  /** The body as received. */
  readonly body: string;

  constructor(message: string, status: number, body: string) {
    super(message);
    this.status = status;
    this.body = body;
  }
}
