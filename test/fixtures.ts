/** Builders for unit tests of the pure core: policy bundles from inline YAML, and decision facts. */

import { YamlSource } from '../src/config/yaml-source.ts';
import type { DecisionFacts } from '../src/decide/facts.ts';
import type { Effect } from '../src/domain/decision.ts';
import type { PolicyBundle } from '../src/policy/policy-bundle.ts';
import { compilePolicies } from '../src/policy/policy-compiler.ts';
import { DEFAULT_THRESHOLDS } from '../src/trust/trust-settings.ts';

export const TYPES = [
  'service.restart',
  'deployment.scale',
  'database.migrate',
  'secret.rotate',
  'cache.flush',
];
export const ENVIRONMENTS = new Set(['staging', 'production']);

/** Compile policy YAML (one string per file); throws with every problem if it does not compile. */
export function bundleOf(
  files: string | readonly string[],
  defaultEffect: Effect = 'escalate',
): PolicyBundle {
  const texts = typeof files === 'string' ? [files] : files;
  const sources = texts.map((text, i) => {
    const parsed = YamlSource.parse(`policies/p${i}.yaml`, text);
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
    return { source: parsed.value, relativePath: `policies/p${i}.yaml` };
  });
  const bundle = compilePolicies(sources, { actionTypes: TYPES, environments: ENVIRONMENTS, defaultEffect });
  if (!bundle.ok) throw new Error(bundle.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join('\n'));
  return bundle.value;
}

/** One rule with no condition, matching everything, with the given effect. */
export function blanket(effect: Effect, name = `all-${effect}`): string {
  return `rules:\n  - name: ${name}\n    effect: ${effect}\n    reason: ${effect} everything\n`;
}

type DeepPartialFacts = {
  [K in keyof DecisionFacts]?: DecisionFacts[K] extends readonly unknown[]
    ? DecisionFacts[K]
    : Partial<DecisionFacts[K]>;
};

/**
 * Facts for a low-tier, reversible, verified restart in staging by an active agent at level 2,
 * confident (0.95) and unsurprised (anomaly 0.1), on a Tuesday at 10:00 in Berlin.
 */
export function factsOf(overrides: DeepPartialFacts = {}): DecisionFacts {
  const request = {
    type: 'service.restart',
    environment: 'staging',
    targets: [{ id: 'api-1' }],
    params: { reason: 'leak' },
    confidence: 0.95,
    anomalyScore: 0.1,
    reasoning: null,
    context: null,
    incident: null,
    ...overrides.request,
  };
  return {
    request,
    action: {
      type: request.type,
      tier: 'low',
      domains: ['performance'],
      reversible: true,
      verified: true,
      ...overrides.action,
    },
    agent: { id: 'triage-bot', owner: 'sre', suspended: false, ...overrides.agent },
    environment: {
      name: request.environment,
      production: request.environment === 'production',
      changeWindows: request.environment === 'production' ? ['Mon-Fri 08:00-18:00 Europe/Berlin'] : [],
      ...overrides.environment,
    },
    trust: { granted: 2, ceiling: 3, scope: 'service.*@*', ...overrides.trust },
    thresholds: { ...DEFAULT_THRESHOLDS, ...overrides.thresholds } as DecisionFacts['thresholds'],
    frozen: overrides.frozen ?? false,
    now: overrides.now ?? '2026-11-24T09:00:00.000Z',
  };
}
