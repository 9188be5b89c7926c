/** What waits for the signed-in person: shared by the inbox and the count in the top bar, kept live. */

import { createContext, type ReactNode, useContext } from 'react';
import type { ApprovalList, LiveEvent } from '../api/types.ts';
import { useLiveRefresh } from './live.tsx';
import { type Resource, useResource } from './use-resource.ts';

const PendingContext = createContext<Resource<ApprovalList> | null>(null);

/** Approvals open, vote, escalate and resolve; actions need attention after executions. */
export function affectsInbox(event: LiveEvent): boolean {
  return /^(approval|action|execution|verification|rollback|permit)\./.test(event.kind);
}

export function PendingProvider({ children }: { children: ReactNode }) {
  const pending = useResource('approvals', (api) => api.approvals());
  useLiveRefresh(affectsInbox, () => void pending.reload());
  return <PendingContext value={pending}>{children}</PendingContext>;
}

export function usePending(): Resource<ApprovalList> {
  const pending = useContext(PendingContext);
  if (pending === null) throw new Error('usePending outside PendingProvider');
  return pending;
}
