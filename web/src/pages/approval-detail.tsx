/**
 * Everything an approver needs to judge one action: who proposes what where, how far it reaches,
 * the agent's standing, the reasoning, the exact params, and every reason of the decision.
 */

import type { ReactNode } from 'react';
import type { Approval } from '../api/types.ts';
import { LevelBadge, TierBadge } from '../components/badges.tsx';
import { Countdown } from '../components/countdown.tsx';
import { HashText } from '../components/hash-text.tsx';
import { JsonFields, TargetList } from '../components/json-block.tsx';
import { ReasonList } from '../components/reason-list.tsx';
import { TimeText } from '../components/time-text.tsx';
import { formatNumber, plural } from '../lib/format.ts';
import { Link } from '../lib/router.tsx';

/** The stated confidence through the scope's calibration curve, or why there is none. */
function calibrated(approval: Approval): ReactNode {
  const c = approval.calibration;
  if (c === null) return <span className="muted">not recorded for this decision</span>;
  if (c.calibrated === null) {
    return (
      <span className="muted small">
        not calibrated yet: {plural(c.n, 'labelled outcome')} of {formatNumber(c.minEvidence)} needed
      </span>
    );
  }
  return (
    <>
      <span className="num">{formatNumber(c.calibrated)}</span>{' '}
      <span className="muted small">
        (on {plural(c.n, 'outcome')} in {c.scope})
      </span>
    </>
  );
}

