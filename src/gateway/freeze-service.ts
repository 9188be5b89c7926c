/**
 * The kill switch. A freeze halts autonomous execution at once, for every agent or for one:
 * whatever would have executed alone escalates to a human instead. Freezes from the command line
 * or the API live in the store (and bump the access version, so every process sees them on its
 * next request); calendar freezes come from config.
 */

import type { Actor } from '../audit/audit-event.ts';
import { calendarFreezeAt } from '../decide/calendar-freeze.ts';
import { AirlockError } from '../domain/errors.ts';
import type { FreezeSpec } from '../project/project-schema.ts';
import type { FreezeRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { AccessCache } from './access-cache.ts';
import type { Clock } from './clock.ts';

export const GLOBAL_SCOPE = '*';

/** Why autonomous execution is halted for an agent in an environment, or null when it is not. */
export interface FreezeState {
  readonly source: 'global' | 'agent' | 'calendar';
  readonly reason: string;
  /** Who froze it (a person), or the calendar window. */
  readonly by: string;
}

export interface FreezeInput {
  readonly agentId?: string | undefined;
  readonly reason: string;
}

export class FreezeService {
  readonly #store: Store;
  readonly #access: AccessCache;
  readonly #clock: Clock;
  readonly #calendar: () => readonly FreezeSpec[];

  constructor(store: Store, access: AccessCache, clock: Clock, calendar: () => readonly FreezeSpec[]) {
    this.#store = store;
    this.#access = access;
    this.#clock = clock;
    this.#calendar = calendar;
  }

  /** Is autonomous execution halted for this agent in this environment at `now`? Global wins, then the agent's, then the calendar. */
  async check(agentId: string, environment: string, now: Date): Promise<FreezeState | null> {
    await this.#access.refresh();
    const freezes = await this.#access.listFreezes();
    const global = freezes.find((f) => f.scope === GLOBAL_SCOPE);
    if (global !== undefined) return { source: 'global', reason: global.reason, by: global.frozenBy };
    const own = freezes.find((f) => f.scope === agentId);
    if (own !== undefined) return { source: 'agent', reason: own.reason, by: own.frozenBy };
    return calendarFreezeAt(this.#calendar(), environment, now);
  }

  async list(): Promise<{ freezes: FreezeRecord[]; calendar: readonly FreezeSpec[] }> {
    return { freezes: await this.#store.listFreezes(), calendar: this.#calendar() };
  }

  /** Halt autonomous execution (globally, or for one agent); audited with who and why. */
  async freeze(by: Actor, input: FreezeInput): Promise<FreezeRecord> {
    const scope = await this.#scope(input.agentId);
    const at = this.#clock.now().toISOString();
    const record: FreezeRecord = { scope, reason: input.reason, frozenBy: by.id, frozenAt: at };
    await this.#store.write(async (tx) => {
      await tx.putFreeze(record);
      await tx.appendAudit(
        [
          {
            kind: 'freeze.set',
            actor: by,
            subject: freezeSubject(scope),
            data: {
              scope: scope === GLOBAL_SCOPE ? 'global' : 'agent',
              agent: input.agentId ?? null,
              reason: input.reason,
            },
          },
        ],
        at,
      );
    });
    return record;
  }

  /** Resume autonomous execution; 404 when that scope was not frozen. */
  async unfreeze(
    by: Actor,
    input: { agentId?: string | undefined; reason?: string | undefined },
  ): Promise<void> {
    const scope = await this.#scope(input.agentId);
    const at = this.#clock.now().toISOString();
    const lifted = await this.#store.write(async (tx) => {
      if (!(await tx.deleteFreeze(scope))) return false;
      await tx.appendAudit(
        [
          {
            kind: 'freeze.lifted',
            actor: by,
            subject: freezeSubject(scope),
            data: {
              scope: scope === GLOBAL_SCOPE ? 'global' : 'agent',
              agent: input.agentId ?? null,
              reason: input.reason ?? null,
            },
          },
        ],
        at,
      );
      return true;
    });
    if (!lifted) {
      throw new AirlockError(
        'not_found',
        input.agentId === undefined
          ? 'autonomous execution is not frozen globally'
          : `agent ${input.agentId} is not frozen`,
      );
    }
  }

  async #scope(agentId: string | undefined): Promise<string> {
    if (agentId === undefined) return GLOBAL_SCOPE;
    if ((await this.#store.getAgent(agentId)) === null)
      throw new AirlockError('not_found', `no agent ${agentId}`);
    return agentId;
  }
}

export function freezeSubject(scope: string): string {
  return scope === GLOBAL_SCOPE ? 'freeze' : `freeze:${scope}`;
}
