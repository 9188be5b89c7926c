/**
 * The Prometheus check: one instant query; every series it returns must meet the threshold.
 * Fails closed: an error, an unreachable server, NaN, or (by default) no data at all is a failure,
 * since none of them is evidence that the action left the system healthy.
 */

import type { VerificationCheckSpec } from '../catalog/catalog-schema.ts';
import type { JsonObject, JsonValue } from '../domain/json.ts';
import { type CheckResult, compare } from './check-result.ts';
import { sendRequest } from './http-request.ts';
import { renderString, type TemplateContext, type TemplateEnv } from './template.ts';

export type PrometheusCheckSpec = Extract<VerificationCheckSpec, { kind: 'prometheus' }>;

export interface PrometheusOptions {
  readonly env: TemplateEnv;
  /** The server (its base URL, e.g. `http://prometheus:9090`) and the query timeout in ms. */
  readonly prometheus: { readonly url: string; readonly timeout: number } | null;
  readonly signal?: AbortSignal | undefined;
}

interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Series kept in `observed`; the message still counts them all. */
const MAX_OBSERVED_SERIES = 100;
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Run the query and judge it; rejects only on a bug (runCheck turns that into a failure too). */
export async function prometheusCheck(
  spec: PrometheusCheckSpec,
  ctx: TemplateContext,
  options: PrometheusOptions,
): Promise<CheckResult> {
  const query = renderString(spec.query, ctx, options.env, {
    forbidSecretsIn: 'a PromQL query (sent in a URL)',
  }).value;
  const name = spec.name ?? `${query} ${spec.op} ${spec.threshold}`;
  const fail = (message: string, observed: JsonValue = null): CheckResult => ({
    name,
    kind: 'prometheus',
    passed: false,
    observed,
    message,
  });
  if (options.prometheus === null) {
    return fail('no Prometheus is configured to query; set prometheus.url in the Airlock config');
  }
  const answer = await fetchSamples(options.prometheus, query, options.signal);
  if (typeof answer === 'string') return fail(answer);
  const observed = answer.slice(0, MAX_OBSERVED_SERIES).map(observedSample);
  if (answer.length === 0) {
    const passed = spec.onEmpty === 'pass';
    return {
      name,
      kind: 'prometheus',
      passed,
      observed,
      message: `no series${passed ? ' (onEmpty: pass)' : ''}`,
    };
  }
  const bad = answer.filter((s) => Number.isNaN(s.value) || !compare(s.value, spec.op, spec.threshold));
  const [first] = bad;
  if (first === undefined) {
    const message = `${answer.length} series, all ${spec.op} ${spec.threshold}`;
    return { name, kind: 'prometheus', passed: true, observed, message };
  }
  const message = `${bad.length} of ${answer.length} series not ${spec.op} ${spec.threshold}, e.g. ${formatLabels(first.labels)} = ${formatValue(first.value)}`;
  return fail(message, observed);
}

/** The query's samples, or why there are none. */
async function fetchSamples(
  server: { readonly url: string; readonly timeout: number },
  query: string,
  signal: AbortSignal | undefined,
): Promise<Sample[] | string> {
  const base = URL.parse(server.url.endsWith('/') ? server.url : `${server.url}/`);
  if (base === null) return `the Prometheus URL "${server.url}" is not a URL`;
  const url = new URL('api/v1/query', base);
  url.searchParams.set('query', query);
  const exchange = await sendRequest({
    method: 'GET',
    url,
    headers: { accept: 'application/json' },
    body: null,
    timeout: server.timeout,
    signal,
    maxBodyBytes: MAX_ANSWER_BYTES,
  });
  if (exchange.kind !== 'answered') return `Prometheus at ${base.origin} did not answer: ${exchange.error}`;
  if (exchange.truncated) return `Prometheus answered more than ${MAX_ANSWER_BYTES} bytes; narrow the query`;
  let body: unknown;
  try {
    body = JSON.parse(exchange.body.toString('utf8'));
  } catch {
    return `Prometheus answered ${exchange.status} with a body that is not JSON`;
  }
  return samplesOf(body, exchange.status);
}

/** Instant vectors and scalars, as samples; any other answer, as the reason it cannot be judged. */
function samplesOf(body: unknown, status: number): Sample[] | string {
  const answer = body as {
    status?: unknown;
    error?: unknown;
    errorType?: unknown;
    data?: { resultType?: unknown; result?: unknown };
  };
  if (answer.status !== 'success') {
    const reason = typeof answer.error === 'string' ? answer.error : `HTTP ${status}`;
    return `Prometheus refused the query: ${String(answer.errorType ?? 'error')}: ${reason}`;
  }
  const { resultType, result } = answer.data ?? {};
  if (resultType === 'scalar' && Array.isArray(result)) return [{ labels: {}, value: parseValue(result[1]) }];
  if (resultType === 'vector' && Array.isArray(result)) {
    return result.map((series: { metric?: Record<string, string>; value?: unknown[] }) => ({
      labels: series.metric ?? {},
      value: parseValue(series.value?.[1]),
    }));
  }
  return `the query gives a ${String(resultType)}, not an instant vector or a scalar`;
}

/** Prometheus sends sample values as strings, with `+Inf`, `-Inf` and `NaN` spelled out. */
function parseValue(text: unknown): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return typeof text === 'string' && text.trim() !== '' ? Number(text) : Number.NaN;
}

/** JSON has no NaN or infinities, so those stay strings in the record. */
function observedSample(sample: Sample): JsonObject {
  return {
    labels: sample.labels,
    value: Number.isFinite(sample.value) ? sample.value : formatValue(sample.value),
  };
}

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const { __name__: metric = '', ...rest } = labels;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${metric}{${pairs.join(',')}}`;
}
