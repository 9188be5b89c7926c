/** The shadow bundle beside the live one: where it would have decided otherwise. */

import type { LiveEvent } from '../api/types.ts';
import { EffectBadge } from '../components/badges.tsx';
import { HashText } from '../components/hash-text.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { TimeText } from '../components/time-text.tsx';
import { TransitionTable } from '../components/transition-table.tsx';
import { useLiveRefresh } from '../lib/live.tsx';
import { Link } from '../lib/router.tsx';
import { useResource } from '../lib/use-resource.ts';

const relevant = (event: LiveEvent) => event.kind.startsWith('policy.') || event.kind === 'action.decided';

export function ShadowSection() {
  const shadow = useResource('shadow', (api) => api.shadow());
  useLiveRefresh(relevant, () => void shadow.reload(), 1000);
  const s = shadow.data;
  return (
    <section aria-labelledby="shadow-title" className="section" data-testid="shadow-section">
      <h2 id="shadow-title" className="section-title">
        Shadow bundle
      </h2>
      <ResourceError resource={shadow} what="The shadow report could not be loaded" />
      {s === null && shadow.loading && <p className="muted">Loading…</p>}
      {s !== null && (
        <>
          {s.shadow === null ? (
            <p className="muted" data-testid="shadow-none">
              No shadow bundle is loaded. Live bundle <HashText hash={s.live.hash} />.
            </p>
          ) : (
            <dl className="facts facts-wide">
              <div className="fact">
                <dt>Shadow</dt>
                <dd>
                  <HashText hash={s.shadow.hash} /> · <span className="num">{s.shadow.rules}</span> rules ·{' '}
                  <span className="num">{s.shadow.limits}</span> limits
                  {s.shadow.sameAsLive ? ' · same files as live' : ''}
                </dd>
              </div>
              <div className="fact">
                <dt>Live</dt>
                <dd>
                  <HashText hash={s.live.hash} />
                </dd>
              </div>
              <div className="fact">
                <dt>Disagreements</dt>
                <dd className="num" data-testid="shadow-disagreements">
                  {s.disagreements}
                </dd>
              </div>
            </dl>
          )}
          {s.transitions.length > 0 && (
            <TransitionTable
              caption="By transition"
              fromLabel="Live"
              toLabel="Shadow"
              rows={s.transitions.map((t) => ({
                from: t.live,
                to: t.shadow,
                change: t.change,
                decisions: t.count,
              }))}
            />
          )}
          {s.rules.length > 0 && (
            <div className="table-wrap">
              <table className="table table-compact">
                <caption className="caption">By rule</caption>
                <thead>
                  <tr>
                    <th scope="col">Rule or limit</th>
                    <th scope="col" className="num-col">
                      Newly matches
                    </th>
                    <th scope="col" className="num-col">
                      Stops matching
                    </th>
                    <th scope="col" className="num-col">
                      Effect changed
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {s.rules.map((r) => (
                    <tr key={r.rule}>
                      <th scope="row" className="mono">
                        {r.rule}
                      </th>
                      <td className="num num-col">{r.newlyMatched}</td>
                      <td className="num num-col">{r.noLongerMatched}</td>
                      <td className="num num-col">{r.effectChanged}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {s.latest.length > 0 && (
            <>
              <h3 className="subtitle">Latest disagreements</h3>
              <ul className="plain-list">
                {s.latest.map((d) => (
                  <li key={`${d.actionId}-${d.shadowBundle}`} data-testid="shadow-disagreement">
                    <Link to={`/actions/${d.actionId}`} className="mono">
                      {d.actionId}
                    </Link>{' '}
                    {d.agentId} · {d.type} in {d.environment}: <EffectBadge effect={d.liveEffect} /> →{' '}
                    <EffectBadge effect={d.shadowEffect} /> ({d.change}) · <TimeText iso={d.createdAt} />
                    {(d.rules.newlyMatched.length > 0 || d.rules.noLongerMatched.length > 0) && (
                      <p className="muted small">
                        {d.rules.newlyMatched.length > 0 &&
                          `newly matched: ${d.rules.newlyMatched.join(', ')}. `}
                        {d.rules.noLongerMatched.length > 0 &&
                          `no longer matched: ${d.rules.noLongerMatched.join(', ')}.`}
                      </p>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