/** A limit as counted when the action was decided, in words. */
function limitText(l: Approval['blastRadius']['limits'][number]): string {
  switch (l.kind) {
    case 'fraction':
      return `${Math.round(l.observed * 100)}% of ${l.service ?? 'the service'} (limit ${Math.round(l.max * 100)}%)`;
    case 'rate':
      return `${formatNumber(l.observed)} used of ${formatNumber(l.max)} in the window`;
    case 'in_flight':
      return `${formatNumber(l.observed)} in flight (limit ${formatNumber(l.max)})`;
    case 'targets':
      return `${formatNumber(l.observed)} targets (limit ${formatNumber(l.max)})`;
  }
}

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="fact" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function ApprovalDetail({ approval: a, children }: { approval: Approval; children: ReactNode }) {
  const step = a.route.steps[a.step - 1];
  const blast = a.blastRadius;
  return (
    <article
      className="detail"
      aria-labelledby="approval-title"
      data-testid="approval-detail"
      data-approval-id={a.id}
    >
      <header className="detail-head">
        <h2 id="approval-title">
          {a.type} <span className="muted">in</span>{' '}
          <span className={`env${a.production === true ? ' env-prod' : ''}`}>{a.environment}</span>
        </h2>
        <p className="muted small">
          <Link to={`/actions/${a.action}`}>{a.action}</Link> · proposed <TimeText iso={a.createdAt} />
          {a.revisionOf !== null && (
            <>
              {' '}
              · revision of <Link to={`/actions/${a.revisionOf}`}>{a.revisionOf}</Link>
            </>
          )}
        </p>
      </header>

      <div className="deadline" data-testid="approval-deadline">
        <span>
          Step <span className="num">{a.step}</span> of <span className="num">{a.route.steps.length}</span> on
          route <strong>{a.route.name}</strong>: {a.group} ({a.approvals}/{a.quorum} approvals)
        </span>
        <span>
          times out in <Countdown deadline={a.deadline} testId="approval-countdown" />
          {step !== undefined && a.step === a.route.steps.length && <> then {a.route.fallback}</>}
        </span>
      </div>

      <div className="detail-grid">
        <section aria-labelledby="who-title">
          <h3 id="who-title" className="section-title">
            Agent and trust
          </h3>
          <dl className="facts">
            <Fact label="Agent">
              <Link to={`/agents/${a.agent.id}`}>{a.agent.id}</Link>{' '}
              <span className="muted">owned by {a.agent.owner}</span>
            </Fact>
            <Fact label="Trust level" testId="approval-trust-level">
              <LevelBadge level={a.trustLevel} />
            </Fact>
            <Fact label="Stated confidence">
              <span className="num">{formatNumber(a.confidence)}</span>
            </Fact>
            <Fact label="Calibrated confidence">{calibrated(a)}</Fact>
            <Fact label="Anomaly score">
              <span className="num">{formatNumber(a.anomalyScore)}</span>
            </Fact>
            {a.incident !== null && <Fact label="Incident">{a.incident}</Fact>}
          </dl>
        </section>
        <section aria-labelledby="blast-title">
          <h3 id="blast-title" className="section-title">
            Blast radius
          </h3>
          <dl className="facts" data-testid="blast-radius">
            <Fact label="Targets">
              <span className="num">{plural(a.targets.length, 'target')}</span>
            </Fact>
            <Fact label="Environment">{a.environment}</Fact>
            <Fact label="Production">{a.production === null ? 'unknown' : a.production ? 'yes' : 'no'}</Fact>
            <Fact label="Risk tier">
              <TierBadge tier={a.tier} />
            </Fact>
            <Fact label="Reversible">{a.reversible === null ? 'unknown' : a.reversible ? 'yes' : 'no'}</Fact>
            <Fact label="Risk domains">{a.domains.length === 0 ? 'none' : a.domains.join(', ')}</Fact>
          </dl>
          {blast.limits.length > 0 && (
            <dl className="facts">
              {blast.limits.map((l) => (
                <Fact key={l.limit} label={`Limit ${l.limit}`}>
                  {limitText(l)}
                </Fact>
              ))}
            </dl>
          )}
        </section>
      </div>

      <section aria-labelledby="reasoning-title">
        <h3 id="reasoning-title" className="section-title">
          Reasoning
        </h3>
        {a.reasoning === null ? (
          <p className="muted">The agent gave none.</p>
        ) : (
          <p className="prose">{a.reasoning}</p>
        )}
      </section>

      <div className="detail-grid">
        <section aria-labelledby="targets-title">
          <h3 id="targets-title" className="section-title">
            Targets
          </h3>
          <TargetList targets={a.targets} />
        </section>
        <section aria-labelledby="params-title">
          <h3 id="params-title" className="section-title">
            Params
          </h3>
          <JsonFields value={a.params} testId="approval-params" />
          <p className="hint">
            Your vote is bound to exactly this request (<HashText hash={a.requestHash} />
            ).
          </p>
        </section>
      </div>

      {a.context !== null && (
        <section aria-labelledby="context-title">
          <h3 id="context-title" className="section-title">
            Context
          </h3>
          <JsonFields value={a.context} />
        </section>
      )}

      <section aria-labelledby="why-title">
        <h3 id="why-title" className="section-title">
          Why it needs you
        </h3>
        <ReasonList reasons={a.decision.reasons} foldPassed />
        <p className="hint">
          Policy effect {a.decision.policyEffect}, decision {a.decision.effect}; decided under bundle{' '}
          <HashText hash={a.decision.policyVersion} />.
        </p>
      </section>

      {a.votes.length > 0 && (
        <section aria-labelledby="votes-title">
          <h3 id="votes-title" className="section-title">
            Votes so far
          </h3>
          <ul className="votes" data-testid="approval-votes">
            {a.votes.map((v) => (
              <li key={`${v.person}-${v.at}`}>
                <strong>{v.person}</strong>{' '}
                {v.verdict === 'approve' ? 'approved' : v.verdict === 'deny' ? 'denied' : 'revised'} at step{' '}
                {v.step}
                {v.override ? ' (admin override)' : ''} · <TimeText iso={v.at} />
                {v.comment !== null && <p className="vote-comment">{v.comment}</p>}
              </li>
            ))}
          </ul>
        </section>
      )}

      {children}
    </article>
  );
}
