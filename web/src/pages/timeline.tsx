/** The decision path drawn as a vertical timeline: each entry with its audit sequence number and time. */

import type { Action } from '../api/types.ts';
import { ReasonRow } from '../components/reason-list.tsx';
import { TimeText } from '../components/time-text.tsx';
import { timeline } from './action-timeline.ts';

export function Timeline({ action }: { action: Action }) {
  const entries = timeline(action);
  if (action.path === undefined)
    return <p className="muted">The server sent no decision path for this action.</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {entries.map((e) => (
        <li
          key={e.key}
          className={`timeline-entry tone-line-${e.tone}`}
          data-testid="timeline-entry"
          data-kind={e.kind}
          data-seq={e.seq}
        >
          <span className="timeline-dot" aria-hidden="true" />
          <div className="timeline-head">
            <strong className="timeline-title">{e.title}</strong>
            <span className="timeline-meta">
              <span
                className="seq num"
                title={`audit event ${e.seq}, hash in the chain`}
                data-testid="timeline-seq"
              >
                #{e.seq}
              </span>{' '}
              <TimeText iso={e.at} />
            </span>
          </div>
          <p className="timeline-actor muted small">
            by {e.actor.kind} {e.actor.id} · <span className="mono">{e.kind}</span>
          </p>
          {e.lines.map((line) => (
            <p key={line} className="timeline-line">
              {line}
            </p>
          ))}
          {e.reasons !== undefined && e.reasons.length > 0 && (
            <ul className="timeline-reasons">
              {e.reasons.map((reason, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a decision's reasons never reorder
                <li key={i} data-testid="timeline-reason" data-reason-kind={reason.kind}>
                  <ReasonRow reason={reason} />
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}
