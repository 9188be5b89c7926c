/**
 * Trust levels per scope: raised only by a named admin against the promotion criteria (an
 * override is recorded as such, with the evidence snapshot), lowered by an admin or by the
 * ledger's demotion rules, capped by the agent's ceiling, always audited.
 */

import { AirlockError, type ErrorDetail } from '../domain/errors.ts';
import type { JsonObject, JsonValue } from '../domain/json.ts';
import { isTrustLevel, type TrustLevel } from '../domain/levels.ts';
import type { Person } from '../project/project-schema.ts';
import type { Store, StoreTx } from '../store/store.ts';
import { inScope, type ScopeMetrics, scopeMetrics } from '../trust/evidence.ts';
import { checkPromotion, type PromotionCheck } from '../trust/promotion.ts';
import { formatScope, parseScope } from '../trust/scope.ts';
import { ceilingFor, type TrustSettings } from '../trust/trust-settings.ts';
import type { Clock } from './clock.ts';
import { freezeSubject } from './freeze-service.ts';
import type { Metrics } from './metrics.ts';
import { type AgentTrustReport, agentTrustReport, type ScopeReport } from './trust-reports.ts';

export interface SetLevelInput {
  readonly agentId: string;
  readonly scope: string;
  readonly level: number;
  readonly reason: string;
  /** `raise` (promote) or `lower` (demote): refuse a change the other way, or none. */
  readonly direction?: 'raise' | 'lower';
  /** Raise even though the promotion criteria are not met; recorded as an override. */
  readonly override?: boolean | undefined;
}

export interface LevelChange {
  readonly scope: string;
  readonly from: TrustLevel;
  readonly to: TrustLevel;
  /** For a raise: the criteria as checked, and whether an admin overrode them. */
  readonly promotion?: { readonly override: boolean; readonly checks: readonly PromotionCheck[] };
}

export interface Recommendation {
  readonly agent: string;
  readonly scope: string;
  readonly from: TrustLevel;
  readonly to: 1 | 2 | 3;
  readonly check: PromotionCheck;
  readonly metrics: ScopeMetrics;
}

