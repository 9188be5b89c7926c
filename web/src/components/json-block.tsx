/** Params, targets and context as readable key/value rows, nested values as indented JSON. */

import type { Json } from '../api/types.ts';

function scalar(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function JsonFields({
  value,
  testId,
}: {
  value: Readonly<Record<string, Json>> | null;
  testId?: string;
}) {
  if (value === null || Object.keys(value).length === 0) return <p className="muted">none</p>;
  return (
    <dl className="fields" data-testid={testId}>
      {Object.entries(value).map(([key, v]) => (
        <div className="field" key={key}>
          <dt>
            <code>{key}</code>
          </dt>
          <dd>
            {v !== null && typeof v === 'object' ? (
              <pre className="json">{JSON.stringify(v, null, 2)}</pre>
            ) : (
              <span className={typeof v === 'string' ? 'text' : 'num'}>{scalar(v)}</span>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function TargetList({
  targets,
}: {
  targets: readonly { readonly id: string; readonly [k: string]: Json }[];
}) {
  return (
    <ul className="targets">
      {targets.map((target) => {
        const { id, ...attributes } = target;
        const extra = Object.entries(attributes);
        return (
          <li key={id}>
            <code>{id}</code>
            {extra.length > 0 && (
              <span className="muted"> {extra.map(([k, v]) => `${k}=${scalar(v)}`).join(' · ')}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
