/**
 * Loading what a page shows: the data, the last error, and a reload that keeps the data on screen
 * while it runs (so live refreshes never blank or shift the page).
 */

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import { useSession } from './session.tsx';

export interface Resource<T> {
  readonly data: T | null;
  readonly error: unknown;
  /** True until the first answer for the current key. */
  readonly loading: boolean;
  readonly reload: () => Promise<void>;
}

/** Load with `load` whenever `key` changes; `reload` fetches again without clearing. */
export function useResource<T>(key: string, load: (api: ApiClient) => Promise<T>): Resource<T> {
  const { api } = useSession();
  const [state, setState] = useState<{ key: string; data: T | null; error: unknown; loading: boolean }>({
    key,
    data: null,
    error: null,
    loading: true,
  });
  const loader = useRef(load);
  loader.current = load;
  const generation = useRef(0);

  const run = useCallback(
    async (forKey: string) => {
      generation.current += 1;
      const mine = generation.current;
      try {
        const data = await loader.current(api);
        if (mine === generation.current) setState({ key: forKey, data, error: null, loading: false });
      } catch (error) {
        if (mine === generation.current) setState((s) => ({ ...s, key: forKey, error, loading: false }));
      }
    },
    [api],
  );

  useEffect(() => {
    setState((s) => (s.key === key ? s : { key, data: null, error: null, loading: true }));
    void run(key);
  }, [key, run]);

  const reload = useCallback(() => run(key), [key, run]);
  const current = state.key === key;
  return {
    data: current ? state.data : null,
    error: current ? state.error : null,
    loading: !current || state.loading,
    reload,
  };
}
