/** Worker-thread entry: one simulated run in its own thread, reporting progress and its result to the parent. */

import { parentPort, workerData } from 'node:worker_threads';
import { type RunSpec, simulateRun } from './simulator.ts';

/** What a run worker tells its parent. */
export type WorkerMessage =
  | { readonly kind: 'progress'; readonly line: string }
  | { readonly kind: 'result'; readonly result: Awaited<ReturnType<typeof simulateRun>> };

if (parentPort !== null) {
  const port = parentPort;
  const spec = workerData as Omit<RunSpec, 'onProgress'>;
  const result = await simulateRun({
    ...spec,
    onProgress: (line) => port.postMessage({ kind: 'progress', line } satisfies WorkerMessage),
  });
  port.postMessage({ kind: 'result', result } satisfies WorkerMessage);
}
