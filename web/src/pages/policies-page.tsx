/** The policy bundle in force (rules and limits), the shadow bundle's disagreements, and the latest replay. */

import { ApiError } from '../api/client.ts';
import type { PolicyLimit, PolicyMatch } from '../api/policy-types.ts';
import type { LiveEvent } from '../api/types.ts';
import { EffectBadge } from '../components/badges.tsx';
import { HashText } from '../components/hash-text.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { TimeText } from '../components/time-text.tsx';
import { useLiveRefresh } from '../lib/live.tsx';
import { useResource } from '../lib/use-resource.ts';
import { ReplaySection } from './replay-section.tsx';
import { ShadowSection } from './shadow-section.tsx';

const isPolicyEvent = (event: LiveEvent) => event.kind.startsWith('policy.');

export function MatchText({ match }: { match: PolicyMatch | undefined }) {
  const types = match?.types ?? [];
  const envs = match?.environments ?? [];
  if (types.length === 0 && envs.length === 0) return <span className="muted">every action</span>;
  return (
    <span className="match">
      {types.length > 0 && (
        <span>
          types{' '}
          {types.map((t) => (
            <code key={t}>{t}</code>
          ))}
        </span>
      )}
      {envs.length > 0 && (
        <span>
          in{' '}
          {envs.map((e) => (
            <code key={e}>{e}</code>
          ))}
        </span>
      )}
    </span>
  );
}

function duration(ms: number): string {
  const units: readonly (readonly [number, string])[] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** What a limit bounds, in words. */
function limitBound({ check }: PolicyLimit): string {
  switch (check.kind) {
    case 'rate':
      return `at most ${check.count} per ${duration(check.windowMs)}, counted by ${check.by.join(', ')}`;
    case 'in_flight':
      return `at most ${check.max} in flight, counted by ${check.by.join(', ')}`;
    case 'targets':
      return `at most ${check.max} targets per action`;
    case 'fraction':
      return `at most ${Math.round(check.max * 100)}% of a service's instances`;
    default: {
      const never: never = check;
      return JSON.stringify(never);
    }
  }
}

function where(file: string, line: number | null): string {
  return line === null ? file : `${file}:${line}`;
}

function LiveBundle() {
  const policy = useResource('policy', (api) => api.policy());
  useLiveRefresh(isPolicyEvent, () => void policy.reload());
  const p = policy.data;
  const missing = policy.error instanceof ApiError && policy.error.missingRoute;
  return (
    <section aria-labelledby="bundle-title" className="section">
      <h2 id="bundle-title" className="section-title">
        Bundle in force
      </h2>
      {missing ? (
        <p className="notice notice-warn">
          This server does not describe its policy bundle (no GET /v1/policy).
        </p>
      ) : (
        <ResourceError resource={policy} what="The policy bundle could not be loaded" />
      )}
      {p === null && policy.loading && <p className="muted">Loading the bundle…</p>}
      {p !== null && (
        <>
          <dl className="facts facts-wide" data-testid="policy-summary">
            <div className="fact">
              <dt>Bundle hash</dt>
              <dd data-testid="policy-hash">
                <HashText hash={p.hash} length={16} />
              </dd>
            </div>
            <div className="fact">
              <dt>When no rule matches</dt>
              <dd>
                <EffectBadge effect={p.defaultEffect} />
              </dd>
            </div>
            <div className="fact">
              <dt>Loaded</dt>
              <dd>
                <TimeText iso={p.loadedAt} />
              </dd>
            </div>
            <div className="fact">
              <dt>Size</dt>
              <dd className="num" title={p.files.map((f) => f.path).join('\n')}>
                {p.rules.length} rules · {p.limits.length} limits · {p.files.length} files
              </dd>
            </div>
            <div className="fact">
              <dt>Shadow bundle</dt>
              <dd>
                {p.shadow === null ? <span className="muted">none</span> : <HashText hash={p.shadow} />}
              </dd>
            </div>
          </dl>
          <h3 className="subtitle">Rules</h3>
          <div className="table-wrap">
            <table className="table table-cards" data-testid="policy-rules">
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Effect</th>
                  <th scope="col">Matches</th>
                  <th scope="col">When</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Where</th>
                </tr>
              </thead>
              <tbody>
                {p.rules.map((r) => (
                  <tr key={`${r.file}:${r.name}`} data-testid="policy-rule" data-rule={r.name}>
                    <td data-label="Rule">
                      <strong className="mono">{r.name}</strong>
                      {r.description !== null && <p className="muted small">{r.description}</p>}
                    </td>
                    <td data-label="Effect">
                      <EffectBadge effect={r.effect} />
                      {r.route !== null && <p className="muted small">route {r.route}</p>}
                    </td>
                    <td data-label="Matches">
                      <MatchText match={r.match} />
                    </td>
                    <td data-label="When">
                      {r.when === null ? (
                        <span className="muted">always</span>
                      ) : (
                        <code className="cel">{r.when}</code>
                      )}
                    </td>
                    <td data-label="Reason">{r.reason}</td>
                    <td data-label="Where" className="mono small">
                      {where(r.file, r.line)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3 className="subtitle">Limits</h3>
          {p.limits.length === 0 ? (
            <p className="muted">No limits in this bundle.</p>
          ) : (
            <div className="table-wrap">
              <table className="table table-cards" data-testid="policy-limits">
                <thead>
                  <tr>
                    <th scope="col">Limit</th>
                    <th scope="col">Effect</th>
                    <th scope="col">Matches</th>
                    <th scope="col">Bound</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Where</th>
                  </tr>
                </thead>
                <tbody>
                  {p.limits.map((l) => (
                    <tr key={`${l.file}:${l.name}`} data-testid="policy-limit" data-limit={l.name}>
                      <td data-label="Limit">
                        <strong className="mono">{l.name}</strong>
                        {l.description !== null && <p className="muted small">{l.description}</p>}
                      </td>
                      <td data-label="Effect">
                        <EffectBadge effect={l.effect} />
                      </td>
                      <td data-label="Matches">
                        <MatchText match={l.match} />
                      </td>
                      <td data-label="Bound" className="small">
                        {limitBound(l)}
                      </td>
                      <td data-label="Reason">{l.reason}</td>
                      <td data-label="Where" className="mono small">
                        {where(l.file, l.line)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

export function PoliciesPage() {
  return (
    <section className="page" aria-labelledby="policies-title">
      <div className="page-head">
        <h1 id="policies-title">Policies</h1>
        <p className="page-sub">What decides, what is being tried beside it, and what a change would do.</p>
      </div>
      <LiveBundle />
      <ShadowSection />
      <ReplaySection />
    </section>
  );
}
