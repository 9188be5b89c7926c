/** The signed-in person: their token (kept in sessionStorage), who they are, and the API client. */

import { createContext, type ReactNode, useContext } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { Me } from '../api/types.ts';

const TOKEN_KEY = 'airlock.token';

export function storedToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) window.sessionStorage.removeItem(TOKEN_KEY);
    else window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage refused (private mode): the session lasts until the page reloads.
  }
}

export interface Session {
  readonly me: Me;
  readonly api: ApiClient;
  readonly signOut: (message?: string) => void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext value={session}>{children}</SessionContext>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside a signed-in session');
  return session;
}
