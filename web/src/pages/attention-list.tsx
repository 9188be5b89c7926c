/** Actions that need a person although nobody votes on them (an unknown outcome, a failed rollback). */

import type { Attention } from '../api/types.ts';
import { StatusBadge } from '../components/badges.tsx';
import { TimeText } from '../components/time-text.tsx';
import { Link } from '../lib/router.tsx';

export function AttentionList({ items }: { items: readonly Attention[] }) {
  if (items.length === 0) return null;
  return (
    <section className="attention" aria-labelledby="attention-title">
      <h2 id="attention-title" className="section-title">
        Needs attention <span className="num muted">({items.length})</span>
      </h2>
      <ul className="attention-list">
        {items.map((item) => (
          <li
            key={item.action}
            className="attention-item"
            data-testid="attention-item"
            data-action-id={item.action}
          >
            <div className="row-between">
              <Link to={`/actions/${item.action}`}>
                {item.type} · {item.environment}
              </Link>
              <StatusBadge status={item.status} />
            </div>
            <p className="attention-reason">{item.reason}</p>
            <p className="muted small">
              {item.agent} · {item.targets.map((t) => t.id).join(', ')} · <TimeText iso={item.updatedAt} />
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
