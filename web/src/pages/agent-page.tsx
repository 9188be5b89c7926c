/** One agent: status, freezes, and per scope its level, evidence, calibration and next promotion; admins change them. */

import { useState } from 'react';
import { ApiError } from '../api/client.ts';
import { ResourceError } from '../components/resource-error.tsx';
import { TimeText } from '../components/time-text.tsx';
import { Toast } from '../components/toast.tsx';
import { useLiveRefresh } from '../lib/live.tsx';
import { Link } from '../lib/router.tsx';
import { useSession } from '../lib/session.tsx';
import { useResource } from '../lib/use-resource.ts';
import { AdminDialog, type AdminIntent, AgentAdminBar, ScopeAdmin } from './agent-admin.tsx';
import { affectsTrust } from './agents-page.tsx';
import { ScopeCard } from './scope-card.tsx';

export function AgentPage({ id }: { id: string }) {
  const { api, me } = useSession();
  const resource = useResource(`agent:${id}`, async (client) => {
    const [trust, { agents }, freezes] = await Promise.all([
      client.trust(id),
      client.agents(),
      client.freezes(),
    ]);
    return { trust, agent: agents.find((a) => a.id === id) ?? null, freezes };
  });
  useLiveRefresh(
    (event) =>
      affectsTrust(event) &&
      (event.subject === id ||
        event.subject === null ||
        event.kind.startsWith('freeze.') ||
        event.kind.startsWith('trust.')),
    () => void resource.reload(),
    500,
  );
  const [intent, setIntent] = useState<AdminIntent | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const data = resource.data;
  const frozen = data?.freezes.freezes.find((f) => f.scope === id);
  const global = data?.freezes.freezes.find((f) => f.scope === '*');
  const notFound = resource.error instanceof ApiError && resource.error.status === 404 && data === null;

  return (
    <section className="page" aria-labelledby="agent-title">
      <p className="crumbs">
        <Link to="/agents">← Agents</Link>
      </p>
      <div className="page-head">
        <h1 id="agent-title">{id}</h1>
        {data?.agent != null && (
          <span
            className={`badge tone-${data.agent.status === 'active' ? 'good' : 'bad'}`}
            data-testid="agent-status"
          >
            {data.agent.status}
          </span>
        )}
        {frozen !== undefined && (
          <span className="badge tone-bad" data-testid="agent-frozen">
            frozen
          </span>
        )}
      </div>
      {data?.agent != null && (
        <p className="page-sub">
          Owned by {data.agent.owner}
          {data.agent.description !== null && ` · ${data.agent.description}`} · registered{' '}
          <TimeText iso={data.agent.createdAt} /> · ceiling level{' '}
          <span className="num">{data.trust.ceiling}</span> ·{' '}
          <Link to={`/actions?agent=${encodeURIComponent(id)}`}>its actions</Link>
        </p>
      )}
      {notFound ? (
        <p className="notice notice-warn">There is no agent {id}.</p>
      ) : (
        <ResourceError resource={resource} what="The agent could not be loaded" />
      )}
      {frozen !== undefined && (
        <p className="notice notice-error">
          Frozen by {frozen.frozenBy} <TimeText iso={frozen.frozenAt} />: {frozen.reason}
        </p>
      )}
      {global !== undefined && (
        <p className="notice notice-error">
          Every agent is frozen by {global.frozenBy}: {global.reason}
        </p>
      )}
      {me.admin && data !== null && <AgentAdminBar frozen={frozen !== undefined} onIntent={setIntent} />}
      {resource.loading && data === null && <p className="muted">Loading trust…</p>}
      {data !== null && data.trust.scopes.length === 0 && (
        <p className="empty">Level 0 (advisory) everywhere: no scope has a grant or evidence yet.</p>
      )}
      <div className="scope-list">
        {data?.trust.scopes.map((s) => (
          <ScopeCard
            key={s.scope}
            scope={s}
            admin={me.admin ? <ScopeAdmin scope={s} onIntent={setIntent} /> : null}
          />
        ))}
      </div>
      <Toast tone="good" onDismiss={() => setMessage(null)} testId="admin-result">
        {message}
      </Toast>
      {me.admin && (
        <AdminDialog
          agent={id}
          intent={intent}
          api={api}
          onClose={() => setIntent(null)}
          onDone={(text) => {
            setMessage(text);
            void resource.reload();
          }}
        />
      )}
    </section>
  );
}
