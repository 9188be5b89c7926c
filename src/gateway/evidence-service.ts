/**
 * What people add to the evidence ledger by hand: their verdict on an agent's advice (level 0),
 * and incidents an action caused that nothing measured at the time. Both are audited, and an
 * incident goes through the demotion rules like any other event.
 */

import type { ActionStatus } from '../domain/action.ts';
import { AirlockError } from '../domain/errors.ts';
import type { Person } from '../project/project-schema.ts';
import type { ActionRecord } from '../store/records.ts';
import type { Store, StoreTx } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { Demotion, TrustLedger } from './trust-ledger.ts';

export type AdviceVerdict = 'agree' | 'disagree';

export interface EvidenceAdded {
  readonly action: string;
  readonly agent: string;
  readonly kind: 'advice_agreed' | 'advice_disagreed' | 'incident';
  readonly by: string;
  /** Demotions the evidence caused (an incident, under the default rules, drops the scope to 0). */
  readonly demotions: readonly Demotion[];
}

/** Statuses of an action that may have changed something: an incident can be laid at their door. */
const RAN: ReadonlySet<ActionStatus> = new Set([
  'approved',
  'executing',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
]);

export class EvidenceService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #ledger: TrustLedger;

  constructor(store: Store, clock: Clock, ledger: TrustLedger) {
    this.#store = store;
    this.#clock = clock;
    this.#ledger = ledger;
  }

  /** A person's verdict on advice: would they have done what the agent recommended? */
  async review(
    actionId: string,
    verdict: AdviceVerdict,
    comment: string | null,
    by: Person,
  ): Promise<EvidenceAdded> {
    requireVoter(by, 'review advice');
    const kind = verdict === 'agree' ? 'advice_agreed' : 'advice_disagreed';
    return this.#add(actionId, by, async (tx, action) => {
      if (action.status !== 'advised') {
        throw new AirlockError(
          'invalid_state',
          `${actionId} is ${action.status}; only advice (actions decided at level 0) is reviewed`,
        );
      }
      const earlier = await tx.listEvidence({
        actionId,
        kinds: ['advice_agreed', 'advice_disagreed'],
        limit: 1,
      });
      if (earlier[0] !== undefined)
        throw new AirlockError('conflict', `${actionId} was reviewed already by ${earlier[0].by}`);
      return {
        kind,
        detail: comment,
        event: { kind: 'advice.reviewed', data: { verdict, comment } },
      };
    });
  }

  /** An incident the action caused, reported afterwards: evidence, and a demotion event. */
  async reportIncident(actionId: string, reason: string, by: Person): Promise<EvidenceAdded> {
    requireVoter(by, 'report incidents');
    if (reason.trim().length < 3) {
      throw new AirlockError('validation_failed', 'a reason is required', [
        { path: 'reason', message: 'say what happened' },
      ]);
    }
    return this.#add(actionId, by, async (tx, action) => {
      if (!RAN.has(action.status)) {
        throw new AirlockError(
          'invalid_state',
          `${actionId} is ${action.status}; an incident needs an action that was cleared to run`,
        );
      }
      const earlier = await tx.listEvidence({ actionId, kinds: ['incident'], limit: 1 });
      if (earlier[0] !== undefined)
        throw new AirlockError(
          'conflict',
          `an incident was reported for ${actionId} already by ${earlier[0].by}`,
        );
      return { kind: 'incident', detail: reason, event: { kind: 'incident.reported', data: { reason } } };
    });
  }

  async #add(
    actionId: string,
    by: Person,
    check: (
      tx: StoreTx,
      action: ActionRecord,
    ) => Promise<{
      kind: EvidenceAdded['kind'];
      detail: string | null;
      event: { kind: string; data: { readonly [key: string]: string | null } };
    }>,
  ): Promise<EvidenceAdded> {
    const at = this.#clock.now().toISOString();
    const added = await this.#store.write(async (tx) => {
      const action = await tx.getAction(actionId);
      if (action === null) throw new AirlockError('not_found', `no action ${actionId}`);
      const { kind, detail, event } = await check(tx, action);
      await tx.appendAudit(
        [{ kind: event.kind, actor: { kind: 'person', id: by.id }, subject: actionId, data: event.data }],
        at,
      );
      const demotions = await this.#ledger.record(tx, [{ action, kind, by: by.id, detail }], at);
      return { action: actionId, agent: action.agentId, kind, by: by.id, demotions };
    });
    this.#ledger.announce(added.demotions);
    return added;
  }
}

function requireVoter(by: Person, what: string): void {
  if (by.role === 'viewer')
    throw new AirlockError('forbidden', `viewers do not ${what}; ${by.id} is a viewer`);
}
