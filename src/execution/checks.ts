/**
 * Verification checks, sampled after an action ran: an HTTP endpoint answering as expected, a
 * Prometheus query meeting a threshold, a command exiting 0. A check that cannot run fails (with
 * the reason): it never throws, since an unanswered check is no evidence of health.
 */

import type { VerificationCheckSpec } from '../catalog/catalog-schema.ts';
import type { Target } from '../domain/action.ts';
import type { JsonValue } from '../domain/json.ts';
import { type CheckResult, compare } from './check-result.ts';
import { clipText, oneLine } from './executor-outcome.ts';
import { type HttpExchange, sendRequest } from './http-request.ts';
import { lastLine, runProcess } from './process-runner.ts';
import { type PrometheusOptions, prometheusCheck } from './prometheus-check.ts';
import { redact } from './redact.ts';
import { lookupPath, renderString, type TemplateContext } from './template.ts';

export type { CheckResult } from './check-result.ts';

export interface CheckOptions extends PrometheusOptions {
  /** What a command's relative `cwd` is resolved against (the catalog file's directory). */
  readonly baseDir: string;
}

type HttpCheckSpec = Extract<VerificationCheckSpec, { kind: 'http' }>;
type CommandCheckSpec = Extract<VerificationCheckSpec, { kind: 'command' }>;

/** The most of an answer read, and the most of a body or output kept in `observed`. */
const MAX_READ_BYTES = 1024 * 1024;
const MAX_OBSERVED_BYTES = 1024;

/**
 * Run one check: one result, or one per target (concurrently) when `perTarget`. Never rejects.
 *
 * @example
 * const [result] = await runCheck(
 *   { kind: 'http', url: 'https://api.internal/health', method: 'GET', headers: {}, timeout: 5_000,
 *     expectStatus: 200, perTarget: false },
 *   ctx,
 *   { env: process.env, baseDir, prometheus: null },
 * );
 * // { name: 'GET https://api.internal/health is 200', kind: 'http', passed: true, observed: { status: 200 }, message: '200' }
 */
export async function runCheck(
  spec: VerificationCheckSpec,
  ctx: TemplateContext,
  options: CheckOptions,
): Promise<CheckResult[]> {
  if (spec.kind === 'prometheus' || !spec.perTarget) return [await guarded(spec, ctx, options)];
  if (ctx.targets.length === 0) {
    return [{ ...cannotRun(spec, 'there are no targets to check it for'), observed: [] }];
  }
  return Promise.all(ctx.targets.map((target) => guarded(spec, { ...ctx, target }, options, target)));
}

async function guarded(
  spec: VerificationCheckSpec,
  ctx: TemplateContext,
  options: CheckOptions,
  target?: Target,
): Promise<CheckResult> {
  let result: CheckResult;
  try {
    result = await runOne(spec, ctx, options);
  } catch (error) {
    result = cannotRun(spec, error instanceof Error ? error.message : String(error));
  }
  const message = oneLine(result.message);
  return target === undefined ? { ...result, message } : { ...result, message, target: target.id };
}

function runOne(
  spec: VerificationCheckSpec,
  ctx: TemplateContext,
  options: CheckOptions,
): Promise<CheckResult> {
  switch (spec.kind) {
    case 'http':
      return httpCheck(spec, ctx, options);
    case 'prometheus':
      return prometheusCheck(spec, ctx, options);
    case 'command':
      return commandCheck(spec, ctx, options);
  }
}

function cannotRun(spec: VerificationCheckSpec, reason: string): CheckResult {
  const message = `the check could not run: ${reason}`;
  return { name: nameOf(spec, null), kind: spec.kind, passed: false, observed: null, message };
}

/** The check's own name, else a description of it (with its templates rendered, if they could be). */
function nameOf(spec: VerificationCheckSpec, rendered: string | null): string {
  if (spec.name !== undefined) return spec.name;
  switch (spec.kind) {
    case 'http': {
      const extra = [
        ...(spec.json === undefined
          ? []
          : [`${spec.json.path} ${spec.json.op} ${JSON.stringify(spec.json.value)}`]),
        ...(spec.bodyMatches === undefined ? [] : [`the body matches /${spec.bodyMatches}/`]),
      ];
      return [`${spec.method} ${rendered ?? spec.url} is ${spec.expectStatus}`, ...extra].join(' and ');
    }
    case 'prometheus':
      return `${rendered ?? spec.query} ${spec.op} ${spec.threshold}`;
    case 'command':
      return `${rendered ?? spec.argv.join(' ')} exits with 0`;
  }
}

