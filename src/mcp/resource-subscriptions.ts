/**
 * Resource subscriptions across sessions: each session subscribes through Airlock, Airlock holds
 * one upstream subscription per URI for all of them, and an upstream's `resources/updated` goes to
 * every session that asked. An upstream that comes back after dying is subscribed again.
 */

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

export type UpdateListener = (uri: string) => void;

/** What the subscriptions need from the upstreams. */
export interface SubscriptionUpstreams {
  /** The upstreams that may hold `uri`, the one that listed it first. */
  candidates(uri: string): string[];
  /** Subscribe on one upstream; false when it does not offer subscriptions. */
  subscribe(server: string, uri: string): Promise<boolean>;
  unsubscribe(server: string, uri: string): Promise<void>;
}

interface Subscription {
  readonly server: string;
  readonly listeners: Set<UpdateListener>;
}

export class ResourceSubscriptions {
  readonly #upstreams: SubscriptionUpstreams;
  readonly #byUri = new Map<string, Subscription>();
  /** Subscriptions being made, so that two sessions asking at once make one. */
  readonly #pending = new Map<string, Promise<Subscription>>();

  constructor(upstreams: SubscriptionUpstreams) {
    this.#upstreams = upstreams;
  }

  async add(uri: string, listener: UpdateListener): Promise<void> {
    const existing = this.#byUri.get(uri);
    if (existing !== undefined) {
      existing.listeners.add(listener);
      return;
    }
    let pending = this.#pending.get(uri);
    if (pending === undefined) {
      pending = this.#open(uri).finally(() => this.#pending.delete(uri));
      this.#pending.set(uri, pending);
    }
    (await pending).listeners.add(listener);
  }

  async remove(uri: string, listener: UpdateListener): Promise<void> {
    const subscription = this.#byUri.get(uri);
    if (subscription === undefined || !subscription.listeners.delete(listener)) return;
    if (subscription.listeners.size > 0) return;
    this.#byUri.delete(uri);
    await this.#upstreams.unsubscribe(subscription.server, uri).catch(() => undefined);
  }

  /** An upstream said `uri` changed. */
  updated(server: string, uri: string): void {
    const subscription = this.#byUri.get(uri);
    if (subscription?.server !== server) return;
    for (const listener of subscription.listeners) listener(uri);
  }

  /** An upstream (re)connected: what was subscribed there is subscribed again. */
  async reconnected(server: string): Promise<void> {
    const uris = [...this.#byUri].filter(([, s]) => s.server === server).map(([uri]) => uri);
    await Promise.all(uris.map((uri) => this.#upstreams.subscribe(server, uri).catch(() => false)));
  }

  async #open(uri: string): Promise<Subscription> {
    let last: unknown = null;
    for (const server of this.#upstreams.candidates(uri)) {
      try {
        if (!(await this.#upstreams.subscribe(server, uri))) continue;
        const subscription = { server, listeners: new Set<UpdateListener>() };
        this.#byUri.set(uri, subscription);
        return subscription;
      } catch (error) {
        last = error;
      }
    }
    throw last ?? new McpError(ErrorCode.InvalidParams, `no upstream MCP server offers updates of ${uri}`);
  }
}
