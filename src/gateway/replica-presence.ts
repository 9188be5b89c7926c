/**
 * This process among the replicas that share a database. It beats (records that it is alive)
 * three times per replica timeout, and after each beat takes over what replicas that are gone
 * left running (see `ExecutionService.recover`). Leaving cleanly removes its record, so the others
 * need not wait for the timeout.
 */

import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { ExecutionService } from './execution-service.ts';
import type { Logger } from './logger.ts';

export interface ReplicaPresenceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly executions: ExecutionService;
  /** This process's replica id. */
  readonly id: string;
  readonly timeoutMs: number;
}

export class ReplicaPresence {
  readonly #deps: ReplicaPresenceDeps;
  readonly #startedAt: string;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = true;

  constructor(deps: ReplicaPresenceDeps) {
    this.#deps = deps;
    this.#startedAt = deps.clock.now().toISOString();
  }

  /** Beat, recover what gone replicas left, then keep doing so. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#beat();
    await this.#deps.executions.recover();
    this.#schedule();
  }

  /** Stop beating (the record stays until `leave`, while this process finishes its work). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Remove this replica's record: what it leaves running is the others' at once. */
  async leave(): Promise<void> {
    await this.#deps.store.write((tx) => tx.removeReplica(this.#deps.id));
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#tick(), Math.max(50, Math.floor(this.#deps.timeoutMs / 3)));
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = null;
    this.#running = (async () => {
      await this.#beat();
      await this.#deps.executions.recover();
    })()
      .catch((error: unknown) =>
        this.#deps.logger.error(
          { event: 'replica.heartbeat_failed', replica: this.#deps.id, err: error },
          'recording this replica as alive, or recovering what others left, failed; retrying',
        ),
      )
      .finally(() => {
        this.#running = null;
        this.#schedule();
      });
  }

  #beat(): Promise<void> {
    const { store, clock, id } = this.#deps;
    return store.write((tx) => tx.heartbeat({ id, startedAt: this.#startedAt }, clock.now().toISOString()));
  }
}