export class TrustService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #settings: () => TrustSettings;
  readonly #environments: () => ReadonlySet<string>;
  readonly #metrics: Metrics | null;

  constructor(
    store: Store,
    clock: Clock,
    settings: () => TrustSettings,
    environments: () => ReadonlySet<string>,
    metrics: Metrics | null = null,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#settings = settings;
    this.#environments = environments;
    this.#metrics = metrics;
  }

  /** Levels, evidence, calibration and what blocks the next promotion, per scope. */
  async show(agentId: string): Promise<AgentTrustReport> {
    if ((await this.#store.getAgent(agentId)) === null)
      throw new AirlockError('not_found', `no agent ${agentId}`);
    return agentTrustReport(this.#store, this.#settings(), agentId, this.#clock.now());
  }

  /** Scopes whose evidence meets the criteria for their next level (never above the ceiling). */
  async recommend(agentId?: string): Promise<Recommendation[]> {
    const agents =
      agentId === undefined
        ? (await this.#store.listAgents()).filter((a) => a.status === 'active').map((a) => a.id)
        : [agentId];
    const out: Recommendation[] = [];
    for (const id of agents) {
      for (const s of (await this.show(id)).scopes) {
        if (s.next === null || !s.next.qualifies || s.capped) continue;
        out.push({
          agent: id,
          scope: s.scope,
          from: s.level,
          to: s.next.to,
          check: s.next,
          metrics: s.metrics,
        });
      }
    }
    return out;
  }

  /**
   * Set the level of a scope. Only admins, with a reason, never above the agent's ceiling. A
   * raise must meet the promotion criteria of every level it passes, or be an override.
   */
  async setLevel(input: SetLevelInput, by: Person): Promise<LevelChange> {
    requireAdmin(by);
    const scope = this.#parseScope(input.scope);
    if (!isTrustLevel(input.level)) {
      throw new AirlockError('validation_failed', 'bad level', [
        { path: 'level', message: 'levels are 0, 1, 2 or 3' },
      ]);
    }
    requireReason(input.reason);
    const settings = this.#settings();
    const ceiling = ceilingFor(settings, input.agentId);
    if (input.level > ceiling) {
      throw new AirlockError(
        'forbidden',
        `agent ${input.agentId} is capped at level ${ceiling} by config (trust.ceilings)`,
      );
    }
    const to = input.level;
    const override = input.override === true;
    const now = this.#clock.now();
    return this.#store
      .write(async (tx) => {
        await requireAgent(tx, input.agentId);
        const grant = (await tx.listGrants(input.agentId)).find(
          (g) => g.typePattern === scope.typePattern && g.environment === scope.environment,
        );
        const from = grant?.level ?? 0;
        const scopeText = formatScope(scope.typePattern, scope.environment);
        if (input.direction === 'raise' && to <= from) {
          throw new AirlockError(
            'conflict',
            `${scopeText} is at level ${from}; promote needs a higher level`,
          );
        }
        if (input.direction === 'lower' && to >= from) {
          throw new AirlockError('conflict', `${scopeText} is at level ${from}; demote needs a lower level`);
        }
        const change = { ...scope, from, to };
        if (to <= from) return this.#apply(tx, input.agentId, change, input.reason, by);

        // A raise: the criteria of each level passed, on the evidence as it is in this transaction.
        const since = new Date(now.getTime() - settings.window).toISOString();
        const evidence = await tx.listEvidence({ agentId: input.agentId, since, limit: 100_000 });
        const window = { since, until: now.toISOString() };
        const levelSince = grant?.grantedAt ?? evidence.find((e) => inScope(scope, e))?.at ?? null;
        const checks: PromotionCheck[] = [];
        let metrics: ScopeMetrics | null = null;
        for (let level = from; level < to; level++) {
          const at = level as TrustLevel;
          const m = scopeMetrics(evidence, scope, at, window);
          metrics ??= m;
          const check = checkPromotion(settings.promotion, at, m, level === from ? levelSince : null, now);
          if (check !== null) checks.push(check);
        }
        const unmet = checks.flatMap((c) => c.criteria.filter((r) => !r.passed).map((r) => ({ c, r })));
        if (unmet.length > 0 && !override) {
          throw new AirlockError(
            'criteria_not_met',
            `${scopeText} does not meet the promotion criteria for level ${to}; an admin may override with a reason`,
            unmet.map(
              ({ c, r }): ErrorDetail => ({ path: `toLevel${c.to}.${r.criterion}`, message: r.message }),
            ),
          );
        }
        const snapshot = {
          override,
          checks: checks as unknown as JsonValue,
          metrics: metrics === null ? null : summary(metrics),
        };
        const applied = await this.#apply(tx, input.agentId, change, input.reason, by, snapshot);
        return { ...applied, promotion: { override, checks } };
      })
      .then((change) => {
        if (change.promotion !== undefined)
          this.#metrics?.promotions.inc({ override: String(change.promotion.override) });
        return change;
      });
  }

  /** Revoke trust: every scope of the agent back to level 0 and the agent frozen, in one transaction. */
  async revokeAll(agentId: string, reason: string, by: Person): Promise<LevelChange[]> {
    requireAdmin(by);
    requireReason(reason);
    const at = this.#clock.now().toISOString();
    return this.#store.write(async (tx) => {
      await requireAgent(tx, agentId);
      const changes: LevelChange[] = [];
      for (const grant of await tx.listGrants(agentId)) {
        if (grant.level === 0) continue;
        changes.push(await this.#apply(tx, agentId, { ...grant, from: grant.level, to: 0 }, reason, by));
      }
      await tx.putFreeze({
        scope: agentId,
        reason: `trust revoked: ${reason}`,
        frozenBy: by.id,
        frozenAt: at,
      });
      await tx.appendAudit(
        [
          {
            kind: 'freeze.set',
            actor: { kind: 'person', id: by.id },
            subject: freezeSubject(agentId),
            data: { scope: 'agent', agent: agentId, reason: `trust revoked: ${reason}` },
          },
        ],
        at,
      );
      return changes;
    });
  }

  #parseScope(text: string): { typePattern: string; environment: string } {
    const scope = parseScope(text);
    if (scope === null) {
      throw new AirlockError('validation_failed', 'bad scope', [
        {
          path: 'scope',
          message: 'write <type pattern>@<environment>, e.g. service.restart@staging or service.*@*',
        },
      ]);
    }
    if (scope.environment !== '*' && !this.#environments().has(scope.environment)) {
      throw new AirlockError('validation_failed', 'unknown environment', [
        { path: 'scope', message: `no environment "${scope.environment}" in the project` },
      ]);
    }
    return scope;
  }

  async #apply(
    tx: StoreTx,
    agentId: string,
    change: { typePattern: string; environment: string; from: TrustLevel; to: TrustLevel },
    reason: string,
    by: Person,
    promotion?: JsonObject,
  ): Promise<LevelChange> {
    const at = this.#clock.now().toISOString();
    const scope = formatScope(change.typePattern, change.environment);
    await tx.putGrant({
      agentId,
      typePattern: change.typePattern,
      environment: change.environment,
      level: change.to,
      grantedBy: by.id,
      reason,
      grantedAt: at,
    });
    const data = { scope, from: change.from, to: change.to, reason };
    await tx.appendAudit(
      [
        promotion === undefined
          ? { kind: 'trust.level_set', actor: { kind: 'person', id: by.id }, subject: agentId, data }
          : {
              kind: 'trust.promoted',
              actor: { kind: 'person', id: by.id },
              subject: agentId,
              data: { ...data, ...promotion },
            },
      ],
      at,
    );
    return { scope, from: change.from, to: change.to };
  }
}

/** The figures a promotion's audit event keeps: enough to see later what the admin saw. */
function summary(m: ScopeMetrics): JsonObject {
  return {
    since: m.since,
    until: m.until,
    counts: m.counts,
    atLevel: m.atLevel,
    success: { ...m.success },
    agreement: { ...m.agreement },
    rollbacks: m.rollbacks,
    lastRollbackAt: m.lastRollbackAt,
    lastIncidentAt: m.lastIncidentAt,
    calibration: { n: m.calibration.n, brier: m.calibration.brier, ece: m.calibration.ece },
  };
}

function requireAdmin(by: Person): void {
  if (by.role !== 'admin')
    throw new AirlockError('forbidden', `only admins change trust levels; ${by.id} is ${by.role}`);
}

function requireReason(reason: string): void {
  if (reason.trim() === '') {
    throw new AirlockError('validation_failed', 'a reason is required', [
      { path: 'reason', message: 'say why' },
    ]);
  }
}

async function requireAgent(tx: StoreTx, agentId: string): Promise<void> {
  if ((await tx.getAgent(agentId)) === null) throw new AirlockError('not_found', `no agent ${agentId}`);
}

export type { ScopeReport };
