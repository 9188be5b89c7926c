/**
 * The SDK's one way to talk to Airlock: a JSON request with the bearer token, a timeout and the
 * caller's AbortSignal, answered with the parsed body or a typed error.
 */

import { apiErrorFrom, UnavailableError } from './api-errors.ts';
import {
  AirlockAbortError,
  AirlockNetworkError,
  AirlockResponseError,
  AirlockTimeoutError,
} from './errors.ts';

/** Where and as whom every request goes, and how long one may take by default. */
export interface HttpConfig {
  readonly url: string;
  readonly token: string;
  readonly fetch: typeof globalThis.fetch;
  readonly timeoutMs: number;
}

/** One request: method, path, query, JSON body, cancellation and its own timeout. */
export interface HttpRequest {
  readonly method: string;
  /** From the root of the server, e.g. `/v1/actions`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>> | undefined;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
}

/** A successful answer, its body parsed. */
export interface HttpResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** Send one request; throws an `AirlockApiError` subclass for an error answer. */
export async function send<T>(config: HttpConfig, request: HttpRequest): Promise<HttpResponse<T>> {
  const label = `${request.method} ${request.path}`;
  const timeoutMs = request.timeoutMs ?? config.timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]);
  const headers: Record<string, string> = {
    authorization: `Bearer ${config.token}`,
    accept: 'application/json',
  };
  if (request.body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  let text: string;
  try {
    response = await config.fetch(urlOf(config.url, request), {
      method: request.method,
      headers,
      signal,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    text = await response.text();
  } catch (error) {
    if (request.signal?.aborted === true)
      throw new AirlockAbortError(`${label}: aborted`, { cause: request.signal.reason });
    if (timeout.aborted)
      throw new AirlockTimeoutError(`${label}: no answer within ${timeoutMs} ms`, timeoutMs, {
        cause: error,
      });
    throw new AirlockNetworkError(label, { cause: error });
  }

  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    throw new AirlockResponseError(
      `${label}: the answer is not JSON (HTTP ${response.status})`,
      response.status,
      text,
    );
  }
  if (!response.ok) {
    throw (
      apiErrorFrom(response.status, body) ??
      new AirlockResponseError(
        `${label}: HTTP ${response.status} without an Airlock error`,
        response.status,
        text,
      )
    );
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** No answer, or Airlock asked to try again: a read, or a request with an idempotency key, may be repeated. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof AirlockNetworkError ||
    error instanceof AirlockTimeoutError ||
    error instanceof UnavailableError
  );
}

function urlOf(base: string, request: HttpRequest): URL {
  const url = new URL(request.path.replace(/^\/+/, ''), base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(request.query ?? {}))
    if (value !== undefined) url.searchParams.set(key, value);
  return url;
}
