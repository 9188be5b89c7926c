/** The console: sign-in, then one live connection and the pages behind the top bar. */

import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient, ApiError } from './api/client.ts';
import type { Me } from './api/types.ts';
import { ErrorNotice } from './components/error-notice.tsx';
import { TopBar } from './components/top-bar.tsx';
import { LiveProvider } from './lib/live.tsx';
import { PendingProvider } from './lib/pending.tsx';
import { navigate, useLocation } from './lib/router.tsx';
import { SessionProvider, storedToken, storeToken } from './lib/session.tsx';
import { AGENT_REFUSED, SignIn } from './pages/sign-in.tsx';
import { Routes } from './routes.tsx';

type State =
  | { readonly phase: 'checking'; readonly token: string }
  | { readonly phase: 'signed-out'; readonly message: string | null }
  | { readonly phase: 'failed'; readonly token: string; readonly error: unknown }
  | { readonly phase: 'signed-in'; readonly token: string; readonly me: Me };

const SESSION_ENDED = 'Your session ended: the server no longer accepts that token. Sign in again.';

function initialState(): State {
  const token = storedToken();
  return token === null ? { phase: 'signed-out', message: null } : { phase: 'checking', token };
}

export function App() {
  const [state, setState] = useState<State>(initialState);

  const signOut = useCallback((message?: string) => {
    storeToken(null);
    setState({ phase: 'signed-out', message: message ?? null });
  }, []);

  const check = useCallback(
    async (token: string) => {
      try {
        const me = await new ApiClient(token).me();
        if (me.kind !== 'person') signOut(AGENT_REFUSED);
        else setState({ phase: 'signed-in', token, me });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) signOut(SESSION_ENDED);
        else setState({ phase: 'failed', token, error });
      }
    },
    [signOut],
  );

  useEffect(() => {
    if (state.phase === 'checking') void check(state.token);
  }, [state, check]);

  switch (state.phase) {
    case 'checking':
      return (
        <main id="main" className="signin" aria-busy="true">
          <p className="muted">Checking your session…</p>
        </main>
      );
    case 'failed':
      return (
        <main id="main" className="signin">
          <div className="signin-card">
            <ErrorNotice error={state.error} what="Could not check your session" />
            <div className="row">
              <button type="button" className="button button-primary" onClick={() => void check(state.token)}>
                Try again
              </button>
              <button type="button" className="button" onClick={() => signOut()}>
                Sign out
              </button>
            </div>
          </div>
        </main>
      );
    case 'signed-out':
      return (
        <SignIn
          message={state.message}
          onSignedIn={(token, me) => {
            storeToken(token);
            setState({ phase: 'signed-in', token, me });
            if (window.location.pathname === '/') navigate('/inbox', { replace: true });
          }}
        />
      );
    case 'signed-in':
      return <SignedIn token={state.token} me={state.me} signOut={signOut} />;
    default: {
      const never: never = state;
      return never;
    }
  }
}

function SignedIn({ token, me, signOut }: { token: string; me: Me; signOut: (message?: string) => void }) {
  const api = useMemo(() => new ApiClient(token, () => signOut(SESSION_ENDED)), [token, signOut]);
  const session = useMemo(() => ({ me, api, signOut }), [me, api, signOut]);
  const { pathname } = useLocation();

  useEffect(() => {
    if (pathname === '/') navigate('/inbox', { replace: true });
  }, [pathname]);

  return (
    <SessionProvider session={session}>
      <LiveProvider token={token} onUnauthorized={() => signOut(SESSION_ENDED)}>
        <PendingProvider>
          <a className="skip-link" href="#main">
            Skip to content
          </a>
          <TopBar />
          <Routes />
        </PendingProvider>
      </LiveProvider>
    </SessionProvider>
  );
}
