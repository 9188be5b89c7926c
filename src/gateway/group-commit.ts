/**
 * Group commit: writes that arrive while batches are in flight share the next one, so a burst of
 * decisions costs a few fsyncs instead of one each. Up to four batches may be in flight, so the
 * writer always has work queued (the store applies them in order). Batches hold 16 writes while
 * the disk keeps up (less waiting behind others), and grow when more is pending than four such
 * batches carry (fewer fsyncs when the disk is slow). Every write has committed
 * durably when its promise resolves. A batch that rolled back is retried write by write, so one bad write fails
 * only itself; a batch whose outcome is unknown is never retried.
 */

import type { Store } from '../store/store.ts';
import { OutcomeUnknownError, type WriteOp, type WriteResult } from '../store/write-ops.ts';

interface Job {
  readonly op: WriteOp;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (reason: unknown) => void;
}

export class GroupCommitter {
  readonly #store: Store;
  readonly #minBatch: number;
  readonly #maxBatch: number;
  readonly #onBatch: (size: number) => void;
  readonly #maxInFlight: number;
  #pending: Job[] = [];
  #scheduled = false;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  /** @param options.onBatch called with the size of every committed batch (for metrics). */
  constructor(
    store: Store,
    options: {
      minBatch?: number;
      maxBatch?: number;
      maxInFlight?: number;
      onBatch?: (size: number) => void;
    } = {},
  ) {
    this.#store = store;
    this.#minBatch = options.minBatch ?? 16;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#onBatch = options.onBatch ?? (() => {});
  }

  /** Apply `op` in a shared transaction; resolves after the commit. */
  run(op: WriteOp): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.#pending.push({ op, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when everything queued so far has been written. */
  drain(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #busy(): boolean {
    return this.#scheduled || this.#inFlight > 0 || this.#pending.length > 0;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Yield to I/O first so that requests arriving together land in one batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#pending.length > 0) {
      // Grow past the minimum only when more is pending than all slots carry at the minimum.
      const share = Math.ceil(this.#pending.length / this.#maxInFlight);
      const batch = this.#pending.splice(0, Math.min(this.#maxBatch, Math.max(this.#minBatch, share)));
      this.#inFlight += 1;
      void this.#flush(batch).finally(() => {
        this.#inFlight -= 1;
        if (this.#pending.length > 0) this.#schedule();
        else if (!this.#busy()) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      });
    }
  }

  async #flush(batch: readonly Job[]): Promise<void> {
    try {
      const results = await this.#store.commit(batch.map((job) => job.op));
      this.#onBatch(batch.length);
      for (const [i, job] of batch.entries()) job.resolve(results[i] as WriteResult);
    } catch (error) {
      if (batch.length === 1 || error instanceof OutcomeUnknownError) {
        for (const job of batch) job.reject(error);
        return;
      }
      for (const job of batch) {
        try {
          const [result] = await this.#store.commit([job.op]);
          this.#onBatch(1);
          job.resolve(result as WriteResult);
        } catch (jobError) {
          job.reject(jobError);
        }
      }
    }
  }
}
