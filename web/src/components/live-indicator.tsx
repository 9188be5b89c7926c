/** Whether live updates are flowing: a dot and a word, announced politely when it changes. */

import { useLiveStatus } from '../lib/live.tsx';

const LABEL = { live: 'Live', connecting: 'Connecting', reconnecting: 'Reconnecting', offline: 'Offline' };

export function LiveIndicator() {
  const { status, retryInMs } = useLiveStatus();
  const retry = retryInMs === null ? '' : `; retrying in ${Math.ceil(retryInMs / 1000)} s`;
  return (
    <span
      className={`live live-${status}`}
      role="status"
      aria-live="polite"
      data-testid="live-indicator"
      data-status={status}
      title={status === 'live' ? 'Receiving changes as they happen' : `Live updates paused${retry}`}
    >
      <span className="live-dot" aria-hidden="true" />
      <span className="live-label">{LABEL[status]}</span>
    </span>
  );
}
