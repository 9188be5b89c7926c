/** The filters of the actions list, mapped onto GET /v1/actions's query; applying them changes the URL. */

import { type FormEvent, useId, useState } from 'react';
import { ACTION_STATUSES } from '../api/types.ts';
import { words } from '../lib/format.ts';
import { useResource } from '../lib/use-resource.ts';

export interface Filters {
  readonly agent: string;
  readonly type: string;
  readonly environment: string;
  readonly status: string;
  readonly since: string;
  readonly until: string;
}

export const FILTER_KEYS = ['agent', 'type', 'environment', 'status', 'since', 'until'] as const;

const RANGES = [
  { value: 'any', label: 'Any time', ms: 0 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;

/** An ISO time as the value of a datetime-local field (local time, to the minute). */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function fromLocalInput(value: string): string {
  if (value === '') return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

export function ActionFilters(props: {
  filters: Filters;
  environments: readonly string[];
  onApply: (f: Filters) => void;
}) {
  const { filters, environments, onApply } = props;
  const id = useId();
  // The parent remounts this form (by key) when the applied filters change.
  const [draft, setDraft] = useState(filters);
  const agents = useResource('agents', (api) => api.agents());
  const catalog = useResource('catalog', (api) => api.catalog());

  const set = (key: keyof Filters, value: string, apply = false) => {
    const next = { ...draft, [key]: value };
    setDraft(next);
    if (apply) onApply(next);
  };
  const range = (value: string) => {
    const preset = RANGES.find((r) => r.value === value);
    if (preset === undefined) return;
    const next = {
      ...draft,
      since: preset.ms === 0 ? '' : new Date(Date.now() - preset.ms).toISOString(),
      until: '',
    };
    setDraft(next);
    onApply(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const clear = () => {
    const empty = { agent: '', type: '', environment: '', status: '', since: '', until: '' };
    setDraft(empty);
    onApply(empty);
  };

  return (
    <form className="filters" onSubmit={submit} aria-label="Filter actions" data-testid="action-filters">
      <div className="filter">
        <label className="label" htmlFor={`${id}-agent`}>
          Agent
        </label>
        <select
          id={`${id}-agent`}
          className="input"
          value={draft.agent}
          onChange={(e) => set('agent', e.target.value, true)}
          data-testid="filter-agent"
        >
          <option value="">All agents</option>
          {(agents.data?.agents ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.id}
            </option>
          ))}
          {draft.agent !== '' && !agents.data?.agents.some((a) => a.id === draft.agent) && (
            <option value={draft.agent}>{draft.agent}</option>
          )}
        </select>
      </div>
      <div className="filter">
        <label className="label" htmlFor={`${id}-type`}>
          Type
        </label>
        <select
          id={`${id}-type`}
          className="input"
          value={draft.type}
          onChange={(e) => set('type', e.target.value, true)}
          data-testid="filter-type"
        >
          <option value="">All types</option>
          {(catalog.data?.types ?? []).map((t) => (
            <option key={t.type} value={t.type}>
              {t.type}
            </option>
          ))}
          {draft.type !== '' && !catalog.data?.types.some((t) => t.type === draft.type) && (
            <option value={draft.type}>{draft.type}</option>
          )}
        </select>
      </div>
      <div className="filter">
        <label className="label" htmlFor={`${id}-env`}>
          Environment
        </label>
        <input
          id={`${id}-env`}
          className="input"
          list={`${id}-envs`}
          value={draft.environment}
          onChange={(e) => set('environment', e.target.value)}
          onBlur={() => draft.environment !== filters.environment && onApply(draft)}
          placeholder="any"
          data-testid="filter-environment"
        />
        <datalist id={`${id}-envs`}>
          {environments.map((e) => (
            <option key={e} value={e} />
          ))}
        </datalist>
      </div>
      <div className="filter">
        <label className="label" htmlFor={`${id}-status`}>
          Status
        </label>
        <select
          id={`${id}-status`}
          className="input"
          value={draft.status}
          onChange={(e) => set('status', e.target.value, true)}
          data-testid="filter-status"
        >
          <option value="">Any status</option>
          {ACTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {words(s)}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label className="label" htmlFor={`${id}-range`}>
          Time
        </label>
        <select
          id={`${id}-range`}
          className="input"
          value=""
          onChange={(e) => range(e.target.value)}
          data-testid="filter-range"
        >
          <option value="" disabled>
            Pick a range…
          </option>
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label className="label" htmlFor={`${id}-since`}>
          From
        </label>
        <input
          id={`${id}-since`}
          className="input num"
          type="datetime-local"
          value={toLocalInput(draft.since)}
          onChange={(e) => set('since', fromLocalInput(e.target.value))}
          data-testid="filter-since"
        />
      </div>
      <div className="filter">
        <label className="label" htmlFor={`${id}-until`}>
          Until
        </label>
        <input
          id={`${id}-until`}
          className="input num"
          type="datetime-local"
          value={toLocalInput(draft.until)}
          onChange={(e) => set('until', fromLocalInput(e.target.value))}
          data-testid="filter-until"
        />
      </div>
      <div className="filter filter-buttons">
        <button type="submit" className="button button-primary" data-testid="filter-apply">
          Apply
        </button>
        <button type="button" className="button" onClick={clear} data-testid="filter-clear">
          Clear
        </button>
      </div>
    </form>
  );
}
