/** Every action, newest first: filtered by agent, type, environment, status and time (kept in the URL), page by page. */

import { useState } from 'react';
import type { ActionFilters as Query } from '../api/client.ts';
import type { LiveEvent } from '../api/types.ts';
import { EffectBadge, StatusBadge } from '../components/badges.tsx';
import { ResourceError } from '../components/resource-error.tsx';
import { TimeText } from '../components/time-text.tsx';
import { useLiveRefresh } from '../lib/live.tsx';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { useResource } from '../lib/use-resource.ts';
import { ActionFilters, FILTER_KEYS, type Filters } from './action-filters.tsx';

const PAGE_SIZE = 50;

export function affectsActions(event: LiveEvent): boolean {
  return /^(action|approval|execution|verification|rollback|permit|advice|incident)\./.test(event.kind);
}

function urlFor(filters: Filters, cursor: string | null): string {
  const search = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key] !== '') search.set(key, filters[key]);
  if (cursor !== null) search.set('cursor', cursor);
  const text = search.toString();
  return text === '' ? '/actions' : `/actions?${text}`;
}

export function ActionsPage() {
  const { search } = useLocation();
  const filters: Filters = {
    agent: search.get('agent') ?? '',
    type: search.get('type') ?? '',
    environment: search.get('environment') ?? '',
    status: search.get('status') ?? '',
    since: search.get('since') ?? '',
    until: search.get('until') ?? '',
  };
  const cursor = search.get('cursor');
  const [previous, setPrevious] = useState<readonly (string | null)[]>([]);
  const query: Query = {
    ...Object.fromEntries(FILTER_KEYS.filter((k) => filters[k] !== '').map((k) => [k, filters[k]])),
    ...(cursor === null ? {} : { cursor }),
    limit: PAGE_SIZE,
  };
  const key = urlFor(filters, cursor);
  const list = useResource(key, (api) => api.actions(query));
  useLiveRefresh(affectsActions, () => void list.reload(), 500);

  const actions = list.data?.actions ?? [];
  const environments = [...new Set(actions.map((a) => a.environment))].sort();
  const filterKey = JSON.stringify(filters);

  return (
    <section className="page" aria-labelledby="actions-title">
      <div className="page-head">
        <h1 id="actions-title">Actions</h1>
        <p className="page-sub">Everything agents proposed, newest first.</p>
      </div>
      <ActionFilters
        key={filterKey}
        filters={filters}
        environments={environments}
        onApply={(next) => {
          setPrevious([]);
          navigate(urlFor(next, null), { keepScroll: true });
        }}
      />
      <ResourceError resource={list} what="The actions could not be loaded" />
      <div className="table-wrap" aria-busy={list.loading}>
        <table className="table table-cards" data-testid="actions-table">
          <thead>
            <tr>
              <th scope="col">Proposed</th>
              <th scope="col">Action</th>
              <th scope="col">Agent</th>
              <th scope="col">Type</th>
              <th scope="col">Environment</th>
              <th scope="col">Targets</th>
              <th scope="col">Decision</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a.id} data-testid="action-row" data-action-id={a.id} data-status={a.status}>
                <td data-label="Proposed">
                  <TimeText iso={a.createdAt} />
                </td>
                <td data-label="Action">
                  <Link to={`/actions/${a.id}`} className="mono">
                    {a.id}
                  </Link>
                </td>
                <td data-label="Agent">
                  <Link to={`/agents/${a.agent}`}>{a.agent}</Link>
                </td>
                <td data-label="Type">{a.type}</td>
                <td data-label="Environment">{a.environment}</td>
                <td
                  data-label="Targets"
                  className="truncate-cell"
                  title={a.targets.map((t) => t.id).join(', ')}
                >
                  {a.targets.map((t) => t.id).join(', ')}
                </td>
                <td data-label="Decision">
                  <EffectBadge effect={a.decision.effect} />{' '}
                  <span className="muted small num">L{a.decision.trustLevel}</span>
                </td>
                <td data-label="Status">
                  <StatusBadge status={a.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!list.loading && actions.length === 0 && list.error === null && (
          <p className="empty" data-testid="actions-empty">
            No actions match these filters.
          </p>
        )}
        {list.loading && list.data === null && <p className="empty muted">Loading actions…</p>}
      </div>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="button"
          disabled={cursor === null}
          onClick={() => {
            const back = previous.at(-1);
            setPrevious(previous.slice(0, -1));
            navigate(urlFor(filters, back ?? null));
          }}
          data-testid="actions-prev"
        >
          {previous.length > 0 ? '← Newer' : '← Newest'}
        </button>
        <span className="muted num">{actions.length > 0 && `${actions.length} on this page`}</span>
        <button
          type="button"
          className="button"
          disabled={list.data?.nextCursor == null}
          onClick={() => {
            setPrevious([...previous, cursor]);
            navigate(urlFor(filters, list.data?.nextCursor ?? null));
          }}
          data-testid="actions-next"
        >
          Older →
        </button>
      </nav>
    </section>
  );
}
