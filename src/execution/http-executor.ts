/**
 * The HTTP executor: renders a catalog `http` executor into one request (or one per target),
 * sends it, and says whether it took effect: succeeded, failed (certainly not), or unknown.
 *
 * Every request carries `X-Airlock-Action: <action id>` and `Idempotency-Key: <action id>`
 * (`<action id>:<target id>` per target), so that a receiver can drop a repeat. With `sign`, it
 * also carries `<sign.header>: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed by
 * the environment variable `sign.secretEnv`, over the exact body bytes sent (empty without a body).
 */

import { signWebhook } from '../approvals/webhook-signature.ts';
import type { HttpExecutorSpec } from '../catalog/catalog-schema.ts';
import type { JsonObject, JsonValue } from '../domain/json.ts';
import {
  clipText,
  type ExecutorOutcome,
  MAX_RECORDED_BYTES,
  notRun,
  oneLine,
  runPerTarget,
} from './executor-outcome.ts';
import { type HttpExchange, sendRequest } from './http-request.ts';
import { redact, redactHeaders } from './redact.ts';
import {
  renderString,
  renderValue,
  type TemplateContext,
  type TemplateEnv,
  TemplateError,
} from './template.ts';

export interface HttpRunOptions {
  readonly env: TemplateEnv;
  /** Aborts the call (Airlock shutting down); a call cut off after sending is `unknown`. */
  readonly signal?: AbortSignal;
  /** For signature timestamps; the system clock by default. */
  readonly now?: () => Date;
}

/** The most of an answer read; enough for any sane API response. */
const MAX_READ_BYTES = 1024 * 1024;
const URL_SECRET_REFUSAL = 'a URL (URLs are recorded and logged; send it in a header)';

interface Prepared {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: JsonValue | undefined;
  readonly text: string | null;
  /** Secret values used (templates and the signing key), to redact from the record. */
  readonly secrets: readonly string[];
  /** Headers whose value is a credential. */
  readonly sensitive: readonly string[];
}

/**
 * Carry out `spec` for the action in `ctx`. Never rejects for anything the target does; a
 * template without a value means nothing is sent (`failed`, "not run").
 *
 * @example
 * const result = await runHttp(spec, ctx, { env: process.env });
 * // { outcome: 'succeeded', message: 'POST https://deploy.internal/scale → 200', detail, output }
 */
export function runHttp(
  spec: HttpExecutorSpec,
  ctx: TemplateContext,
  options: HttpRunOptions,
): Promise<ExecutorOutcome> {
  return spec.perTarget
    ? runPerTarget(ctx, (one) => callOnce(spec, one, options))
    : callOnce(spec, ctx, options);
}

async function callOnce(
  spec: HttpExecutorSpec,
  ctx: TemplateContext,
  options: HttpRunOptions,
): Promise<ExecutorOutcome> {
  let prepared: Prepared;
  try {
    prepared = prepare(spec, ctx, options);
  } catch (error) {
    if (error instanceof TemplateError || error instanceof NotSendable) return notRun(error.message);
    throw error;
  }
  const started = performance.now();
  const exchange = await sendRequest({
    method: prepared.method,
    url: prepared.url,
    headers: prepared.headers,
    body: prepared.text,
    timeout: spec.timeout,
    signal: options.signal,
    maxBodyBytes: MAX_READ_BYTES,
  });
  return outcomeOf(spec, prepared, exchange, Math.round(performance.now() - started));
}

class NotSendable extends Error {
  override readonly name = 'NotSendable';
}

