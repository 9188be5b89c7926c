/** The approvals waiting for the signed-in person: one selectable card each, with its deadline ticking. */

import type { Approval } from '../api/types.ts';
import { TierBadge } from '../components/badges.tsx';
import { Countdown } from '../components/countdown.tsx';

export function InboxList(props: {
  approvals: readonly Approval[];
  selectedId: string | null;
  loading: boolean;
  onSelect: (id: string) => void;
}) {
  const { approvals, selectedId, loading, onSelect } = props;
  if (loading) return <p className="muted inbox-empty">Loading approvals…</p>;
  if (approvals.length === 0) {
    return (
      <p className="inbox-empty" data-testid="inbox-empty">
        Nothing waits for you. New approvals appear here as agents propose them.
      </p>
    );
  }
  return (
    <ul className="inbox-list" aria-label="Approvals waiting for you">
      {approvals.map((a) => {
        const selected = a.id === selectedId;
        const targets = a.targets.map((t) => t.id).join(', ');
        return (
          <li key={a.id}>
            <button
              type="button"
              className={`inbox-item${selected ? ' inbox-item-selected' : ''}`}
              aria-pressed={selected}
              onClick={() => onSelect(a.id)}
              data-testid="inbox-item"
              data-approval-id={a.id}
              data-action-id={a.action}
              data-selected={selected}
            >
              <span className="inbox-item-top">
                <span className="inbox-item-type">{a.type}</span>
                <Countdown deadline={a.deadline} testId="inbox-item-countdown" />
              </span>
              <span className="inbox-item-line">
                <span className={`env${a.production === true ? ' env-prod' : ''}`}>{a.environment}</span>
                <TierBadge tier={a.tier} />
                <span className="muted truncate" title={targets}>
                  {targets}
                </span>
              </span>
              <span className="inbox-item-line muted">
                <span>{a.agent.id}</span>
                <span className="num">
                  {a.approvals}/{a.quorum} at step {a.step} · {a.group}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