async function httpCheck(
  spec: HttpCheckSpec,
  ctx: TemplateContext,
  options: CheckOptions,
): Promise<CheckResult> {
  const forbidSecretsIn = 'a URL (URLs are recorded; send it in a header)';
  const rendered = renderString(spec.url, ctx, options.env, { encode: 'uri', forbidSecretsIn }).value;
  const name = nameOf(spec, rendered);
  const url = URL.parse(rendered);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return {
      name,
      kind: 'http',
      passed: false,
      observed: null,
      message: `"${rendered}" is not an http(s) URL`,
    };
  }
  const secrets: string[] = [];
  const headers: Record<string, string> = {};
  for (const [header, template] of Object.entries(spec.headers)) {
    const value = renderString(template, ctx, options.env);
    headers[header.toLowerCase()] = value.value;
    secrets.push(...value.secrets);
  }
  const exchange = await sendRequest({
    method: spec.method,
    url,
    headers,
    body: null,
    timeout: spec.timeout,
    signal: options.signal,
    maxBodyBytes: MAX_READ_BYTES,
  });
  return redact({ name, kind: 'http', ...judgeAnswer(spec, exchange, secrets) }, secrets);
}

/** Status, body pattern and JSON field, on the body as received; it is redacted before being cut for the record. */
function judgeAnswer(
  spec: HttpCheckSpec,
  exchange: HttpExchange,
  secrets: readonly string[],
): Pick<CheckResult, 'passed' | 'observed' | 'message'> {
  if (exchange.kind !== 'answered') {
    const status = exchange.kind === 'broken' ? exchange.status : null;
    return {
      passed: false,
      observed: { status, error: exchange.error },
      message: `no answer: ${exchange.error}`,
    };
  }
  const { status } = exchange;
  const text = exchange.body.toString('utf8');
  const problems: string[] = [];
  if (status !== spec.expectStatus) problems.push(`status ${status}, expected ${spec.expectStatus}`);
  if (spec.bodyMatches !== undefined && !new RegExp(spec.bodyMatches).test(text)) {
    problems.push(`the body does not match /${spec.bodyMatches}/`);
  }
  let field: { value: JsonValue } | null = null;
  if (spec.json !== undefined) {
    const { path, op, value: expected } = spec.json;
    const value = lookupPath(parseJson(text), path);
    field = { value: value ?? null };
    if (value === undefined) problems.push(`the body has no JSON field ${path}`);
    else if (!compare(value, op, expected)) {
      problems.push(`${path} is ${JSON.stringify(value)}, expected ${op} ${JSON.stringify(expected)}`);
    }
  }
  const passed = problems.length === 0;
  const observed = {
    status,
    ...field,
    ...(passed ? {} : { body: clipText(redact(text, secrets), MAX_OBSERVED_BYTES, exchange.truncated) }),
  };
  const seen =
    field === null || spec.json === undefined ? '' : `, ${spec.json.path} = ${JSON.stringify(field.value)}`;
  return { passed, observed, message: passed ? `${status}${seen}` : problems.join('; ') };
}

async function commandCheck(
  spec: CommandCheckSpec,
  ctx: TemplateContext,
  options: CheckOptions,
): Promise<CheckResult> {
  const report = await runProcess(spec, ctx, options);
  if (report.kind === 'not-started') {
    return { ...cannotRun(spec, report.error), observed: { argv: report.argv } };
  }
  const { exitCode, signal, timedOut } = report;
  const passed = exitCode === 0 && !timedOut && !report.interrupted;
  const said = lastLine(report.stderr) || lastLine(report.stdout);
  const message = passed
    ? 'exited with 0'
    : timedOut
      ? `ran past its ${spec.timeout} ms timeout and was killed`
      : exitCode !== null
        ? `exited with ${exitCode}${said === '' ? '' : `: ${said}`}`
        : `was killed by ${signal}`;
  const observed = {
    exitCode,
    signal,
    timedOut,
    stdout: clipText(report.stdout, MAX_OBSERVED_BYTES),
    stderr: clipText(report.stderr, MAX_OBSERVED_BYTES),
  };
  return { name: nameOf(spec, report.argv.join(' ')), kind: 'command', passed, observed, message };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
