/**
 * One HTTP exchange on a fresh connection, telling apart a request that never left (nothing
 * happened) from one that may have reached the server (something may have). Built on node:http
 * rather than fetch because only the socket knows whether the connection was ever established.
 */

import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  /** Milliseconds for the whole exchange, connecting to the last byte of the answer. */
  readonly timeout: number;
  readonly signal?: AbortSignal | undefined;
  /** The answer is read up to this many bytes; the rest is dropped (`truncated`). */
  readonly maxBodyBytes: number;
}

export type HttpExchange =
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly contentType: string | null;
      readonly body: Buffer;
      readonly truncated: boolean;
    }
  /** Certainly not received: no connection was made (unknown host, refused, TLS failure, bad header). */
  | { readonly kind: 'unsent'; readonly error: string }
  /** The connection was made, then the exchange broke off: the server may have acted on it. */
  | { readonly kind: 'broken'; readonly status: number | null; readonly error: string };

const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/** Send the request and read the answer; never rejects. Redirects are not followed. */
export function sendRequest(request: HttpRequest): Promise<HttpExchange> {
  const timeout = AbortSignal.timeout(request.timeout);
  const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
  const describe = (error: unknown) => describeError(error, request, timeout);
  return new Promise((resolve) => {
    let connected = false;
    let status: number | null = null;
    let settled = false;
    const settle = (exchange: HttpExchange) => {
      if (settled) return;
      settled = true;
      resolve(exchange);
    };
    const fail = (error: unknown) =>
      settle(
        connected
          ? { kind: 'broken', status, error: describe(error) }
          : { kind: 'unsent', error: describe(error) },
      );
    const secure = request.url.protocol === 'https:';
    let outgoing: http.ClientRequest;
    try {
      outgoing = (secure ? https : http).request(request.url, {
        method: request.method,
        headers: request.headers,
        // A pooled socket could be one the server is closing; a fresh one says truly whether we got through.
        agent: false,
        signal,
      });
    } catch (error) {
      // Invalid header names or values (a newline from a template): refused before connecting.
      settle({ kind: 'unsent', error: describe(error) });
      return;
    }
    outgoing.on('socket', (socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        connected = true;
      });
    });
    outgoing.on('error', fail);
    outgoing.on('response', (response) => {
      status = response.statusCode ?? 0;
      const contentType = response.headers['content-type'] ?? null;
      const chunks: Buffer[] = [];
      let size = 0;
      const answered = (truncated: boolean) => {
        const body = Buffer.concat(chunks).subarray(0, request.maxBodyBytes);
        settle({ kind: 'answered', status: status ?? 0, contentType, body, truncated });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.byteLength;
        if (size > request.maxBodyBytes) {
          answered(true);
          response.destroy();
        }
      });
      response.on('end', () => answered(false));
      response.on('error', fail);
      response.on('close', () => fail(new Error('the connection closed before the answer was complete')));
    });
    outgoing.end(request.body ?? undefined);
  });
}

function describeError(error: unknown, request: HttpRequest, timeout: AbortSignal): string {
  if (timeout.aborted) return `no answer within ${request.timeout} ms`;
  if (request.signal?.aborted) return 'interrupted: Airlock stopped waiting';
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const known = code === undefined ? undefined : CONNECT_ERRORS[code];
  return known === undefined ? error.message : `${known} (${code})`;
}
