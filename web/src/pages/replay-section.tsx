/** The latest replay report: how recorded decisions came out under a candidate bundle or trust settings. */

import { ApiError } from '../api/client.ts';
import type { ReplayExample } from '../api/policy-types.ts';
import { EffectBadge } from '../components/badges.tsx';
import { HashText } from '../components/hash-text.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { TimeText } from '../components/time-text.tsx';
import { TransitionTable } from '../components/transition-table.tsx';
import { Link } from '../lib/router.tsx';
import { useResource } from '../lib/use-resource.ts';

function Examples({ title, examples }: { title: string; examples: readonly ReplayExample[] }) {
  if (examples.length === 0) return null;
  return (
    <>
      <h4 className="subtitle">{title}</h4>
      <ul className="plain-list">
        {examples.map((e) => (
          <li key={e.action} data-testid="replay-change">
            <Link to={`/actions/${e.action}`} className="mono">
              {e.action}
            </Link>{' '}
            {e.agent} · {e.type} in {e.environment}: <EffectBadge effect={e.before} /> →{' '}
            <EffectBadge effect={e.after} />
            {e.level.before !== e.level.after && ` · level ${e.level.before} → ${e.level.after}`} ·{' '}
            <TimeText iso={e.at} />
            {(e.newlyMatched.length > 0 || e.noLongerMatched.length > 0 || e.nowBlocking.length > 0) && (
              <p className="muted small">
                {e.newlyMatched.length > 0 && `newly matches ${e.newlyMatched.join(', ')}. `}
                {e.noLongerMatched.length > 0 && `stops matching ${e.noLongerMatched.join(', ')}. `}
                {e.nowBlocking.length > 0 && `now blocked by ${e.nowBlocking.join(', ')}. `}
                {e.noLongerBlocking.length > 0 && `no longer blocked by ${e.noLongerBlocking.join(', ')}.`}
              </p>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

export function ReplaySection() {
  const replay = useResource('replay', async (api) => {
    try {
      return await api.latestReplay();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && !error.missingRoute) return null;
      throw error;
    }
  });
  const latest = replay.data;
  const r = latest?.report ?? null;
  const missing = replay.error instanceof ApiError && replay.error.missingRoute;
  return (
    <section aria-labelledby="replay-title" className="section" data-testid="replay-section">
      <h2 id="replay-title" className="section-title">
        Latest replay
      </h2>
      {missing ? (
        <p className="notice notice-warn">
          This server does not keep replay reports (no GET /v1/replay/latest).
        </p>
      ) : (
        <ResourceError resource={replay} what="The replay report could not be loaded" />
      )}
      {replay.loading && <p className="muted">Loading…</p>}
      {!replay.loading && replay.error === null && latest === null && (
        <p className="muted" data-testid="replay-none">
          No replay has been run. <code>airlock replay --policies &lt;dir&gt;</code> decides the recorded
          decisions again with a candidate bundle.
        </p>
      )}
      {latest !== null && r !== null && (
        <>
          <p className="small">
            Run <TimeText iso={latest.at} />: {latest.description} · candidate bundle{' '}
            <HashText hash={r.candidate.bundle} />
            {Object.keys(r.filter).length > 0 && (
              <>
                {' '}
                · selection{' '}
                {Object.entries(r.filter)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')}
              </>
            )}
          </p>
          <dl className="totals" data-testid="replay-totals">
            {(
              [
                ['replayed', r.totals.replayed],
                ['unchanged', r.totals.unchanged],
                ['stricter', r.totals.stricter],
                ['looser', r.totals.looser],
                ['same effect, other rules', r.totals.sameEffectDifferentRules],
                ['skipped', r.totals.skipped],
              ] as const
            ).map(([label, n]) => (
              <div
                key={label}
                className={`total${n > 0 ? ` total-${label.split(' ')[0]?.replace(',', '')}` : ''}`}
              >
                <dt>{label}</dt>
                <dd className="num">{n}</dd>
              </div>
            ))}
          </dl>
          {r.selfCheck !== null && r.selfCheck.decisions > 0 && (
            <p className={`small notice notice-${r.selfCheck.differing.decisions === 0 ? 'good' : 'error'}`}>
              {r.selfCheck.differing.decisions === 0
                ? `Self-check: all ${r.selfCheck.decisions} decisions under the candidate bundle came out exactly as recorded.`
                : `Self-check: ${r.selfCheck.differing.decisions} of ${r.selfCheck.decisions} decisions under the candidate bundle differ from what was recorded.`}
            </p>
          )}
          {r.transitions.length > 0 && (
            <TransitionTable
              caption="Changes by transition"
              fromLabel="Before"
              toLabel="After"
              rows={r.transitions}
            />
          )}
          {r.unrecordedCounters.decisions > 0 && (
            <p className="small notice notice-warn">
              {r.unrecordedCounters.decisions} decisions touch a limit whose counters were not recorded
              (counted as exceeded); {r.unrecordedCounters.stricterBecauseOfThem} of the stricter ones only
              because of it.
            </p>
          )}
          <Examples title="Stricter" examples={r.examples.stricter} />
          <Examples title="Looser" examples={r.examples.looser} />
          <Examples title="Same effect, other rules" examples={r.examples.sameEffectDifferentRules} />
          {r.skipped.length > 0 && (
            <>
              <h4 className="subtitle">Skipped</h4>
              <ul className="plain-list">
                {r.skipped.map((k) => (
                  <li key={k.reason}>
                    <span className="num">{k.decisions}</span> {k.reason}
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
