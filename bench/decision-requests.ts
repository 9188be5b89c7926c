/** A rotating set of DecisionFacts for the decide benchmark: many types, both environments, all levels. */

import type { DecisionFacts } from '../src/decide/facts.ts';
import type { Target } from '../src/domain/action.ts';
import type { JsonObject } from '../src/domain/json.ts';
import type { TrustLevel } from '../src/domain/levels.ts';
import type { Project } from '../src/project/project-loader.ts';
import { QUICKSTART_TYPES } from './generated-bundle.ts';
import { between, pick, type Random, seededRandom, weighted } from './stats.ts';

const QUICKSTART_PARAMS: Readonly<Record<string, JsonObject>> = {
  'service.restart': { reason: 'memory leak after deploy', graceSeconds: 30 },
  'cache.flush': { keyPattern: 'sessions:*' },
  'deployment.scale': { replicas: 6, previousReplicas: 4 },
  'feature_flag.set': { flag: 'checkout.new_flow', enabled: false },
  'database.migrate': { migration: '2026_11_add_index' },
  'secret.rotate': { secret: 'payments-db-password' },
};

/** Build `count` distinct requests (deterministic): 40% quickstart types, 60% synthetic ones. */
export function decisionFacts(
  project: Project,
  syntheticTypes: readonly string[],
  count: number,
  seed = 7,
): DecisionFacts[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const type = random() < 0.4 ? pick(random, QUICKSTART_TYPES) : pick(random, syntheticTypes);
    const entry = project.catalog.get(type);
    if (entry === undefined) throw new Error(`no catalog entry for ${type}`);
    const environment = project.environments.get(random() < 0.5 ? 'staging' : 'production');
    if (environment === undefined) throw new Error('the quickstart has staging and production');
    const granted = weighted<TrustLevel>(random, [
      [0.1, 0],
      [0.15, 1],
      [0.45, 2],
      [0.3, 3],
    ]);
    return {
      request: {
        type,
        environment: environment.name,
        targets: targets(random),
        params: QUICKSTART_PARAMS[type] ?? syntheticParams(random),
        confidence: random() < 0.9 ? between(random, 70, 99) / 100 : null,
        anomalyScore: random() < 0.8 ? between(random, 0, 60) / 100 : null,
        reasoning: 'Error rate rose after the last deploy; the runbook says restart first.',
        context: random() < 0.3 ? { alert: 'HighErrorRate', dashboard: 'https://grafana/d/api' } : null,
        incident: random() < 0.2 ? `INC-${between(random, 1000, 9999)}` : null,
      },
      action: {
        type: entry.type,
        tier: entry.tier,
        domains: entry.domains,
        reversible: entry.reversible,
        verified: (entry.verification?.checks.length ?? 0) > 0,
      },
      agent: { id: 'triage-bot', owner: pick(random, ['sre', 'payments', 'platform']), suspended: false },
      environment: {
        name: environment.name,
        production: environment.production,
        changeWindows: environment.changeWindows,
      },
      trust: { granted, ceiling: 3, scope: granted === 0 ? null : `${type}@${environment.name}` },
      thresholds: project.config.trust.levels,
      frozen: false,
      // Spread over a week, so change windows are open for some and closed for others.
      now: new Date(Date.UTC(2026, 10, 23 + between(random, 0, 6), between(random, 0, 23), 17)).toISOString(),
    };
  });
}

function targets(random: Random): Target[] {
  const pci = random() < 0.05;
  return Array.from(
    {
      length: weighted(random, [
        [0.7, 1],
        [0.25, 3],
        [0.05, 8],
      ]),
    },
    (_, i) => ({
      id: `api-${i + 1}`,
      ...(pci && i === 0 ? { pci: true } : {}),
      ...(random() < 0.3 ? { tier: pick(random, ['gold', 'silver']) } : {}),
    }),
  );
}

function syntheticParams(random: Random): JsonObject {
  return {
    reason: random() < 0.2 ? 'hotfix for checkout latency' : 'routine remediation',
    ...(random() < 0.6 ? { replicas: between(random, 0, 60) } : {}),
    ...(random() < 0.1 ? { dryRun: false } : {}),
  };
}
