/**
 * The main thread's side of the SQLite writer: sends batches, matches replies, and fails
 * every pending batch (closed, never silently) if the thread dies; a new one starts on demand.
 */

import { Worker } from 'node:worker_threads';
import { OutcomeUnknownError, type WriteOp, type WriteResult } from './write-ops.ts';

export type WriterRequest =
  | { readonly kind: 'commit'; readonly id: number; readonly ops: readonly WriteOp[] }
  | { readonly kind: 'close' };

export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly results: WriteResult[] }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** A batch the writer rolled back (e.g. a constraint failed): nothing of it is on disk. */
export class WriterThreadError extends Error {
  override readonly name = 'WriterThreadError';
}

interface Pending {
  readonly resolve: (results: WriteResult[]) => void;
  readonly reject: (error: Error) => void;
}

/** Where hot-path batches go when not applied on the main connection. */
export interface BatchWriter {
  commit(ops: readonly WriteOp[]): Promise<WriteResult[]>;
  close(): Promise<void>;
}

export class WriterThread implements BatchWriter {
  readonly #path: string;
  readonly #script: URL;
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  /** @param script the worker's module; tests pass one that fails on purpose. */
  constructor(path: string, script: URL = new URL('./sqlite-writer-worker.ts', import.meta.url)) {
    this.#path = path;
    this.#script = script;
  }

  commit(ops: readonly WriteOp[]): Promise<WriteResult[]> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ kind: 'commit', id, ops } satisfies WriterRequest);
    });
  }

  /** Let batches in flight finish, then stop the thread. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return;
    while (this.#pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'close' } satisfies WriterRequest);
    // Nothing is in flight; if the thread does not finish closing its connection, stop it.
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
    this.#worker = null;
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(this.#script, {
      workerData: { path: this.#path },
    });
    worker.on('message', (reply: WriterReply) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.results);
      else pending.reject(new WriterThreadError(reply.message));
    });
    const fail = (why: string) => {
      if (this.#worker === worker) this.#worker = null;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        // Whether the batch committed is unknown: the callers fail, and nothing is retried blindly.
        pending.reject(
          new OutcomeUnknownError(
            `the SQLite writer thread stopped (${why}); the outcome of this write is unknown`,
          ),
        );
      }
    };
    worker.on('error', (error) => fail(error.message));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    this.#worker = worker;
    return worker;
  }
}
