/** Shared helpers of the policy test suite tests: a small catalog and bundle, a suite context, and suites compiled from YAML text. */

import assert from 'node:assert/strict';
import { load } from '../catalog/catalog-test-helpers.ts';
import type { Problem } from '../config/problems.ts';
import { YamlSource } from '../config/yaml-source.ts';
import { compile } from '../policy/policy-test-helpers.ts';
import { trustSettingsSchema } from '../trust/trust-settings.ts';
import type { SuiteContext } from './case-facts.ts';
import { compileSuites, type PolicyTestCase } from './suite-compiler.ts';

const CATALOG = `version: 1
types:
  service.restart:
    description: Restart a service.
    tier: low
    domains: [performance]
    reversible: true
    targets: { min: 1, max: 20 }
    params:
      type: object
      required: [reason]
      additionalProperties: false
      properties:
        reason: { type: string, minLength: 3 }
  deployment.scale:
    description: Change the replica count.
    tier: medium
    domains: [performance]
    reversible: true
    targets: { min: 1, max: 1 }
    params:
      type: object
      required: [replicas]
      additionalProperties: false
      properties:
        replicas: { type: integer, minimum: 0, maximum: 100 }
  database.migrate:
    description: Apply a migration.
    tier: high
    domains: [configuration]
    reversible: false
    params:
      type: object
      properties:
        migration: { type: string }
`;

/** Rules on lines 2, 7, 12 and 18 of rules.yaml; limits on lines 2, 8 and 14 of limits.yaml. */
export const POLICIES: [string, string][] = [
  [
    'policies/rules.yaml',
    `rules:
  - name: restarts
    match: { types: [service.restart] }
    effect: allow
    reason: Routine.

  - name: no-production-migrations
    match: { types: [database.migrate], environments: [production] }
    effect: deny
    reason: Never by automation.

  - name: big-scale
    match: { types: [deployment.scale] }
    when: request.params.replicas > 10
    effect: escalate
    route: capacity
    reason: Beyond the plan.
  - name: scale
    match: { types: [deployment.scale] }
    effect: allow
    reason: Within the plan.
`,
  ],
  [
    'policies/limits.yaml',
    `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    rate: { count: 3, per: 1h, by: [agent, target] }
    effect: escalate
    reason: At most 3 restarts of a target an hour.

  - name: scale-in-flight
    match: { types: [deployment.scale] }
    inFlight: { max: 1, by: [environment] }
    effect: deny
    reason: One scaling at a time.

  - name: blast-radius
    targets: { max: 5 }
    effect: deny
    reason: Never more than 5 targets at once.
`,
  ],
];

export const ENVIRONMENTS = new Map([
  ['staging', { name: 'staging', production: false, changeWindows: [] as string[] }],
  [
    'production',
    { name: 'production', production: true, changeWindows: ['Mon-Fri 08:00-18:00 Europe/Berlin'] },
  ],
]);

/** The test catalog, environments and trust settings (trainee-bot's ceiling is 1), with a bundle of `policies`. */
export function suiteContext(
  overrides: Partial<SuiteContext> = {},
  policies: [string, string][] = POLICIES,
): SuiteContext {
  const catalog = load(['catalog.yaml', CATALOG]);
  return {
    bundle: compile(policies, {
      actionTypes: catalog.list().map((e) => e.type),
      environments: new Set(ENVIRONMENTS.keys()),
      defaultEffect: 'escalate',
    }),
    catalog,
    environments: ENVIRONMENTS,
    trust: trustSettingsSchema.parse({ ceilings: { 'trainee-bot': 1 } }),
    freezes: [],
    inventory: new Map(),
    ...overrides,
  };
}

export function suite(text: string, file = 'policies/rules.test.yaml'): YamlSource {
  const parsed = YamlSource.parse(file, text);
  if (!parsed.ok) assert.fail(`expected ${file} to parse: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

export function casesOf(text: string, context: SuiteContext = suiteContext()): PolicyTestCase[] {
  const result = compileSuites([suite(text)], context);
  if (!result.ok) assert.fail(`expected the suite to compile: ${JSON.stringify(result.problems)}`);
  return result.value;
}

export function suiteProblems(text: string, context: SuiteContext = suiteContext()): Problem[] {
  const result = compileSuites([suite(text)], context);
  if (result.ok) assert.fail('expected the suite to be rejected');
  return [...result.problems];
}

/** The `request:` lines of a case: a restart of `targets` stating confidence 0.9 and anomaly score 0.1. */
export function restart(targets = ['web-1'], environment = 'staging'): string {
  const list = targets.map((id) => `{ id: ${id} }`).join(', ');
  return `    request:
      type: service.restart
      environment: ${environment}
      targets: [${list}]
      params: { reason: leak }
      confidence: 0.9
      anomalyScore: 0.1
`;
}
