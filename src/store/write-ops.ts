/**
 * The writes the hot path makes, as plain data: they can be batched into one transaction and
 * sent to a writer thread. Each applies through the portable StoreTx, so every backend shares it.
 */

import { actionEvents } from './action-log.ts';
import type { ActionRecord, AuditRef, NewAuditEvent } from './records.ts';
import type { StoreTx } from './store.ts';

export type WriteOp =
  /** Record a decided action (its row and its chained events), unless the agent already used its idempotency key. */
  | { readonly kind: 'propose'; readonly action: ActionRecord }
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
 * Apply a batch in order inside one transaction, in two statements whatever its size: one
 * insert of every action (skipping used idempotency keys), one append of every event.
 */
export async function applyWriteOps(tx: StoreTx, ops: readonly WriteOp[]): Promise<WriteResult[]> {
  const actions: ActionRecord[] = [];
  for (const op of ops) if (op.kind === 'propose') actions.push(op.action);
  const inserted = actions.length === 0 ? new Set<string>() : await tx.insertActions(actions);

  const owned = ops.map((op) => {
    if (op.kind === 'append') return op.events.map((event) => ({ ...event, at: event.at ?? op.at }));
    return inserted.has(op.action.id) ? actionEvents(op.action) : null;
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
