/** One action: what was asked, how it was decided (the decision path), and what happened; live. */

import type { ReactNode } from 'react';
import { ApiError } from '../api/client.ts';
import type { Action } from '../api/types.ts';
import { EffectBadge, LevelBadge, StatusBadge } from '../components/badges.tsx';
import { Countdown } from '../components/countdown.tsx';
import { HashText } from '../components/hash-text.tsx';
import { JsonFields, TargetList } from '../components/json-block.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { TimeText } from '../components/time-text.tsx';
import { formatNumber, plural } from '../lib/format.ts';
import { useLiveRefresh } from '../lib/live.tsx';
import { Link } from '../lib/router.tsx';
import { useResource } from '../lib/use-resource.ts';
import { Timeline } from './timeline.tsx';

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="fact" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Summary({ action: a }: { action: Action }) {
  return (
    <dl className="facts facts-wide" data-testid="action-summary">
      <Fact label="Agent">
        <Link to={`/agents/${a.agent}`}>{a.agent}</Link>
      </Fact>
      <Fact label="Decision">
        <EffectBadge effect={a.decision.effect} />{' '}
        <span className="muted">policy {a.decision.policyEffect}</span>
      </Fact>
      <Fact label="Trust level at decision">
        <LevelBadge level={a.decision.trustLevel} />
      </Fact>
      <Fact label="Policy bundle" testId="policy-bundle">
        <HashText hash={a.decision.policyVersion} />
      </Fact>
      <Fact label="Proposed">
        <TimeText iso={a.createdAt} />
      </Fact>
      <Fact label="Last change">
        <TimeText iso={a.updatedAt} />
      </Fact>
      <Fact label="Confidence">
        <span className="num">{formatNumber(a.confidence)}</span>
      </Fact>
      <Fact label="Anomaly score">
        <span className="num">{formatNumber(a.anomalyScore)}</span>
      </Fact>
      {a.incident !== null && <Fact label="Incident">{a.incident}</Fact>}
      {a.idempotencyKey !== null && (
        <Fact label="Idempotency key">
          <code>{a.idempotencyKey}</code>
        </Fact>
      )}
    </dl>
  );
}

function Aftermath({ action: a }: { action: Action }) {
  const approval = a.approval;
  return (
    <>
      {approval !== null && (
        <section aria-labelledby="approval-title" className="card">
          <h2 id="approval-title" className="section-title">
            Approval <StatusBadge status={approval.status} />
          </h2>
          <p className="small">
            Route <strong>{approval.route.name}</strong>, step <span className="num">{approval.step}</span> of{' '}
            <span className="num">{approval.route.steps.length}</span> ({approval.group}, {approval.approvals}
            /{approval.quorum} approvals); then {approval.route.fallback}.
          </p>
          {approval.status === 'pending' && (
            <p className="small">
              Times out in <Countdown deadline={approval.deadline} />.{' '}
              <Link to="/inbox">Vote in the inbox</Link>
            </p>
          )}
        </section>
      )}
      {a.execution !== null && (
        <section aria-labelledby="execution-title" className="card">
          <h2 id="execution-title" className="section-title">
            Execution
          </h2>
          <dl className="facts">
            <Fact label="Run by">
              {a.execution.mode === 'gateway' ? 'Airlock' : 'the agent, under a permit'}
            </Fact>
            <Fact label="Phase">{a.execution.phase.replace('_', ' ')}</Fact>
            <Fact label="Attempts">
              <span className="num">{a.execution.attempts}</span>
            </Fact>
            {a.outcome !== null && (
              <Fact label="Outcome">
                <StatusBadge status={a.outcome.outcome} /> {a.outcome.message}
              </Fact>
            )}
            {a.verification !== null && (
              <Fact label="Verification">
                {a.verification.passed === null ? 'running' : a.verification.passed ? 'passed' : 'failed'} ·{' '}
                <span className="num">{plural(a.verification.samples, 'sample')}</span>
                {a.verification.failed.length > 0 && ` · failed: ${a.verification.failed.join(', ')}`}
              </Fact>
            )}
            {a.rollback !== null && (
              <Fact label="Rollback">
                {a.rollback.outcome}: {a.rollback.message}
              </Fact>
            )}
          </dl>
          {a.execution.attention !== null && (
            <p className="notice notice-error" data-testid="action-attention">
              {a.execution.attention}
            </p>
          )}
        </section>
      )}
    </>
  );
}

export function ActionPage({ id }: { id: string }) {
  const resource = useResource(`action:${id}`, (api) => api.action(id));
  useLiveRefresh(
    (event) => event.subject === id,
    () => void resource.reload(),
  );
  const a = resource.data;
  const notFound = resource.error instanceof ApiError && resource.error.status === 404 && a === null;

  return (
    <section className="page" aria-labelledby="action-title">
      <p className="crumbs">
        <Link to="/actions">← Actions</Link>
      </p>
      <div className="page-head">
        <h1 id="action-title">
          {a === null ? (
            <span className="mono">{id}</span>
          ) : (
            <>
              {a.type} <span className="muted">in</span> {a.environment}
            </>
          )}
        </h1>
        {a !== null && <StatusBadge status={a.status} />}
        {a !== null && <span className="muted mono small">{a.id}</span>}
      </div>
      {notFound ? (
        <p className="notice notice-warn">No action {id} is visible to you.</p>
      ) : (
        <ResourceError resource={resource} what="The action could not be loaded" />
      )}
      {a === null && resource.loading && <p className="muted">Loading the action…</p>}
      {a !== null && (
        <>
          <Summary action={a} />
          <div className="action-layout">
            <section aria-labelledby="path-title" className="action-path">
              <h2 id="path-title" className="section-title">
                Decision path
              </h2>
              <Timeline action={a} />
              <p className="hint">
                Each entry is an event of the audit chain; <code>#n</code> is its sequence number. Status now:{' '}
                <StatusBadge status={a.status} />
              </p>
            </section>
            <div className="action-side">
              <Aftermath action={a} />
              <section aria-labelledby="request-title" className="card">
                <h2 id="request-title" className="section-title">
                  Request
                </h2>
                <h3 className="subtitle">Targets</h3>
                <TargetList targets={a.targets} />
                <h3 className="subtitle">Params</h3>
                <JsonFields value={a.params} testId="action-params" />
                <h3 className="subtitle">Reasoning</h3>
                {a.reasoning === null ? (
                  <p className="muted">none given</p>
                ) : (
                  <p className="prose">{a.reasoning}</p>
                )}
                {a.context !== null && (
                  <>
                    <h3 className="subtitle">Context</h3>
                    <JsonFields value={a.context} />
                  </>
                )}
              </section>
            </div>
          </div>
        </>
      )}
    </section>
  );
}
