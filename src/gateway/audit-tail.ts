/**
 * Follows the audit chain for live subscribers (server-sent events). Every state change is an
 * audit event, so tailing the chain sees changes made by this process, by the CLI and by other
 * replicas alike. One reader serves every subscriber; it wakes on local changes, on other
 * processes' appends where the store announces them (PostgreSQL's NOTIFY), and polls otherwise; a
 * subscriber may resume from any sequence number.
 */

import type { AuditRecord } from '../audit/audit-event.ts';
import type { Store, StoreReader } from '../store/store.ts';
import type { ActionEvents } from './action-events.ts';
import type { Logger } from './logger.ts';

const BATCH = 500;

/** What the tail reads, and how it hears of appends by other processes (between polls). */
type TailStore = StoreReader & Pick<Store, 'watchAppends'>;

interface Subscriber {
  cursor: number;
  readonly accept: (record: AuditRecord) => boolean;
  readonly send: (record: AuditRecord) => void;
  readonly end: () => void;
}

export class AuditTail {
  readonly #store: TailStore;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #subscribers = new Set<Subscriber>();
  #timer: NodeJS.Timeout | null = null;
  #pumping: Promise<void> | null = null;
  #again = false;
  #unsubscribe: (() => void)[] = [];
  readonly #events: ActionEvents;

  constructor(store: TailStore, events: ActionEvents, logger: Logger, options: { pollMs?: number } = {}) {
    this.#store = store;
    this.#events = events;
    this.#logger = logger;
    this.#pollMs = options.pollMs ?? 500;
  }

  /** The sequence number of the newest event (subscribers start after it by default). */
  async head(): Promise<number> {
    return (await this.#store.auditHead())?.seq ?? 0;
  }

  /**
   * Receive every event after `after` (that `accept` lets through), in order, until the returned
   * function is called; `end` is called if the tail shuts down first.
   */
  subscribe(
    after: number,
    handlers: {
      send: (record: AuditRecord) => void;
      end: () => void;
      accept?: (record: AuditRecord) => boolean;
    },
  ): () => void {
    const subscriber: Subscriber = { cursor: after, accept: handlers.accept ?? (() => true), ...handlers };
    this.#subscribers.add(subscriber);
    if (this.#subscribers.size === 1) this.#start();
    this.#kick();
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#stop();
    };
  }

  /** End every stream (the server is shutting down). */
  closeAll(): void {
    for (const subscriber of this.#subscribers) subscriber.end();
    this.#subscribers.clear();
    this.#stop();
  }

  #start(): void {
    this.#unsubscribe = [
      this.#events.subscribe('*', () => this.#kick()),
      this.#store.watchAppends(() => this.#kick()),
    ];
    this.#timer = setInterval(() => this.#kick(), this.#pollMs);
    this.#timer.unref();
  }

  #stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #kick(): void {
    if (this.#pumping !== null) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump()
      .catch((error: unknown) =>
        this.#logger.warn({ event: 'events.tail_failed', err: error }, 'reading the audit chain failed'),
      )
      .finally(() => {
        this.#pumping = null;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  async #pump(): Promise<void> {
    for (;;) {
      if (this.#subscribers.size === 0) return;
      const from = Math.min(...[...this.#subscribers].map((s) => s.cursor));
      const batch = await this.#store.auditRange(from, BATCH);
      for (const record of batch) {
        for (const subscriber of this.#subscribers) {
          if (record.seq <= subscriber.cursor) continue;
          subscriber.cursor = record.seq;
          if (subscriber.accept(record)) subscriber.send(record);
        }
      }
      if (batch.length < BATCH) return;
    }
  }
}
