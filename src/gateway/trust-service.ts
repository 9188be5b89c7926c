/** Trust levels per scope: set by a named admin with a reason, capped by the agent's ceiling, audited. */

import { AirlockError } from '../domain/errors.ts';
import { isTrustLevel, type TrustLevel } from '../domain/levels.ts';
import type { Person } from '../project/project-schema.ts';
import type { GrantRecord } from '../store/records.ts';
import type { Store, StoreTx } from '../store/store.ts';
import { formatScope, parseScope } from '../trust/scope.ts';
import { ceilingFor, type TrustSettings } from '../trust/trust-settings.ts';
import type { Clock } from './clock.ts';

export interface TrustView {
  readonly agent: string;
  readonly ceiling: TrustLevel;
  readonly scopes: readonly (GrantRecord & { readonly scope: string; readonly effective: TrustLevel })[];
}

export interface SetLevelInput {
  readonly agentId: string;
  readonly scope: string;
  readonly level: number;
  readonly reason: string;
  /** `raise` (promote) or `lower` (demote): refuse a change the other way, or none. */
  readonly direction?: 'raise' | 'lower';
}

export interface LevelChange {
  readonly scope: string;
  readonly from: TrustLevel;
  readonly to: TrustLevel;
}

export class TrustService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #settings: () => TrustSettings;
  readonly #environments: () => ReadonlySet<string>;

  constructor(
    store: Store,
    clock: Clock,
    settings: () => TrustSettings,
    environments: () => ReadonlySet<string>,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#settings = settings;
    this.#environments = environments;
  }

  async show(agentId: string): Promise<TrustView> {
    if ((await this.#store.getAgent(agentId)) === null)
      throw new AirlockError('not_found', `no agent ${agentId}`);
    const ceiling = ceilingFor(this.#settings(), agentId);
    const grants = await this.#store.listGrants(agentId);
    return {
      agent: agentId,
      ceiling,
      scopes: grants.map((g) => ({
        ...g,
        scope: formatScope(g.typePattern, g.environment),
        effective: Math.min(g.level, ceiling) as TrustLevel,
      })),
    };
  }

  /** Set the level of a scope. Only admins; never above the agent's ceiling; a reason is required. */
  async setLevel(input: SetLevelInput, by: Person): Promise<LevelChange> {
    requireAdmin(by);
    const scope = parseScope(input.scope);
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
    if (!isTrustLevel(input.level)) {
      throw new AirlockError('validation_failed', 'bad level', [
        { path: 'level', message: 'levels are 0, 1, 2 or 3' },
      ]);
    }
    requireReason(input.reason);
    const ceiling = ceilingFor(this.#settings(), input.agentId);
    if (input.level > ceiling) {
      throw new AirlockError(
        'forbidden',
        `agent ${input.agentId} is capped at level ${ceiling} by config (trust.ceilings)`,
      );
    }
    const to = input.level;
    return this.#store.write(async (tx) => {
      await requireAgent(tx, input.agentId);
      const from =
        (await tx.listGrants(input.agentId)).find(
          (g) => g.typePattern === scope.typePattern && g.environment === scope.environment,
        )?.level ?? 0;
      const scopeText = formatScope(scope.typePattern, scope.environment);
      if (input.direction === 'raise' && to <= from) {
        throw new AirlockError('conflict', `${scopeText} is at level ${from}; promote needs a higher level`);
      }
      if (input.direction === 'lower' && to >= from) {
        throw new AirlockError('conflict', `${scopeText} is at level ${from}; demote needs a lower level`);
      }
      return this.#apply(tx, input.agentId, { ...scope, from, to }, input.reason, by);
    });
  }

  /** Revoke trust: every scope of the agent back to level 0, in one transaction. */
  async revokeAll(agentId: string, reason: string, by: Person): Promise<LevelChange[]> {
    requireAdmin(by);
    requireReason(reason);
    return this.#store.write(async (tx) => {
      await requireAgent(tx, agentId);
      const changes: LevelChange[] = [];
      for (const grant of await tx.listGrants(agentId)) {
        if (grant.level === 0) continue;
        changes.push(await this.#apply(tx, agentId, { ...grant, from: grant.level, to: 0 }, reason, by));
      }
      return changes;
    });
  }

  async #apply(
    tx: StoreTx,
    agentId: string,
    change: { typePattern: string; environment: string; from: TrustLevel; to: TrustLevel },
    reason: string,
    by: Person,
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
    await tx.appendAudit(
      [
        {
          kind: 'trust.level_set',
          actor: { kind: 'person', id: by.id },
          subject: agentId,
          data: { scope, from: change.from, to: change.to, reason },
        },
      ],
      at,
    );
    return { scope, from: change.from, to: change.to };
  }
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
