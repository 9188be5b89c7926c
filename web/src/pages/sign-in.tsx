/** Sign in with a person's token: checked with GET /v1/me; agents' tokens are refused. */

import { type FormEvent, useId, useState } from 'react';
import { ApiClient } from '../api/client.ts';
import type { Me } from '../api/types.ts';
import { ErrorNotice } from '../components/error-notice.tsx';

export const AGENT_REFUSED =
  'That is an agent’s token. The console is for people: sign in with your own token (airlock people token <your id>).';

export function SignIn({
  message,
  onSignedIn,
}: {
  message: string | null;
  onSignedIn: (token: string, me: Me) => void;
}) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(message);
  const id = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (value === '') {
      setError(null);
      setNote('Paste your token first.');
      return;
    }
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const me = await new ApiClient(value).me();
      if (me.kind !== 'person') setNote(AGENT_REFUSED);
      else onSignedIn(value, me);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin" tabIndex={-1}>
      <form className="signin-card" onSubmit={submit} data-testid="sign-in-form">
        <h1 className="signin-title">
          <svg viewBox="0 0 16 16" width="22" height="22" aria-hidden="true">
            <rect width="16" height="16" rx="3" fill="currentColor" />
            <path d="M4 12V7a4 4 0 0 1 8 0v5" stroke="#fff" strokeWidth="2" fill="none" />
          </svg>
          Airlock console
        </h1>
        <p className="muted">
          Approve what agents propose, follow each decision, and watch trust and policy.
        </p>
        <label className="label" htmlFor={`${id}-token`}>
          Your person token
        </label>
        <input
          id={`${id}-token`}
          className="input mono"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="alk_person_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby={`${id}-help`}
          data-testid="token-input"
        />
        <p id={`${id}-help`} className="hint">
          An admin gives you one with <code>airlock people token &lt;your id&gt;</code>. It is kept in this
          tab only and forgotten when you sign out or close it.
        </p>
        <div aria-live="polite" className="signin-messages">
          {note !== null && (
            <p className="notice notice-warn" data-testid="sign-in-message">
              {note}
            </p>
          )}
          <ErrorNotice error={error} what="Sign-in failed" />
        </div>
        <button type="submit" className="button button-primary" disabled={busy} data-testid="sign-in-submit">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
