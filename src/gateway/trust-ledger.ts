/**
 * The evidence ledger and automatic demotion. Evidence is recorded in the same transaction as the
 * outcome or verdict it comes from, and a demotion event lowers the level (or suspends the agent)
 * in that transaction too: the very next decision, here or on another replica, sees it.
 */

import type { TrustLevel } from '../domain/levels.ts';
import type { ActionRecord } from '../store/records.ts';
import type { Store, StoreTx } from '../store/store.ts';
import { demotedLevel, demotionFor } from '../trust/demotion.ts';
import type { EvidenceKind, EvidenceRecord } from '../trust/evidence.ts';
import { formatScope, resolveLevel } from '../trust/scope.ts';
import type { DemotionAction } from '../trust/trust-rules.ts';
import type { TrustSettings } from '../trust/trust-settings.ts';
import { SYSTEM } from './approval-records.ts';
import type { Clock } from './clock.ts';
import type { Step, StepLedger } from './execution-steps.ts';
import { newId } from './ids.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/** A demotion the ledger applied. */
export interface Demotion {
  readonly agentId: string;
  readonly actionId: string;
  /** The evidence that triggered it, and the rule it fell under. */
  readonly event: EvidenceKind;
  readonly rule: string;
  readonly action: DemotionAction;
  /** The scope lowered, with its levels; null when the agent was suspended instead. */
  readonly scope: string | null;
  readonly from: TrustLevel | null;
  readonly to: TrustLevel | null;
  readonly suspended: boolean;
}

export interface EvidenceEntry {
  readonly action: ActionRecord;
  readonly kind: EvidenceKind;
  /** A person's id, or `airlock` for what Airlock observed. */
  readonly by: string;
  readonly detail?: string | null;
}

export interface TrustLedgerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly settings: () => TrustSettings;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Statuses that end an execution, each recorded as evidence of the same name. */
const OUTCOMES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'rolled_back', 'unknown']);
/** Evidence about how an execution went: an action is demoted for at most one of them. */
const EXECUTION_EVENTS: ReadonlySet<EvidenceKind> = new Set([
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
  'verification_failed',
]);

export class TrustLedger implements StepLedger {
  readonly #deps: TrustLedgerDeps;

  constructor(deps: TrustLedgerDeps) {
    this.#deps = deps;
  }

