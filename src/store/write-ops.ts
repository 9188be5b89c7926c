/**
 * The writes the hot path makes, as plain data: they can be batched into one transaction and
 * sent to a writer thread. Each applies through the portable StoreTx, so every backend shares it.
 */

import { actionEvents } from './action-log.ts';
import type {
  ActionRecord,
  Approval,
  AuditRef,
  NewAuditEvent,
  OutboxRecord,
  ShadowDecisionRecord,
} from './records.ts';
import type { StoreTx } from './store.ts';

export type WriteOp =
  /**
   * Record a decided action (its row and its chained events), unless the agent already used its
   * idempotency key; with it, the approval it opens, that approval's events and its notifications,
   * and the shadow bundle's disagreement with its decision (never orphaned, never lost apart).
   */
  | {
      readonly kind: 'propose';
      readonly action: ActionRecord;
      readonly approval?: Approval | undefined;
      /** Chained after the action's own events. */
      readonly events?: readonly NewAuditEvent[] | undefined;
      readonly outbox?: readonly OutboxRecord[] | undefined;
      readonly shadow?: ShadowDecisionRecord | undefined;
    }
  /** Append events to the audit chain. */
  | { readonly kind: 'append'; readonly events: readonly NewAuditEvent[]; readonly at: string };

/**
 * A batch whose outcome cannot be known (the writer stopped mid-commit): it may or may not be on
 * disk, so it must never be retried blindly.
 */
export class OutcomeUnknownError extends Error {
  override readonly name = 'OutcomeUnknownError';
}

export type WriteResult =
  /** References to the events appended (their data stays on the writer's side). */
  { readonly kind: 'appended'; readonly records: readonly AuditRef[] } | { readonly kind: 'duplicate' };

/**
 * Apply a batch in order inside one transaction, in a few statements whatever its size: one
 * insert of every action (skipping used idempotency keys), of every approval they open and of
 * every notification, and one append of every event.
 */
export async function applyWriteOps(tx: StoreTx, ops: readonly WriteOp[]): Promise<WriteResult[]> {
  const actions: ActionRecord[] = [];
  for (const op of ops) if (op.kind === 'propose') actions.push(op.action);
  const inserted = actions.length === 0 ? new Set<string>() : await tx.insertActions(actions);

  const approvals: Approval[] = [];
  const outbox: OutboxRecord[] = [];
  const shadows: ShadowDecisionRecord[] = [];
  for (const op of ops) {
    if (op.kind !== 'propose' || !inserted.has(op.action.id)) continue;
    if (op.approval !== undefined) approvals.push(op.approval);
    if (op.outbox !== undefined) outbox.push(...op.outbox);
    if (op.shadow !== undefined) shadows.push(op.shadow);
  }
  await tx.insertApprovals(approvals);
  await tx.enqueue(outbox);
  await tx.insertShadowDecisions(shadows);

  const owned = ops.map((op) => {
    if (op.kind === 'append') return op.events.map((event) => ({ ...event, at: event.at ?? op.at }));
    if (!inserted.has(op.action.id)) return null;
    return [...actionEvents(op.action), ...(op.events ?? [])];
  });
  const records = await tx.appendAudit(
    owned.flatMap((events) => events ?? []),
    new Date().toISOString(),
  );

  let next = 0;
  return owned.map((events): WriteResult => {
    if (events === null) return { kind: 'duplicate' };
    const own = records.slice(next, next + events.length).map(({ data: _data, ...ref }) => ref);
    next += events.length;
    return { kind: 'appended', records: own };
  });
}
