/**
 * A recorded history for the replay benchmark: many decided actions written straight into a real
 * SQLite store through its write path (rows and chained audit events), bypassing HTTP — the
 * benchmark measures replaying decisions, not proposing them. Deterministic for a seed.
 */

import { sha256Hex } from '../src/audit/audit-event.ts';
import { canonicalJson } from '../src/audit/canonical-json.ts';
import { decide } from '../src/decide/decide.ts';
import type { CalibrationFact, DecisionFacts } from '../src/decide/facts.ts';
import type { ActionRequest } from '../src/domain/action.ts';
import type { JsonObject } from '../src/domain/json.ts';
import type { TrustLevel } from '../src/domain/levels.ts';
import { newId } from '../src/gateway/ids.ts';
import { STATUS_OF } from '../src/gateway/proposal-service.ts';
import { limitCounters, limitFacts } from '../src/policy/limits.ts';
import type { Project } from '../src/project/project-loader.ts';
import type { ActionRecord } from '../src/store/records.ts';
import type { Store } from '../src/store/store.ts';
import { applyWriteOps } from '../src/store/write-ops.ts';
import { calibrate } from '../src/trust/calibration.ts';
import { between, pick, type Random, seededRandom, weighted } from './stats.ts';

/** Policies added to the quickstart's for the history: a restart rate and a blast radius. */
export const HISTORY_LIMITS = `limits:
  - name: restart-rate
    match: { types: [service.restart] }
    rate: { count: 5, per: 1h, by: [agent, type] }
    effect: escalate
    reason: at most 5 restarts an hour per agent without a human
  - name: blast-radius
    match: { types: [service.restart, deployment.scale] }
    targets: { max: 10 }
    effect: deny
    reason: never more than 10 targets at once
`;

const PARAMS: Readonly<Record<string, () => JsonObject>> = {
  'service.restart': () => ({ reason: 'memory leak after deploy', graceSeconds: 30 }),
  'cache.flush': () => ({ keyPattern: 'sessions:*' }),
  'feature_flag.set': () => ({ flag: 'checkout.new_flow', enabled: false }),
  'database.migrate': () => ({ migration: '2026_11_add_index' }),
  'secret.rotate': () => ({ secret: 'payments-db-password' }),
};

const TYPES = [
  [0.45, 'service.restart'],
  [0.2, 'deployment.scale'],
  [0.15, 'cache.flush'],
  [0.1, 'feature_flag.set'],
  [0.06, 'database.migrate'],
  [0.04, 'secret.rotate'],
] as const;

const BATCH = 1_000;

/**
 * Decide `count` actions of 40 agents over 30 days against the project, with their limits'
 * counts, calibration and freezes, and write them to the store in batches.
 */
export async function writeHistory(
  store: Store,
  project: Project,
  count: number,
  progress: (line: string) => void = () => {},
  seed = 11,
): Promise<void> {
  const random = seededRandom(seed);
  const start = Date.parse('2026-10-26T00:00:00.000Z');
  const step = (30 * 86_400_000) / count;
  let batch: ActionRecord[] = [];
  for (let i = 0; i < count; i++) {
    const now = new Date(start + Math.floor(i * step));
    batch.push(recordedAction(project, random, now));
    if (batch.length === BATCH || i === count - 1) {
      const ops = batch.map((action) => ({ kind: 'propose' as const, action }));
      await store.write((tx) => applyWriteOps(tx, ops));
      batch = [];
      if ((i + 1) % 20_000 === 0) progress(`replay: wrote ${(i + 1).toLocaleString('en-US')} decisions…`);
    }
  }
}

function recordedAction(project: Project, random: Random, now: Date): ActionRecord {
  const type = weighted(random, TYPES);
  const entry = project.catalog.get(type);
  const environment = project.environments.get(random() < 0.55 ? 'staging' : 'production');
  if (entry === undefined || environment === undefined) throw new Error(`the quickstart lacks ${type}`);
  const agentId = `agent-${between(random, 1, 40)}`;
  const request: ActionRequest = {
    type,
    environment: environment.name,
    targets: Array.from(
      {
        length: weighted(random, [
          [0.7, 1],
          [0.18, 4],
          [0.08, 8],
          [0.04, 12],
        ]),
      },
      (_, t) => ({
        id: `svc-${t + 1}`,
        ...(random() < 0.03 ? { pci: true } : {}),
      }),
    ),
    params:
      type === 'deployment.scale'
        ? { replicas: pick(random, [0, 3, 6, 12, 25]) }
        : (PARAMS[type] ?? (() => ({})))(),
    confidence: random() < 0.9 ? between(random, 60, 99) / 100 : null,
    anomalyScore: random() < 0.8 ? between(random, 0, 60) / 100 : null,
    reasoning: 'Error rate rose after the last deploy; the runbook says restart first.',
    context: null,
    incident: random() < 0.1 ? `INC-${between(random, 1000, 1100)}` : null,
  };
  const granted = weighted<TrustLevel>(random, [
    [0.15, 0],
    [0.25, 1],
    [0.35, 2],
    [0.25, 3],
  ]);
  const calibration: CalibrationFact = calibrationOf(random, request);
  const frozen = random() < 0.02;
  const base: DecisionFacts = {
    request,
    action: {
      type,
      tier: entry.tier,
      domains: entry.domains,
      reversible: entry.reversible,
      verified: (entry.verification?.checks.length ?? 0) > 0,
    },
    agent: { id: agentId, owner: 'sre', suspended: false },
    environment: {
      name: environment.name,
      production: environment.production,
      changeWindows: environment.changeWindows,
    },
    trust: { granted, ceiling: 3, scope: granted === 0 ? null : `${type}@${environment.name}` },
    thresholds: project.config.trust.levels,
    calibration,
    frozen,
    ...(frozen ? { freeze: { source: 'manual', by: 'alice', reason: 'incident drill' } } : {}),
    now: now.toISOString(),
  };
  const counts = new Map(
    limitCounters(project.bundle, request, agentId).map((q) => [
      q.key,
      weighted(random, [
        [0.7, between(random, 0, 3)],
        [0.3, between(random, 4, 7)],
      ]),
    ]),
  );
  const limits = limitFacts(project.bundle, request, agentId, counts, project.inventory);
  const facts: DecisionFacts = limits.length === 0 ? base : { ...base, limits };
  const decision = decide(facts, project.bundle);
  return {
    id: newId('act', now),
    agentId,
    type,
    environment: environment.name,
    status: STATUS_OF[decision.effect],
    request,
    requestHash: sha256Hex(canonicalJson(request)),
    idempotencyKey: null,
    incident: request.incident,
    facts: facts as unknown as JsonObject,
    decision,
    createdAt: facts.now,
    updatedAt: facts.now,
  };
}

/** Half the scopes calibrated (a curve that shaves the stated confidence), the rest short of evidence. */
function calibrationOf(random: Random, request: ActionRequest): CalibrationFact {
  const scope = `${request.type}@${request.environment}`;
  if (random() < 0.5)
    return { scope, n: between(random, 0, 29), minEvidence: 30, knots: null, calibrated: null };
  const knots: [number, number][] = [
    [0.6, 0.45],
    [0.8, 0.7],
    [0.95, 0.9],
  ];
  const n = between(random, 30, 400);
  const stated = request.confidence;
  return {
    scope,
    n,
    minEvidence: 30,
    knots,
    calibrated: stated === null ? null : calibrate({ knots, n }, stated),
  };
}