  /** Record evidence in `tx`, then apply the demotion rules to what was new. */
  async record(tx: StoreTx, entries: readonly EvidenceEntry[], at: string): Promise<Demotion[]> {
    const records = entries.map((e) => evidenceOf(e, at));
    const inserted = await tx.insertEvidence(records);
    const demotions: Demotion[] = [];
    for (const evidence of inserted) {
      const entry = entries.find((e) => e.action.id === evidence.actionId && e.kind === evidence.kind);
      if (entry === undefined) continue;
      demotions.push(...(await this.#demote(tx, entry.action, evidence.kind, at)));
    }
    return demotions;
  }

  /** What an execution step says about the agent: its outcome, and a failed verification. */
  async recordStep(tx: StoreTx, action: ActionRecord, step: Step, at: string): Promise<Demotion[]> {
    const entries: EvidenceEntry[] = [];
    if (step.events.some((e) => e.kind === 'verification.failed'))
      entries.push({ action, kind: 'verification_failed', by: SYSTEM.id });
    if (step.status !== undefined && step.status !== action.status && OUTCOMES.has(step.status))
      entries.push({ action, kind: step.status as EvidenceKind, by: SYSTEM.id });
    return entries.length === 0 ? [] : this.record(tx, entries, at);
  }

  /** After the commit: log and count each demotion. */
  announce(done: readonly Demotion[]): void {
    for (const d of done) {
      this.#deps.metrics.demotions.inc({ rule: d.rule, action: d.action });
      this.#deps.logger.warn(
        {
          event: 'trust.demoted',
          agent: d.agentId,
          action: d.actionId,
          rule: d.rule,
          scope: d.scope,
          from: d.from,
          to: d.to,
        },
        d.suspended
          ? `${d.agentId} suspended: ${d.event} of ${d.actionId} (${d.rule})`
          : `${d.agentId} ${d.scope}: level ${d.from} → ${d.to} after ${d.event} of ${d.actionId} (${d.rule})`,
      );
    }
  }

  /**
   * A proposal was denied at its decision: if the agent's denials since the last burst reach the
   * rule's count within its window, apply the burst rule (once per burst).
   */
  async onDenied(action: ActionRecord): Promise<void> {
    const burst = this.#deps.settings().demotion.deniedBurst;
    if (burst.action === 'none') return;
    const { store, clock } = this.#deps;
    const at = clock.now();
    const windowStart = new Date(at.getTime() - burst.within).toISOString();
    if (
      (await store.countDenied(action.agentId, await burstStart(store, action.agentId, windowStart))) <
      burst.count
    )
      return;
    const demotions = await store.write(async (tx) => {
      // Re-counted under the write lock: two denials racing make one burst, not two.
      const denied = await tx.countDenied(action.agentId, await burstStart(tx, action.agentId, windowStart));
      if (denied < burst.count) return [];
      return this.record(
        tx,
        [
          {
            action,
            kind: 'denied_burst',
            by: SYSTEM.id,
            detail: `${denied} proposals denied within the burst window`,
          },
        ],
        at.toISOString(),
      );
    });
    this.announce(demotions);
  }

  async #demote(tx: StoreTx, action: ActionRecord, event: EvidenceKind, at: string): Promise<Demotion[]> {
    const rule = demotionFor(this.#deps.settings().demotion, event);
    if (rule === null) return [];
    const base = {
      agentId: action.agentId,
      actionId: action.id,
      event,
      rule: rule.rule,
      action: rule.action,
    };
    const cause = `${event.replace('_', ' ')} of ${action.id}`;
    // A failed verification followed by its rollback is one failure: demote once per action.
    const firstForAction = async () =>
      !EXECUTION_EVENTS.has(event) ||
      (
        await tx.insertEvidence([
          evidenceOf({ action, kind: 'demoted', by: SYSTEM.id, detail: rule.rule }, at),
        ])
      ).length > 0;
    if (rule.action === 'suspend') {
      const agent = await tx.getAgent(action.agentId);
      if (agent === null || agent.status === 'suspended' || !(await firstForAction())) return [];
      await tx.setAgentStatus(agent.id, 'suspended', at);
      await tx.appendAudit(
        [
          {
            kind: 'agent.suspended',
            actor: SYSTEM,
            subject: agent.id,
            data: { reason: `automatic: ${cause}` },
          },
          {
            kind: 'trust.demoted',
            actor: SYSTEM,
            subject: agent.id,
            data: { ...demotionData(base), suspended: true },
          },
        ],
        at,
      );
      return [{ ...base, scope: null, from: null, to: null, suspended: true }];
    }
    // An outcome lowers the grant that gave its action the level; a burst of denials is the
    // agent's conduct as a whole, so it lowers every grant the agent holds.
    const grants = await tx.listGrants(action.agentId);
    const lowered =
      event === 'denied_burst'
        ? grants
        : [resolveLevel(grants, action.type, action.environment).grant].filter((g) => g !== null);
    const demotions: Demotion[] = [];
    if (!lowered.some((g) => g.level > 0) || !(await firstForAction())) return [];
    for (const grant of lowered) {
      if (grant.level === 0) continue;
      const to = demotedLevel(grant.level, rule.action);
      const scope = formatScope(grant.typePattern, grant.environment);
      await tx.putGrant({
        ...grant,
        agentId: action.agentId,
        level: to,
        grantedBy: SYSTEM.id,
        reason: `automatic demotion (${rule.rule}): ${cause}`,
        grantedAt: at,
      });
      demotions.push({ ...base, scope, from: grant.level, to, suspended: false });
    }
    await tx.appendAudit(
      demotions.map((d) => ({
        kind: 'trust.demoted',
        actor: SYSTEM,
        subject: action.agentId,
        data: { ...demotionData(base), scope: d.scope, from: d.from, to: d.to, suspended: false },
      })),
      at,
    );
    return demotions;
  }
}

function demotionData(d: Pick<Demotion, 'actionId' | 'event' | 'rule' | 'action'>) {
  return { action: d.actionId, event: d.event, rule: d.rule, does: d.action };
}

/**
 * Count denials from the latest of: the window's start, the agent's last burst, and its last
 * change of status (what it attempted while suspended is not held against it once resumed).
 */
async function burstStart(
  reader: Pick<Store, 'listEvidence' | 'getAgent'>,
  agentId: string,
  windowStart: string,
): Promise<string> {
  const [bursts, agent] = await Promise.all([
    reader.listEvidence({ agentId, kinds: ['denied_burst'], since: windowStart, limit: 1_000 }),
    reader.getAgent(agentId),
  ]);
  return [windowStart, bursts.at(-1)?.at ?? '', agent?.updatedAt ?? ''].reduce((a, b) => (b > a ? b : a));
}

function evidenceOf(entry: EvidenceEntry, at: string): EvidenceRecord {
  const { action } = entry;
  return {
    id: newId('ev', new Date(at)),
    agentId: action.agentId,
    actionId: action.id,
    type: action.type,
    environment: action.environment,
    kind: entry.kind,
    level: action.decision.trustLevel,
    confidence: action.request.confidence,
    by: entry.by,
    detail: entry.detail ?? null,
    at,
  };
}
