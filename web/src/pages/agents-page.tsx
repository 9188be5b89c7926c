/** The registered agents: owner, status, any freeze, and the level each holds per scope. */

import type { Agent, FreezeList, Trust } from '../api/trust-types.ts';
import type { LiveEvent } from '../api/types.ts';
import { LevelBadge } from '../components/badges.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { useLiveRefresh } from '../lib/live.tsx';
import { Link } from '../lib/router.tsx';
import { useResource } from '../lib/use-resource.ts';

/** Levels change on grants, demotions, freezes and the evidence that outcomes and reviews add. */
export function affectsTrust(event: LiveEvent): boolean {
  return /^(trust|agent|freeze|advice|incident|verification|rollback)\.|^execution\.(finished|reported)$/.test(
    event.kind,
  );
}

interface Row {
  readonly agent: Agent;
  readonly trust: Trust | null;
}

export function AgentsPage() {
  const list = useResource('agents-with-trust', async (api) => {
    const [{ agents }, freezes] = await Promise.all([api.agents(), api.freezes()]);
    const rows: Row[] = [];
    // A few at a time: one trust report per agent.
    for (let i = 0; i < agents.length; i += 6) {
      const batch = agents.slice(i, i + 6);
      const trusts = await Promise.all(batch.map((a) => api.trust(a.id).catch(() => null)));
      for (const [j, agent] of batch.entries()) rows.push({ agent, trust: trusts[j] ?? null });
    }
    return { rows, freezes };
  });
  useLiveRefresh(affectsTrust, () => void list.reload(), 1000);
  const rows = list.data?.rows ?? [];
  const freezes: FreezeList | null = list.data?.freezes ?? null;
  const global = freezes?.freezes.find((f) => f.scope === '*');

  return (
    <section className="page" aria-labelledby="agents-title">
      <div className="page-head">
        <h1 id="agents-title">Agents</h1>
        <p className="page-sub">Each agent earns autonomy per scope (action type × environment).</p>
      </div>
      {global !== undefined && (
        <p className="notice notice-error" data-testid="global-freeze">
          Every agent is frozen by {global.frozenBy}: {global.reason}
        </p>
      )}
      <ResourceError resource={list} what="The agents could not be loaded" />
      {list.loading && list.data === null && <p className="muted">Loading agents…</p>}
      {list.data !== null && rows.length === 0 && (
        <p className="empty">
          No agents yet. Register one with <code>airlock agents add</code>.
        </p>
      )}
      <ul className="agent-list">
        {rows.map(({ agent, trust }) => {
          const frozen = freezes?.freezes.find((f) => f.scope === agent.id);
          return (
            <li key={agent.id} className="card agent-card" data-testid="agent-card" data-agent-id={agent.id}>
              <div className="row-between">
                <h2 className="agent-name">
                  <Link to={`/agents/${agent.id}`}>{agent.id}</Link>
                </h2>
                <span className="row">
                  {frozen !== undefined && <span className="badge tone-bad">frozen</span>}
                  <span className={`badge tone-${agent.status === 'active' ? 'good' : 'bad'}`}>
                    {agent.status}
                  </span>
                </span>
              </div>
              <p className="muted small">
                owned by {agent.owner}
                {agent.description !== null && ` · ${agent.description}`}
                {trust !== null && ` · ceiling level ${trust.ceiling}`}
              </p>
              {trust === null ? (
                <p className="muted small">Trust could not be read.</p>
              ) : trust.scopes.length === 0 ? (
                <p className="muted small">
                  Level 0 (advisory) everywhere: no scope granted or with evidence yet.
                </p>
              ) : (
                <ul className="scope-chips">
                  {trust.scopes.map((s) => (
                    <li key={s.scope} className="scope-chip" data-scope={s.scope}>
                      <code>{s.scope}</code>
                      <LevelBadge level={s.level} testId="agent-scope-level" />
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
