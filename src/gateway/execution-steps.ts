/**
 * How an execution moves: each step is one transaction that re-reads the execution, applies the
 * step only if it is still in the phase the step expects (and at the version read), and writes
 * the new phase, the action's status, the audit events and any alerts together. A step that
 * finds the execution moved on does nothing: two replicas, or a timer racing a report, cannot
 * both act.
 */

import type { ActionStatus } from '../domain/action.ts';
import type { JsonObject } from '../domain/json.ts';
import type {
  ActionRecord,
  Actor,
  ExecutionPhase,
  ExecutionRecord,
  NewAuditEvent,
  OutboxRecord,
} from '../store/records.ts';
import type { Store, StoreTx } from '../store/store.ts';
import type { ActionEvents } from './action-events.ts';
import { SYSTEM } from './approval-records.ts';
import type { Demotion } from './trust-ledger.ts';

export interface StepEvent {
  readonly kind: string;
  readonly data: JsonObject;
  readonly actor?: Actor;
}

export interface Step {
  readonly phase: ExecutionPhase;
  readonly deadline?: string | null;
  readonly attempts?: number;
  /** Merged into the execution's state. */
  readonly state?: JsonObject;
  readonly status?: ActionStatus;
  readonly events: readonly StepEvent[];
  readonly outbox?: readonly OutboxRecord[];
}

/** Where a step's outcome becomes evidence (and, through the demotion rules, a lower level). */
export interface StepLedger {
  /** Inside the step's transaction: record what the step says about the agent. */
  recordStep(tx: StoreTx, action: ActionRecord, step: Step, at: string): Promise<readonly Demotion[]>;
  /** After the commit: log and count what `recordStep` did. */
  announce(done: readonly Demotion[]): void;
}

export interface StepDeps {
  readonly store: Store;
  readonly events: ActionEvents;
  readonly ledger: StepLedger;
  /** This process: whoever applies a step runs the phase it leads to. */
  readonly replica: string;
}

export interface Stepped {
  readonly execution: ExecutionRecord;
  readonly action: ActionRecord;
  readonly seq: number;
}

/** Build the audit events of a step on one action. */
export function stepEvents(actionId: string, events: readonly StepEvent[], at: string): NewAuditEvent[] {
  return events.map((e) => ({ kind: e.kind, actor: e.actor ?? SYSTEM, subject: actionId, at, data: e.data }));
}

/**
 * Apply `decide(execution, action)`'s step if the execution is in one of `from`; null when it is
 * not (or decide returns null). Retries a lost race a few times, re-reading each time.
 */
export async function applyStep(
  deps: StepDeps,
  actionId: string,
  from: readonly ExecutionPhase[],
  at: string,
  decide: (
    execution: ExecutionRecord,
    action: ActionRecord,
    tx: StoreTx,
  ) => Promise<Step | null> | Step | null,
): Promise<Stepped | null> {
  const { store, events, ledger } = deps;
  for (let attempt = 0; attempt < 4; attempt++) {
    let recorded: readonly Demotion[] = [];
    const result = await store.write(async (tx): Promise<Stepped | null | 'raced'> => {
      const execution = await tx.getExecution(actionId);
      const action = await tx.getAction(actionId);
      if (execution === null || action === null || !from.includes(execution.phase)) return null;
      const step = await decide(execution, action, tx);
      if (step === null) return null;
      const next: ExecutionRecord = {
        ...execution,
        phase: step.phase,
        deadline: step.deadline === undefined ? execution.deadline : step.deadline,
        attempts: step.attempts ?? execution.attempts,
        state: step.state === undefined ? execution.state : { ...execution.state, ...step.state },
        version: execution.version + 1,
        updatedAt: at,
        owner: deps.replica,
      };
      if (!(await tx.saveExecution(next, execution.version))) return 'raced';
      if (step.status !== undefined && step.status !== action.status)
        await tx.setActionStatus(actionId, step.status, at);
      await tx.enqueue(step.outbox ?? []);
      const records = await tx.appendAudit(stepEvents(actionId, step.events, at), at);
      // After the step's own events: the evidence it gives, and any demotion that follows.
      recorded = await ledger.recordStep(tx, action, step, at);
      return {
        execution: next,
        action: { ...action, status: step.status ?? action.status, updatedAt: at },
        seq: records.at(-1)?.seq ?? 0,
      };
    });
    if (result === 'raced') continue;
    if (result !== null) {
      ledger.announce(recorded);
      events.publish({
        actionId,
        agentId: result.action.agentId,
        status: result.action.status,
        seq: result.seq,
      });
    }
    return result;
  }
  return null;
}
