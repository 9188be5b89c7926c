/**
 * Group commit: write jobs that arrive while a transaction is in flight share the next one, so a
 * burst of decisions costs one fsync instead of one each. Every job has committed durably when its
 * promise resolves. A job that fails its batch is retried alone, so one bad write fails only itself.
 */

import type { Store, StoreTx } from '../store/store.ts';

interface Job {
  readonly work: (tx: StoreTx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

export class GroupCommitter {
  readonly #store: Store;
  readonly #maxBatch: number;
  #pending: Job[] = [];
  #scheduled = false;
  #idle: Promise<void> = Promise.resolve();
  #batches = 0;
  #jobs = 0;

  readonly #onBatch: (size: number) => void;

  /** @param onBatch called with the size of every committed batch (for metrics). */
  constructor(store: Store, options: { maxBatch?: number; onBatch?: (size: number) => void } = {}) {
    this.#store = store;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#onBatch = options.onBatch ?? (() => {});
  }

  /** Run `work` inside a shared write transaction; resolves after the commit. */
  run<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Batches and jobs committed so far (for metrics and benchmarks). */
  get stats(): { batches: number; jobs: number } {
    return { batches: this.#batches, jobs: this.#jobs };
  }

  /** Resolves when everything queued so far has been written. */
  async drain(): Promise<void> {
    while (this.#scheduled || this.#pending.length > 0) await this.#idle;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#idle = new Promise((done) => {
      // Yield to I/O first so that requests arriving together land in one batch.
      setImmediate(() => {
        void this.#flush().finally(() => {
          this.#scheduled = false;
          done();
          if (this.#pending.length > 0) this.#schedule();
        });
      });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    try {
      const results = await this.#store.write(async (tx) => {
        const out: unknown[] = [];
        for (const job of batch) out.push(await job.work(tx));
        return out;
      });
      this.#batches += 1;
      this.#jobs += batch.length;
      this.#onBatch(batch.length);
      for (const [i, job] of batch.entries()) job.resolve(results[i]);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const job of batch) {
        try {
          job.resolve(await this.#store.write(job.work));
          this.#batches += 1;
          this.#jobs += 1;
          this.#onBatch(1);
        } catch (jobError) {
          job.reject(jobError);
        }
      }
    }
  }
}
