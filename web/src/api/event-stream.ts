/**
 * The live event stream (`GET /v1/events`) read with fetch, since EventSource cannot send a bearer
 * token: a server-sent-events parser over a ReadableStream, resuming after the last sequence number
 * seen and reconnecting with backoff.
 */

import type { LiveEvent } from './types.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

interface SseMessage {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

/** Parses the text/event-stream format incrementally; comments and `retry` go to their own callbacks. */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | null = null;
  readonly #onMessage: (message: SseMessage) => void;
  readonly #onComment: (text: string) => void;
  readonly #onRetry: (ms: number) => void;

  constructor(handlers: {
    onMessage: (message: SseMessage) => void;
    onComment?: (text: string) => void;
    onRetry?: (ms: number) => void;
  }) {
    this.#onMessage = handlers.onMessage;
    this.#onComment = handlers.onComment ?? (() => {});
    this.#onRetry = handlers.onRetry ?? (() => {});
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (match === null || (match[0] === '\r' && match.index === this.#buffer.length - 1)) return;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        this.#onMessage({ id: this.#id, event: this.#event || 'message', data: this.#data.join('\n') });
      }
      this.#data = [];
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) {
      this.#onComment(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\u0000')) this.#id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.#onRetry(Number(value));
  }
}

export interface EventStreamOptions {
  readonly token: string;
  readonly onEvent: (event: LiveEvent) => void;
  readonly onStatus: (status: LiveStatus, retryInMs: number | null) => void;
  readonly onUnauthorized: () => void;
}

/** Without a byte for this long (the server pings every 15 s), the connection is taken as dead. */
const SILENCE_MS = 45_000;
const MAX_BACKOFF_MS = 30_000;
/** After this many failed attempts in a row the indicator says offline (attempts go on). */
const OFFLINE_AFTER = 3;

/** Open the stream; returns a function that closes it for good. */
export function openEventStream(options: EventStreamOptions): () => void {
  let closed = false;
  let controller: AbortController | null = null;
  let lastSeq: number | null = null;
  let failures = 0;
  let baseDelay = 1000;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let silenceTimer: ReturnType<typeof setTimeout> | null = null;

  const heard = () => {
    if (silenceTimer !== null) clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => controller?.abort(), SILENCE_MS);
  };

  const parser = () =>
    new SseParser({
      onMessage: (message) => {
        let event: LiveEvent;
        try {
          event = JSON.parse(message.data) as LiveEvent;
        } catch {
          return;
        }
        if (typeof event.seq === 'number') lastSeq = Math.max(lastSeq ?? 0, event.seq);
        options.onEvent(event);
      },
      onComment: (text) => {
        // The server says where it starts: resume from there even before the first event.
        const start = /following the audit chain after #(\d+)/.exec(text);
        if (start !== null && lastSeq === null) lastSeq = Number(start[1]);
      },
      onRetry: (ms) => {
        baseDelay = Math.min(Math.max(ms, 500), MAX_BACKOFF_MS);
      },
    });

  const connect = async () => {
    retryTimer = null;
    if (closed) return;
    controller = new AbortController();
    options.onStatus(failures === 0 && lastSeq === null ? 'connecting' : 'reconnecting', null);
    try {
      const url = lastSeq === null ? '/v1/events' : `/v1/events?after=${lastSeq}`;
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (response.status === 401) {
        closed = true;
        options.onUnauthorized();
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`events: HTTP ${response.status}`);
      failures = 0;
      options.onStatus('live', null);
      heard();
      const sse = parser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        heard();
        sse.push(value);
      }
    } catch {
      // Network failure, abort or a bad answer: reconnect below unless closed.
    }
    if (silenceTimer !== null) clearTimeout(silenceTimer);
    if (closed) return;
    failures += 1;
    const delay = Math.min(baseDelay * 2 ** (failures - 1), MAX_BACKOFF_MS) * (0.8 + Math.random() * 0.4);
    options.onStatus(failures >= OFFLINE_AFTER ? 'offline' : 'reconnecting', delay);
    retryTimer = setTimeout(connect, delay);
  };

  // Back online, or the tab shown again: do not sit out the rest of a long backoff.
  const retryNow = () => {
    if (closed || retryTimer === null || document.visibilityState === 'hidden') return;
    clearTimeout(retryTimer);
    retryTimer = null;
    void connect();
  };
  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', retryNow);

  void connect();
  return () => {
    closed = true;
    window.removeEventListener('online', retryNow);
    document.removeEventListener('visibilitychange', retryNow);
    if (retryTimer !== null) clearTimeout(retryTimer);
    if (silenceTimer !== null) clearTimeout(silenceTimer);
    controller?.abort();
  };
}
