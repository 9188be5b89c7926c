/** An API error shown where the failed content would be: its message, field problems and request id. */

import { ApiError } from '../api/client.ts';

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) return error.message;
  return String(error);
}

export function ErrorNotice({ error, what }: { error: unknown; what?: string }) {
  if (error == null) return null;
  const api = error instanceof ApiError ? error : null;
  return (
    <div className="notice notice-error" role="alert" data-testid="api-error">
      <p className="notice-title">
        {what === undefined ? '' : `${what}: `}
        {errorMessage(error)}
      </p>
      {api !== null && api.details.length > 0 && (
        <ul className="notice-details">
          {api.details.map((d) => (
            <li key={`${d.path}:${d.message}`}>
              {d.path === '' ? '' : <code>{d.path}</code>} {d.message}
            </li>
          ))}
        </ul>
      )}
      {api !== null && (
        <p className="notice-meta">
          <code>{api.code}</code>
          {api.status > 0 && ` · HTTP ${api.status}`}
          {api.requestId !== null && (
            <>
              {' · request '}
              <code>{api.requestId}</code>
            </>
          )}
        </p>
      )}
    </div>
  );
}
