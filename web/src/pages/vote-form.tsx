/** Approve or deny the selected approval, with a comment (a deny needs one). */

import type { RefObject } from 'react';
import type { Approval, ApprovalSummary } from '../api/types.ts';
import { ErrorNotice } from '../components/error-notice.tsx';

/** What came of a vote: the approval as it stands after it, or (verdict null) why it was refused. */
export interface VoteOutcome {
  readonly verdict: 'approve' | 'deny' | null;
  readonly action: string;
  readonly approval: ApprovalSummary | null;
  readonly text: string;
}

export function VoteForm(props: {
  approval: Approval;
  comment: string;
  onComment: (comment: string) => void;
  commentRef: RefObject<HTMLTextAreaElement | null>;
  busy: boolean;
  error: unknown;
  onVote: (verdict: 'approve' | 'deny') => void;
}) {
  const { approval, comment, onComment, commentRef, busy, error, onVote } = props;
  const you = approval.you;
  const mayApprove = you?.mayApprove ?? true;
  const mayDeny = you?.mayDeny ?? true;
  return (
    <form
      className="vote"
      aria-labelledby="vote-title"
      onSubmit={(e) => {
        e.preventDefault();
        onVote('approve');
      }}
    >
      <h3 id="vote-title" className="visually-hidden">
        Your verdict
      </h3>
      {you !== undefined && !mayApprove && you.why !== null && (
        <p className="notice notice-warn" data-testid="vote-not-allowed">
          {you.why}
        </p>
      )}
      {you?.override === true && (
        <p className="hint">Your vote would be an admin override, recorded as such.</p>
      )}
      <label className="label" htmlFor="vote-comment">
        Comment <span className="muted">(required to deny)</span>
      </label>
      <textarea
        id="vote-comment"
        ref={commentRef}
        className="input"
        rows={2}
        maxLength={4000}
        value={comment}
        onChange={(e) => onComment(e.target.value)}
        aria-keyshortcuts="c"
        data-testid="vote-comment"
      />
      <div className="vote-error" aria-live="assertive">
        <ErrorNotice error={error} what="Your vote was not recorded" />
      </div>
      <div className="vote-actions">
        <button
          type="submit"
          className="button button-approve"
          disabled={busy || !mayApprove}
          aria-keyshortcuts="a"
          data-testid="approve-button"
        >
          Approve <kbd>a</kbd>
        </button>
        <button
          type="button"
          className="button button-danger"
          disabled={busy || !mayDeny}
          onClick={() => onVote('deny')}
          aria-keyshortcuts="d"
          data-testid="deny-button"
        >
          Deny <kbd>d</kbd>
        </button>
        {busy && <span className="muted">Recording…</span>}
      </div>
    </form>
  );
}
