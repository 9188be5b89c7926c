/** The audit chain: its head, verification on demand, an NDJSON export, and the events arriving live. */

import { useEffect, useState } from 'react';
import { ApiError } from '../api/client.ts';
import type { AuditVerify } from '../api/types.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { HashText } from '../components/hash-text.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { TimeText } from '../components/time-text.tsx';
import { useLiveRefresh, useRecentEvents } from '../lib/live.tsx';
import { Link } from '../lib/router.tsx';
import { useSession } from '../lib/session.tsx';
import { useResource } from '../lib/use-resource.ts';

function Verify() {
  const { api } = useSession();
  const [result, setResult] = useState<AuditVerify | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.verifyAudit());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="verify-title" className="card">
      <h2 id="verify-title" className="section-title">
        Verify the chain
      </h2>
      <p className="small muted">
        Recomputes every hash from the first event; any change, deletion or reordering shows.
      </p>
      <button
        type="button"
        className="button button-primary"
        onClick={() => void run()}
        disabled={busy}
        data-testid="verify-button"
      >
        {busy ? 'Verifying…' : 'Verify now'}
      </button>
      <div aria-live="polite" className="verify-result" data-testid="verify-result">
        <ErrorNotice error={error} what="Verification could not run" />
        {result !== null && (
          <div className={`notice notice-${result.ok ? 'good' : 'error'}`} data-ok={result.ok}>
            <p className="notice-title">{result.ok ? 'The chain verifies.' : 'The chain does NOT verify.'}</p>
            <dl className="facts facts-compact">
              <div className="fact">
                <dt>Events</dt>
                <dd className="num">{result.events}</dd>
              </div>
              <div className="fact">
                <dt>Head</dt>
                <dd>
                  <HashText hash={result.head} length={16} />
                </dd>
              </div>
              <div className="fact">
                <dt>First bad event</dt>
                <dd className="num" data-testid="verify-first-bad">
                  {result.firstBad === null ? 'none' : `#${result.firstBad}`}
                </dd>
              </div>
              {result.problem !== null && (
                <div className="fact">
                  <dt>Problem</dt>
                  <dd>{result.problem}</dd>
                </div>
              )}
            </dl>
          </div>
        )}
      </div>
    </section>
  );
}

function Export() {
  const { api } = useSession();
  const [link, setLink] = useState<{ url: string; name: string; size: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(
    () => () => {
      if (link !== null) URL.revokeObjectURL(link.url);
    },
    [link],
  );
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const { blob, name: given } = await api.exportAudit();
      const name =
        given ?? `airlock-audit-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}.ndjson`;
      const url = URL.createObjectURL(blob);
      setLink({ url, name, size: blob.size });
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="export-title" className="card">
      <h2 id="export-title" className="section-title">
        Export
      </h2>
      <p className="small muted">Every event as one JSON line, to check or keep elsewhere.</p>
      <button
        type="button"
        className="button"
        onClick={() => void run()}
        disabled={busy}
        data-testid="export-button"
      >
        {busy ? 'Exporting…' : 'Download NDJSON'}
      </button>
      <div aria-live="polite">
        <ErrorNotice error={error} what="The export failed" />
        {link !== null && (
          <p className="small">
            <a href={link.url} download={link.name} data-testid="export-link">
              {link.name}
            </a>{' '}
            <span className="muted num">({Math.ceil(link.size / 1024)} KiB)</span>
          </p>
        )}
      </div>
    </section>
  );
}

export function AuditPage() {
  const head = useResource('audit-head', (api) => api.auditHead());
  useLiveRefresh(
    () => true,
    () => void head.reload(),
    1000,
  );
  const recent = useRecentEvents();
  const h = head.data;
  const missing = head.error instanceof ApiError && head.error.missingRoute;
  return (
    <section className="page" aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit</h1>
        <p className="page-sub">Every decision and every step after it, hash-chained.</p>
      </div>
      <section aria-labelledby="head-title" className="card">
        <h2 id="head-title" className="section-title">
          Head of the chain
        </h2>
        {missing ? (
          <p className="notice notice-warn">This server does not report its head (no GET /v1/audit/head).</p>
        ) : (
          <ResourceError resource={head} what="The head could not be loaded" />
        )}
        <dl className="facts facts-wide" data-testid="audit-head">
          <div className="fact">
            <dt>Sequence</dt>
            <dd className="num" data-testid="audit-head-seq">
              {h === null ? '—' : `#${h.seq}`}
            </dd>
          </div>
          <div className="fact">
            <dt>Hash</dt>
            <dd data-testid="audit-head-hash">{h?.hash == null ? '—' : <code>{h.hash}</code>}</dd>
          </div>
          <div className="fact">
            <dt>At</dt>
            <dd>
              <TimeText iso={h?.at ?? null} />
            </dd>
          </div>
        </dl>
        <p className="hint">
          Anchor this hash somewhere outside the database to detect a rewritten chain later.
        </p>
      </section>
      <div className="audit-grid">
        <Verify />
        <Export />
      </div>
      <section aria-labelledby="recent-title" className="section">
        <h2 id="recent-title" className="section-title">
          Arriving now
        </h2>
        {recent.length === 0 ? (
          <p className="muted small">Events appear here as they are chained while this page is open.</p>
        ) : (
          <div className="table-wrap">
            <table className="table table-compact" data-testid="recent-events">
              <thead>
                <tr>
                  <th scope="col" className="num-col">
                    Seq
                  </th>
                  <th scope="col">At</th>
                  <th scope="col">Kind</th>
                  <th scope="col">By</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Hash</th>
                </tr>
              </thead>
              <tbody>
                {recent.map((e) => (
                  <tr key={e.seq}>
                    <td className="num num-col">#{e.seq}</td>
                    <td>
                      <TimeText iso={e.at} />
                    </td>
                    <td className="mono">{e.kind}</td>
                    <td>
                      {e.actor.kind} {e.actor.id}
                    </td>
                    <td>
                      {e.subject?.startsWith('act_') === true ? (
                        <Link to={`/actions/${e.subject}`} className="mono">
                          {e.subject}
                        </Link>
                      ) : (
                        <span className="mono">{e.subject ?? '—'}</span>
                      )}
                    </td>
                    <td>
                      <HashText hash={e.hash} length={10} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}
