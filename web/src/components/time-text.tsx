/** A point in time: local and compact on screen, exact ISO time on hover and for machines. */

import { formatTime } from '../lib/format.ts';

export function TimeText({ iso }: { iso: string | null | undefined }) {
  if (iso == null) return <span className="muted">—</span>;
  return (
    <time className="num" dateTime={iso} title={iso}>
      {formatTime(iso)}
    </time>
  );
}
