/**
 * Where an agent stands per scope: its level and since when, the evidence and calibration over
 * the window, and what the next promotion's criteria say. Read by `trust show`, `trust recommend`
 * and promotion alike, so they can never disagree.
 */

import type { TrustLevel } from '../domain/levels.ts';
import type { GrantRecord } from '../store/records.ts';
import type { StoreReader } from '../store/store.ts';
import type { EvidenceRecord, ScopeMetrics } from '../trust/evidence.ts';
import { scopeMetrics } from '../trust/evidence.ts';
import { checkPromotion, type PromotionCheck } from '../trust/promotion.ts';
import { formatScope, resolveLevel } from '../trust/scope.ts';
import { ceilingFor, type TrustSettings } from '../trust/trust-settings.ts';

/** Evidence read per agent for a report: the most recent this many in the window. */
const MAX_EVIDENCE = 100_000;

export interface ScopeReport {
  readonly scope: string;
  readonly typePattern: string;
  readonly environment: string;
  /** The level granted (0 for a scope seen only in evidence). */
  readonly level: TrustLevel;
  /** min(level, the agent's ceiling). */
  readonly effective: TrustLevel;
  readonly grant: GrantRecord | null;
  /** When the scope reached its level (the grant), or its first evidence when never granted. */
  readonly levelSince: string | null;
  readonly metrics: ScopeMetrics;
  /** The next level's criteria, checked; null at level 3. */
  readonly next: PromotionCheck | null;
  /** The next level would exceed the agent's ceiling. */
  readonly capped: boolean;
}

export interface AgentTrustReport {
  readonly agent: string;
  readonly ceiling: TrustLevel;
  readonly scopes: readonly ScopeReport[];
}

/**
 * Every scope of an agent: each grant, and each `type@environment` its evidence shows that no
 * grant covers (level 0, where promotion to 1 starts).
 */
export async function agentTrustReport(
  store: StoreReader,
  settings: TrustSettings,
  agentId: string,
  now: Date,
): Promise<AgentTrustReport> {
  const since = new Date(now.getTime() - settings.window).toISOString();
  const until = now.toISOString();
  const [grants, evidence] = await Promise.all([
    store.listGrants(agentId),
    store.listEvidence({ agentId, since, limit: MAX_EVIDENCE }),
  ]);
  const ceiling = ceilingFor(settings, agentId);
  const scopes: ScopeReport[] = grants.map((grant) =>
    report(settings, ceiling, grant, grant, grant.grantedAt, evidence, { since, until }, now),
  );
  const ungranted = new Map<string, EvidenceRecord>();
  for (const e of evidence) {
    if (resolveLevel(grants, e.type, e.environment).grant !== null) continue;
    const key = formatScope(e.type, e.environment);
    if (!ungranted.has(key)) ungranted.set(key, e);
  }
  for (const first of ungranted.values()) {
    const pattern = { typePattern: first.type, environment: first.environment };
    scopes.push(report(settings, ceiling, pattern, null, first.at, evidence, { since, until }, now));
  }
  return { agent: agentId, ceiling, scopes };
}

function report(
  settings: TrustSettings,
  ceiling: TrustLevel,
  pattern: { readonly typePattern: string; readonly environment: string },
  grant: GrantRecord | null,
  levelSince: string | null,
  evidence: readonly EvidenceRecord[],
  window: { readonly since: string; readonly until: string },
  now: Date,
): ScopeReport {
  const level = grant?.level ?? 0;
  const metrics = scopeMetrics(evidence, pattern, level, window);
  return {
    scope: formatScope(pattern.typePattern, pattern.environment),
    typePattern: pattern.typePattern,
    environment: pattern.environment,
    level,
    effective: Math.min(level, ceiling) as TrustLevel,
    grant,
    levelSince,
    metrics,
    next: checkPromotion(settings.promotion, level, metrics, levelSince, now),
    capped: level >= ceiling,
  };
}
