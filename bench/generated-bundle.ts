/** Generates realistic policy bundles for the decide benchmark: a synthetic catalog plus N rules of CEL. */

import { stringify } from 'yaml';
import { between, pick, type Random, seededRandom, weighted } from './stats.ts';

/** The quickstart's own rules; generated bundles add to them so the total is exactly N. */
export const QUICKSTART_RULES = 9;
export const QUICKSTART_TYPES = [
  'service.restart',
  'cache.flush',
  'deployment.scale',
  'feature_flag.set',
  'database.migrate',
  'secret.rotate',
] as const;

const VERBS = ['restart', 'scale', 'flush', 'config_set'] as const;
const DOMAINS = ['configuration', 'performance', 'security', 'compliance'] as const;
const WINDOWS = [
  'Mon-Fri 09:00-17:00 Europe/Berlin',
  'Mon-Thu 08:00-18:00 Europe/Berlin',
  'daily 22:00-02:00 UTC',
  'Sat,Sun 00:00-24:00 America/New_York',
] as const;

export interface GeneratedBundle {
  /** File path (relative to the project) → contents. */
  readonly files: Record<string, string>;
  readonly syntheticTypes: readonly string[];
}

/** Synthetic action types `svc<k>.<verb>`: N/5 of them, four verbs per service. */
export function syntheticTypes(ruleCount: number): string[] {
  const count = Math.max(1, Math.floor(ruleCount / 5));
  return Array.from(
    { length: count },
    (_, i) => `svc${Math.floor(i / VERBS.length)}.${VERBS[i % VERBS.length]}`,
  );
}

export function generateBundle(ruleCount: number, seed = 42): GeneratedBundle {
  if (ruleCount < QUICKSTART_RULES) throw new Error(`bundles start at ${QUICKSTART_RULES} rules`);
  const random = seededRandom(seed + ruleCount);
  const types = syntheticTypes(ruleCount);
  const files: Record<string, string> = {
    'generated/catalog.yaml': stringify({ version: 1, types: catalogTypes(random, types) }),
  };
  const services = Math.ceil(types.length / VERBS.length);
  const rules = Array.from({ length: ruleCount - QUICKSTART_RULES }, (_, i) =>
    rule(random, i, types, services),
  );
  for (let start = 0; start < rules.length; start += 100) {
    const name = `policies/generated-${String(start / 100).padStart(2, '0')}.yaml`;
    files[name] = stringify({ rules: rules.slice(start, start + 100) }, { lineWidth: 0 });
  }
  return { files, syntheticTypes: types };
}

/** The airlock.yaml edit that adds the generated catalog: the setting becomes a list of two files. */
export function withGeneratedCatalog(original: string): string {
  const edited = original.replace(
    /^catalog: catalog\.yaml$/m,
    'catalog: [catalog.yaml, generated/catalog.yaml]',
  );
  if (edited === original) throw new Error('airlock.yaml: no "catalog: catalog.yaml" line to extend');
  return edited;
}

function catalogTypes(random: Random, types: readonly string[]): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  for (const type of types) {
    const domains = DOMAINS.filter(() => random() < 0.35);
    entries[type] = {
      description: `Synthetic ${type.replace('.', ' ')} for benchmarks.`,
      tier: weighted(random, [
        [0.55, 'low'],
        [0.3, 'medium'],
        [0.1, 'high'],
        [0.05, 'critical'],
      ]),
      domains: domains.length > 0 ? domains : [pick(random, DOMAINS)],
      reversible: random() < 0.8,
      targets: { min: 1, max: 10 },
      params: {
        type: 'object',
        additionalProperties: false,
        properties: {
          reason: { type: 'string', minLength: 3 },
          replicas: { type: 'integer', minimum: 0, maximum: 100 },
          dryRun: { type: 'boolean' },
        },
      },
      ...(random() < 0.5
        ? { verification: { window: '2m', checks: [{ kind: 'http', url: 'http://{{target.id}}/healthz' }] } }
        : {}),
    };
  }
  return entries;
}

