/** What a resolved approval says about the agent that proposed the action: one piece of evidence. */

import type { Transition } from '../approvals/approval.ts';
import type { ActionRecord } from '../store/records.ts';
import { SYSTEM } from './approval-records.ts';
import type { EvidenceEntry } from './trust-ledger.ts';

type Resolved = Extract<Transition, { kind: 'approval.resolved' }>;

/**
 * Approved as proposed, approved with changes (a person revised it), denied by a person, or
 * expired. A revision is a person's proposal, not the agent's: it gives no evidence of its own.
 */
export function verdictEvidence(
  action: ActionRecord,
  resolved: Resolved,
  transitions: readonly Transition[],
): EvidenceEntry[] {
  if ((action.facts as { revision?: unknown }).revision !== undefined) return [];
  const voter = transitions.findLast((t) => t.kind === 'approval.voted');
  const by = voter?.kind === 'approval.voted' ? voter.vote.person : SYSTEM.id;
  const comment = voter?.kind === 'approval.voted' ? voter.vote.comment : null;
  if (resolved.cause === 'timeout') return [{ action, kind: 'expired', by: SYSTEM.id }];
  if (resolved.outcome === 'approved') return [{ action, kind: 'approved_unchanged', by, detail: comment }];
  if (resolved.outcome === 'revised') return [{ action, kind: 'approved_changed', by, detail: comment }];
  if (resolved.outcome === 'denied') return [{ action, kind: 'denied_by_person', by, detail: comment }];
  return [];
}
