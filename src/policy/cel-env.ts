/**
 * CEL for policy conditions (@marcbachmann/cel-js, chosen for its type checker and speed).
 * Conditions are type-checked against typed variables at load, so a misspelt field or a
 * comparison of an int with a string is a load error; they run in an equivalent `dyn`
 * environment, which is twice as fast because it skips the typed conversion.
 */

import { type ASTNode, Environment, type ParseResult } from '@marcbachmann/cel-js';
import { isInWindow, localTime, parseChangeWindow } from './change-window.ts';
import type { Condition, PolicyInput } from './policy-bundle.ts';

const LIMITS = {
  maxAstNodes: 2_000,
  maxDepth: 64,
  maxListElements: 1_000,
  maxMapEntries: 1_000,
  maxCallArguments: 16,
};

/** The fields conditions may read; anything else is a load error. */
const SCHEMAS = {
  request: {
    type: 'string',
    environment: 'string',
    targets: 'list<map<string, dyn>>',
    params: 'map<string, dyn>',
    confidence: 'double',
    /** The stated confidence mapped through the scope's calibration; absent while uncalibrated. */
    calibratedConfidence: 'double',
    anomalyScore: 'double',
    reasoning: 'string',
    context: 'map<string, dyn>',
    incident: 'string',
  },
  action: { type: 'string', tier: 'string', domains: 'list<string>', reversible: 'bool', verified: 'bool' },
  agent: { id: 'string', owner: 'string' },
  environment: { name: 'string', production: 'bool' },
} as const;

const TIMESTAMP = 'google.protobuf.Timestamp';

function windowOf(spec: string) {
  const parsed = parseChangeWindow(spec);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.window;
}

function zoneCheck(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new Error(`unknown time zone "${timeZone}"`);
  }
  return timeZone;
}

function environment(typed: boolean): Environment {
  const env = new Environment({ limits: LIMITS });
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    if (typed) env.registerVariable({ name, schema });
    else env.registerVariable(name, 'map<string, dyn>');
  }
  return env
    .registerVariable('level', 'int')
    .registerVariable('now', TIMESTAMP)
    .registerFunction(`inWindow(${TIMESTAMP}, string): bool`, (at: Date, spec: string) =>
      isInWindow(windowOf(spec), at),
    )
    .registerFunction(`localHour(${TIMESTAMP}, string): int`, (at: Date, timeZone: string) =>
      BigInt(Math.floor(localTime(at, zoneCheck(timeZone)).minute / 60)),
    )
    .registerFunction(`localWeekday(${TIMESTAMP}, string): int`, (at: Date, timeZone: string) =>
      BigInt(localTime(at, zoneCheck(timeZone)).day),
    );
}

const checkEnv = environment(true);
const runEnv = environment(false);

/** Built-ins refused at load, and why. */
const REFUSED_CALLS: Readonly<Record<string, string>> = {
  matches:
    'matches() is not allowed: its regular expressions can backtrack catastrophically on agent input; use startsWith, endsWith, contains or in',
};
const ZONED_GETTERS = new Set([
  'getFullYear',
  'getMonth',
  'getDate',
  'getDayOfMonth',
  'getDayOfYear',
  'getDayOfWeek',
  'getHours',
  'getMinutes',
  'getSeconds',
  'getMilliseconds',
]);

export type CompiledCondition =
  | { readonly ok: true; readonly condition: Condition }
  | { readonly ok: false; readonly message: string; readonly offset: number };

/**
 * Parse and type-check a condition; it must yield a bool.
 *
 * @example
 * compileCondition('request.params.replicas > 20');        // { ok: true, condition }
 * compileCondition('request.params.replicas >');           // { ok: false, message: 'Unexpected token: EOF', offset: 25 }
 */
export function compileCondition(text: string): CompiledCondition {
  let checked: ParseResult;
  try {
    checked = checkEnv.parse(text);
  } catch (error) {
    return failure(error);
  }
  const check = checked.check();
  if (!check.valid) return failure(check.error);
  if (check.type !== 'bool' && check.type !== 'dyn') {
    return { ok: false, message: `the condition yields ${check.type}, not bool`, offset: 0 };
  }
  const refused = refusedCall(checked.ast);
  if (refused !== null) return { ok: false, ...refused };

  const program = runEnv.parse(text);
  return { ok: true, condition: { evaluate: (activation) => program(activation) } };
}

/** The variables conditions see, built once per decision and shared by every rule. */
export function celActivation(input: PolicyInput): Readonly<Record<string, unknown>> {
  return { ...input, level: BigInt(input.level) };
}

function failure(error: unknown): CompiledCondition {
  const e = error as { summary?: string; message?: string; range?: { start: number } } | undefined;
  return {
    ok: false,
    message: e?.summary ?? e?.message?.split('\n')[0] ?? String(error),
    offset: e?.range?.start ?? 0,
  };
}

/** Functions whose argument at this index is a time zone; a literal zone is checked at load. */
const ZONE_ARGUMENT: Readonly<Record<string, number>> = { localHour: 1, localWeekday: 1 };

/**
 * Walk the whole AST for calls Airlock refuses, and check literal window specs and time zones
 * now rather than at every evaluation.
 */
function refusedCall(root: ASTNode): { message: string; offset: number } | null {
  const found: { message: string; offset: number }[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object' || !('op' in value)) return;
    const ast = value as ASTNode;
    if (ast.op === 'call' || ast.op === 'rcall') checkCall(ast, found);
    visit(ast.args);
  };
  visit(root);
  return found[0] ?? null;
}

function checkCall(
  ast: Extract<ASTNode, { op: 'call' | 'rcall' }>,
  found: { message: string; offset: number }[],
): void {
  const name = ast.args[0];
  const args = (ast.op === 'call' ? ast.args[1] : ast.args[2]) as ASTNode[];
  const refusal = REFUSED_CALLS[name];
  if (refusal !== undefined) found.push({ message: refusal, offset: ast.range.start });
  if (ast.op === 'rcall' && ZONED_GETTERS.has(name) && args.length > 0) {
    found.push({
      message: `${name}(timezone) is not allowed (it is slow and depends on the server's zone); use localHour(now, tz), localWeekday(now, tz) or inWindow(now, "Mon-Fri 09:00-17:00 Europe/Berlin")`,
      offset: ast.range.start,
    });
  }
  const literal = (index: number) => {
    const arg = args[index];
    return arg?.op === 'value' && typeof arg.args === 'string'
      ? { text: arg.args, offset: arg.range.start }
      : null;
  };
  const spec = name === 'inWindow' ? literal(1) : null;
  if (spec !== null) {
    const parsed = parseChangeWindow(spec.text);
    if (!parsed.ok) found.push({ message: parsed.message, offset: spec.offset });
  }
  const zoneIndex = ZONE_ARGUMENT[name];
  const zone = zoneIndex === undefined ? null : literal(zoneIndex);
  if (zone !== null) {
    try {
      zoneCheck(zone.text);
    } catch (error) {
      found.push({ message: (error as Error).message, offset: zone.offset });
    }
  }
}
