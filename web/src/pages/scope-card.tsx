/**
 * One scope of an agent: its level, the evidence behind it, how well its stated confidence is
 * calibrated, and what blocks the next promotion.
 */

import type { ReactNode } from 'react';
import type { ScopeTrust } from '../api/trust-types.ts';
import { LevelBadge, PassBadge } from '../components/badges.tsx';
import { ReliabilityDiagram } from '../components/reliability-diagram.tsx';
import { TimeText } from '../components/time-text.tsx';
import { formatPercent, levelName, words } from '../lib/format.ts';

function observed(value: number | null): string {
  if (value === null) return 'none yet';
  if (Number.isInteger(value)) return String(value);
  // Rates, bounds and days at a level: two decimals say enough (0.000046 days is "0.00").
  return value.toFixed(2);
}

function RateText({ rate }: { rate: ScopeTrust['metrics']['success'] }) {
  return (
    <span className="num">
      {formatPercent(rate.rate)} <span className="muted">of {rate.trials}</span>
      {rate.lower !== null && <span className="muted"> · lower bound {formatPercent(rate.lower)}</span>}
    </span>
  );
}

export function ScopeCard({ scope: s, admin }: { scope: ScopeTrust; admin: ReactNode }) {
  const m = s.metrics;
  const counts = Object.entries(m.counts);
  return (
    <article
      className="card scope-card"
      data-testid="scope-card"
      data-scope={s.scope}
      aria-labelledby={`scope-${s.scope}`}
    >
      <header className="scope-head">
        <h2 id={`scope-${s.scope}`} className="scope-name mono">
          {s.scope}
        </h2>
        <LevelBadge level={s.level} testId="trust-level" />
        {s.effective !== s.level && (
          <span className="badge tone-warn" data-testid="effective-level">
            effective {s.effective} ({levelName(s.effective)})
          </span>
        )}
      </header>
      <p className="muted small">
        {s.grantedBy === null ? (
          'No grant recorded: the default level.'
        ) : (
          <>
            Granted by {s.grantedBy} <TimeText iso={s.grantedAt} />: “{s.reason}”
          </>
        )}
        {s.levelSince !== null && (
          <>
            {' '}
            · at this level since <TimeText iso={s.levelSince} />
          </>
        )}
      </p>
      {admin}
      <div className="scope-grid">
        <section aria-label="Evidence">
          <h3 className="subtitle">Evidence</h3>
          <dl className="facts facts-compact">
            <div className="fact">
              <dt>Success</dt>
              <dd>
                <RateText rate={m.success} />
              </dd>
            </div>
            <div className="fact">
              <dt>Agreement</dt>
              <dd>
                <RateText rate={m.agreement} />
              </dd>
            </div>
            <div className="fact">
              <dt>At this level</dt>
              <dd className="num">
                {m.atLevel.evidence} evidence · {m.atLevel.approved} approved · {m.atLevel.succeeded}{' '}
                succeeded
              </dd>
            </div>
            <div className="fact">
              <dt>Rollbacks</dt>
              <dd className="num">
                {m.rollbacks}
                {m.lastRollbackAt !== null && (
                  <span className="muted">
                    {' '}
                    · last <TimeText iso={m.lastRollbackAt} />
                  </span>
                )}
              </dd>
            </div>
            {m.lastIncidentAt !== null && (
              <div className="fact">
                <dt>Last incident</dt>
                <dd>
                  <TimeText iso={m.lastIncidentAt} />
                </dd>
              </div>
            )}
          </dl>
          <dl className="counts" data-testid="evidence-counts" aria-label="Evidence by kind">
            {counts.map(([kind, n]) => (
              <div key={kind} className={`count-cell${n === 0 ? ' zero' : ''}`} data-kind={kind}>
                <dt>{words(kind)}</dt>
                <dd className="num">{n}</dd>
              </div>
            ))}
          </dl>
          <p className="hint">
            Window <TimeText iso={m.since} /> – <TimeText iso={m.until} />
          </p>
        </section>
        <section aria-label="Calibration">
          <h3 className="subtitle">Calibration</h3>
          <ReliabilityDiagram
            table={m.calibration.table}
            n={m.calibration.n}
            ece={m.calibration.ece}
            testId="reliability-diagram"
          />
        </section>
      </div>
      <section aria-label="Next promotion" data-testid="next-promotion">
        <h3 className="subtitle">
          {s.next === null ? 'Next promotion' : `Next: level ${s.next.to} (${levelName(s.next.to)})`}{' '}
          {s.next !== null && (
            <span className={`badge tone-${s.next.qualifies ? 'good' : 'neutral'}`}>
              {s.next.qualifies ? 'criteria met' : 'blocked'}
            </span>
          )}
        </h3>
        {s.next === null ? (
          <p className="muted small">Level 3 is the highest level.</p>
        ) : (
          <>
            {s.capped && (
              <p className="notice notice-warn small">The next level is above this agent’s ceiling.</p>
            )}
            <div className="table-wrap">
              <table className="table table-compact">
                <thead>
                  <tr>
                    <th scope="col">Criterion</th>
                    <th scope="col" className="num-col">
                      Observed
                    </th>
                    <th scope="col" className="num-col">
                      Required
                    </th>
                    <th scope="col">Verdict</th>
                  </tr>
                </thead>
                <tbody>
                  {s.next.criteria.map((c) => (
                    <tr key={c.criterion} data-testid="promotion-criterion" data-passed={c.passed}>
                      <th scope="row" className="criterion">
                        {c.message}
                        <span className="muted small mono"> {c.criterion}</span>
                      </th>
                      <td className="num num-col">{observed(c.observed)}</td>
                      <td className="num num-col">{observed(c.required)}</td>
                      <td>
                        <PassBadge passed={c.passed} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
    </article>
  );
}
