/**
 * The approvals inbox: what waits for the signed-in person, oldest first, with the full context of
 * the selected one and a vote. Keys: j/k move, a approve, d deny, c comment, ? help.
 */

import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.ts';
import type { Approval, ApprovalSummary } from '../api/types.ts';
import { errorMessage } from '../components/error-notice.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { ShortcutHelp } from '../components/shortcut-help.tsx';
import { Toast } from '../components/toast.tsx';
import { plural } from '../lib/format.ts';
import { usePending } from '../lib/pending.tsx';
import { Link } from '../lib/router.tsx';
import { useSession } from '../lib/session.tsx';
import { useShortcuts } from '../lib/use-shortcuts.ts';
import { ApprovalDetail } from './approval-detail.tsx';
import { AttentionList } from './attention-list.tsx';
import { InboxList } from './inbox-list.tsx';
import { VoteForm, type VoteOutcome } from './vote-form.tsx';

const SHORTCUTS = [
  ['j', 'next approval'],
  ['k', 'previous approval'],
  ['a', 'approve the selected approval'],
  ['d', 'deny it (write a reason first)'],
  ['c', 'write a comment'],
  ['?', 'show these shortcuts'],
] as const;

function outcomeText(verdict: 'approve' | 'deny', approval: Approval, result: ApprovalSummary) {
  const what = `${approval.type} on ${approval.targets.map((t) => t.id).join(', ')}`;
  const did = verdict === 'approve' ? 'approved' : 'denied';
  if (result.status === 'pending') {
    return `You ${did} ${what}. ${result.approvals} of ${result.quorum} approvals at step ${result.step}; it still waits for others.`;
  }
  return `You ${did} ${what}. The approval is now ${result.status}.`;
}

export function InboxPage() {
  const { api } = useSession();
  const pending = usePending();
  const approvals = pending.data?.approvals ?? [];
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const lastIndex = useRef(0);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [voteError, setVoteError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<VoteOutcome | null>(null);
  const [help, setHelp] = useState(false);
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const detailRef = useRef<HTMLDivElement>(null);

  // The selection survives refreshes by id; when its item leaves, the one that took its place is selected.
  let index = approvals.findIndex((a) => a.id === selectedId);
  if (index === -1 && approvals.length > 0) index = Math.min(lastIndex.current, approvals.length - 1);
  const selected: Approval | undefined = index === -1 ? undefined : approvals[index];
  useEffect(() => {
    if (index !== -1) lastIndex.current = index;
  }, [index]);

  const selectedKey = selected?.id ?? null;
  const [commentFor, setCommentFor] = useState<string | null>(null);
  if (commentFor !== selectedKey) {
    setCommentFor(selectedKey);
    setComment('');
    setVoteError(null);
  }

  const select = (i: number, focus: boolean) => {
    const next = approvals[i];
    if (next === undefined) return;
    setSelectedId(next.id);
    if (focus) {
      const item = document.querySelector<HTMLElement>(
        `[data-testid="inbox-item"][data-approval-id="${CSS.escape(next.id)}"]`,
      );
      item?.focus();
      item?.scrollIntoView({ block: 'nearest' });
    }
  };

  const vote = async (verdict: 'approve' | 'deny') => {
    if (selected === undefined || busy) return;
    const you = selected.you;
    if (verdict === 'approve' && you !== undefined && !you.mayApprove) {
      setVoteError(new Error(you.why ?? 'You may not approve this one.'));
      return;
    }
    if (verdict === 'deny' && comment.trim() === '') {
      setVoteError(new Error('A deny needs a reason: write it in the comment, then deny.'));
      commentRef.current?.focus();
      return;
    }
    setBusy(true);
    setVoteError(null);
    try {
      const result = await api.vote(selected.id, verdict, comment, selected.requestHash);
      setOutcome({
        verdict,
        action: selected.action,
        approval: result.approval,
        text: outcomeText(verdict, selected, result.approval),
      });
      setComment('');
    } catch (error) {
      // Shown apart from the item: the refresh below may take the item away (someone else decided).
      setOutcome({
        verdict: null,
        action: selected.action,
        approval: null,
        text: `Your vote was not recorded: ${errorMessage(error)}`,
      });
    } finally {
      setBusy(false);
    }
    // The list changes whatever happened (a 409 means someone else got there first).
    await pending.reload();
  };

  useShortcuts({
    j: () => select(Math.min(index + 1, approvals.length - 1), true),
    k: () => select(Math.max(index - 1, 0), true),
    a: () => void vote('approve'),
    d: () => void vote('deny'),
    c: () => commentRef.current?.focus(),
    '?': () => setHelp(true),
  });

  const firstLoad = pending.loading && pending.data === null;
  const unauthorized = pending.error instanceof ApiError && pending.error.status === 401;

  return (
    <section className="page page-inbox" aria-labelledby="inbox-title">
      <div className="page-head">
        <h1 id="inbox-title">Inbox</h1>
        <p className="page-sub num" data-testid="inbox-summary">
          {firstLoad ? 'Loading…' : `${plural(approvals.length, 'approval')} waiting for you`}
        </p>
        <button
          type="button"
          className="button button-small shortcuts-button"
          onClick={() => setHelp(true)}
          aria-keyshortcuts="?"
        >
          Shortcuts <kbd>?</kbd>
        </button>
      </div>
      {!unauthorized && <ResourceError resource={pending} what="The inbox could not be loaded" />}
      <div className="inbox">
        <div className="inbox-list-pane">
          <InboxList
            approvals={approvals}
            selectedId={selected?.id ?? null}
            loading={firstLoad}
            onSelect={(id) => {
              setSelectedId(id);
              if (window.matchMedia('(max-width: 860px)').matches) {
                detailRef.current?.scrollIntoView({ block: 'start' });
              }
            }}
          />
          <AttentionList items={pending.data?.attention ?? []} />
        </div>
        <div className="inbox-detail-pane" ref={detailRef}>
          {selected === undefined ? (
            <div className="empty-detail">
              <p className="muted">
                {firstLoad ? '' : 'Select an approval to see everything needed to judge it.'}
              </p>
            </div>
          ) : (
            <ApprovalDetail approval={selected}>
              <VoteForm
                approval={selected}
                comment={comment}
                onComment={setComment}
                commentRef={commentRef}
                busy={busy}
                error={voteError}
                onVote={(verdict) => void vote(verdict)}
              />
            </ApprovalDetail>
          )}
        </div>
      </div>
      <Toast
        tone={outcome?.verdict === null ? 'error' : outcome?.verdict === 'deny' ? 'warn' : 'good'}
        onDismiss={() => setOutcome(null)}
        testId="vote-result"
      >
        {outcome !== null && (
          <>
            {outcome.text} <Link to={`/actions/${outcome.action}`}>Follow the action</Link>
          </>
        )}
      </Toast>
      <ShortcutHelp open={help} onClose={() => setHelp(false)} shortcuts={SHORTCUTS} />
    </section>
  );
}
