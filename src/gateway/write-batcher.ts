/**
 * Batched interactive writes: transactions that arrive together (within one turn of the event
 * loop) share one, so a burst of claims costs one wait for the write lock and one fsync instead of
 * one each. A shared transaction that fails is retried write by write, so one bad write fails only
 * itself. For writes that read before they write (a claim checks the action first); plain writes
 * go through the GroupCommitter.
 */

import type { Store, StoreTx } from '../store/store.ts';

interface Job {
  readonly work: (tx: StoreTx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

export class WriteBatcher {
  readonly #store: Pick<Store, 'write'>;
  readonly #maxBatch: number;
  #pending: Job[] = [];
  /** A drain is scheduled or running: it takes whatever is pending when it gets there. */
  #draining = false;

  constructor(store: Pick<Store, 'write'>, options: { maxBatch?: number } = {}) {
    this.#store = store;
    this.#maxBatch = options.maxBatch ?? 64;
  }

  /**
   * Run `work` in a transaction shared with the other writes of this turn; resolves after the
   * commit. `work` may run twice (the shared transaction rolled back, then alone), so it must
   * do nothing outside the transaction.
   */
  run<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#draining) return;
      this.#draining = true;
      // Yield to I/O first so that writes arriving together land in one transaction.
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) await this.#flush(this.#pending.splice(0, this.#maxBatch));
    } finally {
      this.#draining = false;
    }
  }

  async #flush(batch: readonly Job[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.#store.write(async (tx) => {
          const values: unknown[] = [];
          for (const job of batch) values.push(await job.work(tx));
          return values;
        });
        for (const [i, job] of batch.entries()) job.resolve(results[i]);
        return;
      } catch {
        // One of them failed and took the others with it: each alone, below.
      }
    }
    for (const job of batch) {
      try {
        job.resolve(await this.#store.write(job.work));
      } catch (error) {
        job.reject(error);
      }
    }
  }
}