type Shape = (random: Random) => string;

/** Condition shapes seen in real policies, with random constants. Allow rules state when routine is fine… */
const ALLOW_SHAPES: readonly Shape[] = [
  (r) =>
    `has(request.params.replicas) && request.params.replicas >= 1 && request.params.replicas <= ${between(r, 10, 40)}`,
  (r) =>
    `level >= ${between(r, 2, 3)} && has(request.confidence) && request.confidence >= 0.${between(r, 6, 8)}`,
  (r) => `inWindow(now, "${pick(r, WINDOWS)}")`,
  (r) => `"${pick(r, DOMAINS)}" in action.domains`,
  (r) => `agent.owner == "${pick(r, ['sre', 'payments', 'platform'])}"`,
  (r) => `size(request.targets) <= ${between(r, 3, 5)}`,
];

/** …escalate rules pick out the unusual… */
const ESCALATE_SHAPES: readonly Shape[] = [
  (r) => `has(request.params.replicas) && request.params.replicas > ${between(r, 20, 50)}`,
  () => 'request.targets.exists(t, has(t.tier) && t.tier == "gold")',
  (r) => `size(request.targets) > ${between(r, 2, 6)}`,
  (r) => `!inWindow(now, "${pick(r, WINDOWS)}") && environment.production`,
  () => 'environment.production && action.tier != "low"',
  (r) => `has(request.anomalyScore) && request.anomalyScore > 0.${between(r, 4, 7)}`,
  () => 'has(request.params.reason) && request.params.reason.contains("hotfix")',
  () => 'has(request.incident) && environment.production',
  () => '!action.reversible && environment.production',
  (r) => `level < 3 && "${pick(r, ['security', 'compliance'])}" in action.domains`,
];

/** Deny rules guard against rare, dangerous requests, so their conditions seldom hold. */
const RARE: readonly Shape[] = [
  () => 'request.targets.exists(t, has(t.pci) && t.pci == true)',
  (r) => `size(request.targets) > ${between(r, 5, 7)}`,
  (r) => `has(request.params.replicas) && request.params.replicas > ${between(r, 40, 60)}`,
  () => 'has(request.anomalyScore) && request.anomalyScore > 0.8',
  () => 'has(request.params.dryRun) && !request.params.dryRun && environment.production',
];

function rule(random: Random, index: number, types: readonly string[], services: number) {
  const catalog = [...QUICKSTART_TYPES, ...types];
  const shape = weighted<() => string[] | null>(random, [
    [0.7, () => [pick(random, catalog)]],
    [0.2, () => [`svc${between(random, 0, services - 1)}.*`]],
    [0.03, () => [pick(random, ['*.restart', '*.scale', '*.flush'])]],
    [0.05, () => [pick(random, QUICKSTART_TYPES), pick(random, types)]],
    [0.02, () => null],
  ]);
  const matchTypes = shape();
  const environments = weighted<string[] | null>(random, [
    [0.35, ['production']],
    [0.15, ['staging']],
    [0.5, null],
  ]);
  const effect = weighted(random, [
    [0.55, 'allow'],
    [0.35, 'escalate'],
    [0.1, 'deny'],
  ]);
  const conditional = effect === 'deny' || matchTypes === null || random() < 0.8;
  const shapes = effect === 'deny' ? RARE : effect === 'escalate' ? ESCALATE_SHAPES : ALLOW_SHAPES;
  const when = conditional ? pick(random, shapes)(random) : undefined;
  const match = {
    ...(matchTypes === null ? {} : { types: matchTypes }),
    ...(environments === null ? {} : { environments }),
  };
  return {
    name: `gen-${String(index).padStart(4, '0')}-${effect}`,
    match,
    ...(when === undefined ? {} : { when }),
    effect,
    reason: `Generated ${effect} rule ${index} for the decide benchmark.`,
  };
}
