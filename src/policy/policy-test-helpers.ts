/** Shared helpers of the policy tests: a compile context, policy sources, rules laid out by line, and policy inputs. */

import assert from 'node:assert/strict';
import type { Problem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';
import type { Effect } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { PolicyBundle, PolicyInput } from './policy-bundle.ts';
import { type CompileContext, compilePolicies, type PolicySource } from './policy-compiler.ts';

export const CONTEXT: CompileContext = {
  actionTypes: ['service.restart', 'service.scale', 'deployment.scale', 'cache.flush', 'database.migrate'],
  environments: new Set(['staging', 'production']),
  defaultEffect: 'escalate',
};

export function policy(relativePath: string, text: string): PolicySource {
  const parsed = YamlSource.parse(`/project/${relativePath}`, text);
  if (!parsed.ok) assert.fail(`expected ${relativePath} to parse: ${JSON.stringify(parsed.problems)}`);
  return { source: parsed.value, relativePath };
}

export function compile(files: [string, string][], context: CompileContext = CONTEXT): PolicyBundle {
  const result = compilePolicies(
    files.map(([path, text]) => policy(path, text)),
    context,
  );
  if (!result.ok) assert.fail(`expected the policies to compile: ${JSON.stringify(result.problems)}`);
  return result.value;
}

export function problemsOf(files: [string, string][], context: CompileContext = CONTEXT): Problem[] {
  const result = compilePolicies(
    files.map(([path, text]) => policy(path, text)),
    context,
  );
  if (result.ok) assert.fail('expected the policies to be rejected');
  return [...result.problems];
}

/**
 * One rule, laid out so that `name` is on line `first`, `when` on `first + 1`, then effect, reason,
 * and `match` (when given) on the lines after.
 */
export function rule(name: string, when: string | null, effect: Effect = 'deny', match = ''): string {
  return [
    `  - name: ${name}`,
    ...(when === null ? [] : [`    when: ${when}`]),
    `    effect: ${effect}`,
    '    reason: Because.',
    ...(match === '' ? [] : ['    match:', ...match.split('\n').map((line) => `      ${line}`)]),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

export function input(
  overrides: { request?: JsonObject; level?: TrustLevel; now?: string; environment?: JsonObject } = {},
): PolicyInput {
  const request: JsonObject = {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: 'web-1' }],
    params: { replicas: 3 },
    confidence: null,
    anomalyScore: null,
    reasoning: null,
    context: null,
    incident: null,
    ...overrides.request,
  };
  return {
    request,
    action: {
      type: request.type ?? null,
      tier: 'low',
      domains: ['performance'],
      reversible: true,
      verified: false,
    },
    agent: { id: 'triage-bot', owner: 'sre' },
    environment: overrides.environment ?? { name: request.environment ?? null, production: false },
    level: overrides.level ?? 2,
    now: new Date(overrides.now ?? '2026-03-30T07:30:00Z'),
  };
}
