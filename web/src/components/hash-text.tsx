/** A hash shortened for reading, the whole of it on hover and when copied. */

import { shortHash } from '../lib/format.ts';

export function HashText({ hash, length = 12 }: { hash: string | null | undefined; length?: number }) {
  if (hash == null) return <span className="muted">—</span>;
  return (
    <code className="hash" title={hash}>
      {shortHash(hash, length)}
    </code>
  );
}
