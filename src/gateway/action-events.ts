/** In-process notifications of action changes, for long-polls (and later server-sent events). */

import { EventEmitter } from 'node:events';
import type { ActionStatus } from '../domain/action.ts';

export interface ActionChange {
  readonly actionId: string;
  readonly agentId: string;
  readonly status: ActionStatus;
  readonly seq: number;
}

export class ActionEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(change: ActionChange): void {
    this.#emitter.emit(change.actionId, change);
    this.#emitter.emit('*', change);
  }

  /** Listen for changes of one action (or `*` for all); returns the unsubscribe function. */
  subscribe(actionId: string, listener: (change: ActionChange) => void): () => void {
    this.#emitter.on(actionId, listener);
    return () => this.#emitter.off(actionId, listener);
  }
}