function prepare(spec: HttpExecutorSpec, ctx: TemplateContext, options: HttpRunOptions): Prepared {
  const { env } = options;
  const secrets: string[] = [];
  const sensitive: string[] = [];
  const rawUrl = renderString(spec.url, ctx, env, {
    encode: 'uri',
    forbidSecretsIn: URL_SECRET_REFUSAL,
  }).value;
  const url = URL.parse(rawUrl);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new NotSendable(`"${rawUrl}" is not an http(s) URL`);
  }
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(spec.headers)) {
    const rendered = renderString(template, ctx, env);
    headers[name.toLowerCase()] = rendered.value;
    secrets.push(...rendered.secrets);
    if (rendered.secrets.length > 0) sensitive.push(name);
  }
  let body: JsonValue | undefined;
  let text: string | null = null;
  if (spec.body !== undefined) {
    const rendered = renderValue(spec.body, ctx, env);
    body = rendered.value;
    text = JSON.stringify(body);
    secrets.push(...rendered.secrets);
    headers['content-type'] ??= 'application/json';
  }
  const key = ctx.target === null ? ctx.action.id : `${ctx.action.id}:${ctx.target.id}`;
  headers['x-airlock-action'] = ctx.action.id;
  headers['idempotency-key'] = key;
  if (spec.sign !== undefined) {
    const secret = env[spec.sign.secretEnv];
    if (secret === undefined || secret === '') {
      throw new NotSendable(`the signing key's environment variable ${spec.sign.secretEnv} is not set`);
    }
    const timestamp = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
    headers[spec.sign.header.toLowerCase()] = `t=${timestamp},${signWebhook(secret, timestamp, text ?? '')}`;
    secrets.push(secret);
    sensitive.push(spec.sign.header);
  }
  return { method: spec.method, url, headers, body, text, secrets, sensitive };
}

function outcomeOf(
  spec: HttpExecutorSpec,
  prepared: Prepared,
  exchange: HttpExchange,
  durationMs: number,
): ExecutorOutcome {
  const call = `${prepared.method} ${prepared.url.href}`;
  const expected = (status: number) =>
    spec.expectStatus === undefined ? status >= 200 && status < 300 : spec.expectStatus.includes(status);
  const wanted = spec.expectStatus === undefined ? '2xx' : spec.expectStatus.join(' or ');
  const request: JsonObject = {
    method: prepared.method,
    url: prepared.url.href,
    headers: redactHeaders(prepared.headers, prepared.sensitive),
    ...(prepared.body === undefined ? {} : { body: prepared.body }),
  };
  let result: ExecutorOutcome;
  if (exchange.kind === 'unsent') {
    const message = `${call}: ${exchange.error}; nothing was sent`;
    result = {
      outcome: 'failed',
      message,
      detail: { request, response: null, durationMs, error: exchange.error },
      output: null,
    };
  } else if (exchange.kind === 'broken') {
    const refused = exchange.status !== null && !expected(exchange.status);
    const message = refused
      ? `${call} → ${exchange.status} (expected ${wanted}), then ${exchange.error}`
      : `${call}: ${exchange.error} after the request was sent; it may have taken effect`;
    const response = exchange.status === null ? null : { status: exchange.status, body: null };
    const detail = { request, response, durationMs, error: exchange.error };
    result = { outcome: refused ? 'failed' : 'unknown', message, detail, output: null };
  } else {
    const { recorded, output } = readBody(exchange, prepared.secrets);
    const ok = expected(exchange.status);
    const message = `${call} → ${exchange.status}${ok ? '' : ` (expected ${wanted})`}`;
    const detail = { request, response: { status: exchange.status, body: recorded }, durationMs };
    result = { outcome: ok ? 'succeeded' : 'failed', message, detail, output };
  }
  return redact({ ...result, message: oneLine(result.message) }, prepared.secrets);
}

/**
 * The answer's body for the record (at most 4 KiB of it) and as output (parsed when JSON). Redacted
 * before it is cut, so that a secret across the cut is found whole.
 */
function readBody(
  exchange: Extract<HttpExchange, { kind: 'answered' }>,
  secrets: readonly string[],
): { recorded: JsonValue; output: JsonValue | null } {
  const text = redact(exchange.body.toString('utf8'), secrets);
  if (text === '') return { recorded: null, output: null };
  const json =
    /\bjson\b/i.test(exchange.contentType ?? '') && !exchange.truncated ? parseJson(text) : undefined;
  const clipped = clipText(text, MAX_RECORDED_BYTES, exchange.truncated);
  if (json === undefined) return { recorded: clipped, output: clipped };
  return { recorded: text.length <= MAX_RECORDED_BYTES ? json : clipped, output: json };
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}
