/**
 * The one live connection of a session: every page subscribes to it for the events it cares
 * about; it also keeps the latest few events for the audit page. Status, recent events and the
 * subscription are separate contexts, so that an event re-renders only what shows it.
 */

import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { type LiveStatus, openEventStream } from '../api/event-stream.ts';
import type { LiveEvent } from '../api/types.ts';

const RECENT = 50;

type Subscribe = (listener: (event: LiveEvent) => void) => () => void;

const StatusContext = createContext<{ status: LiveStatus; retryInMs: number | null } | null>(null);
const RecentContext = createContext<readonly LiveEvent[]>([]);
const SubscribeContext = createContext<Subscribe | null>(null);

export function LiveProvider(props: { token: string; onUnauthorized: () => void; children: ReactNode }) {
  const { token, onUnauthorized, children } = props;
  const [status, setStatus] = useState<{ status: LiveStatus; retryInMs: number | null }>({
    status: 'connecting',
    retryInMs: null,
  });
  const [recent, setRecent] = useState<readonly LiveEvent[]>([]);
  const listeners = useRef(new Set<(event: LiveEvent) => void>());
  const unauthorized = useRef(onUnauthorized);
  unauthorized.current = onUnauthorized;

  useEffect(() => {
    return openEventStream({
      token,
      onEvent: (event) => {
        setRecent((list) => [event, ...list].slice(0, RECENT));
        for (const listener of listeners.current) listener(event);
      },
      onStatus: (next, retryInMs) => setStatus({ status: next, retryInMs }),
      onUnauthorized: () => unauthorized.current(),
    });
  }, [token]);

  const [subscribe] = useState<Subscribe>(() => (listener: (event: LiveEvent) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  });

  return (
    <SubscribeContext value={subscribe}>
      <StatusContext value={status}>
        <RecentContext value={recent}>{children}</RecentContext>
      </StatusContext>
    </SubscribeContext>
  );
}

export function useLiveStatus(): { status: LiveStatus; retryInMs: number | null } {
  const status = useContext(StatusContext);
  if (status === null) throw new Error('useLiveStatus outside LiveProvider');
  return status;
}

/** The latest events received since the console opened, newest first. */
export function useRecentEvents(): readonly LiveEvent[] {
  return useContext(RecentContext);
}

/**
 * Call `onChange` when events that `relevant` accepts arrive: once per window of `delayMs` after
 * the first of them, so a burst (an execution and its samples) makes one call and a steady stream
 * still refreshes at that pace.
 */
export function useLiveRefresh(relevant: (event: LiveEvent) => boolean, onChange: () => void, delayMs = 300) {
  const subscribe = useContext(SubscribeContext);
  if (subscribe === null) throw new Error('useLiveRefresh outside LiveProvider');
  const latest = useRef({ relevant, onChange });
  latest.current = { relevant, onChange };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = subscribe((event) => {
      if (timer !== null || !latest.current.relevant(event)) return;
      timer = setTimeout(() => {
        timer = null;
        latest.current.onChange();
      }, delayMs);
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [subscribe, delayMs]);
}
