/** A whole simulation: one seeded population through the config and both baselines (each run in a worker thread), summarised in one report. */

import { Worker } from 'node:worker_threads';
import { ProblemsError } from '../config/problems.ts';
import { loadProject } from '../project/project-loader.ts';
import { isWorkingDay, makePopulation } from './population.ts';
import type { RunResult } from './report.ts';
import { populationOf, type SimulationReport, summarise } from './report.ts';
import type { WorkerMessage } from './run-worker.ts';
import { DAY } from './sim-clock.ts';
import { checkProject, type RunSpec, simulateRun, type Variant } from './simulator.ts';

/** A Monday morning: every run starts here. */
export const SIM_START = '2026-01-05T08:00:00.000Z';

/** The defaults of `airlock simulate`: a run of about a minute on a small machine. */
export const SIM_DEFAULTS = { agents: 20, days: 90, seed: 1, actionsPerDay: 6, fixedLevel: 2 } as const;

/** What `runSimulation` needs. */
export interface SimulationOptions {
  readonly configPath: string;
  readonly agents: number;
  readonly days: number;
  readonly seed: number;
  readonly actionsPerDay: number;
  readonly fixedLevel: number;
  /** The command line that reproduces the run, shown in the report. */
  readonly command: string;
  /** Run the three variants in worker threads at once (default), or one after another here. */
  readonly parallel?: boolean;
  readonly onProgress?: (line: string) => void;
}

/** The runs of every simulation, in report order. */
export const VARIANTS: readonly Variant[] = ['config', 'level1', 'fixed'];

/** Run the config and both baselines on the same agents; throws ProblemsError when the project does not load. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const loaded = await loadProject(options.configPath);
  if (!loaded.ok)
    throw new ProblemsError(`${options.configPath}: the project does not load`, loaded.problems);
  const missing = checkProject(loaded.value);
  if (missing.length > 0) throw new Error(`the simulator needs ${missing.join(', ')} in the project`);

  const agents = makePopulation(options.agents, options.days, options.seed);
  const specs = VARIANTS.map(
    (variant): Omit<RunSpec, 'onProgress'> => ({
      configPath: loaded.value.configPath,
      variant,
      fixedLevel: options.fixedLevel,
      agents,
      days: options.days,
      seed: options.seed,
      actionsPerDay: options.actionsPerDay,
      start: SIM_START,
    }),
  );
  const results: RunResult[] = [];
  if (options.parallel === false) {
    for (const spec of specs) results.push(await simulateRun({ ...spec, onProgress: options.onProgress }));
  } else {
    const workers = specs.map((spec) => inWorker(spec, options.onProgress));
    try {
      results.push(...(await Promise.all(workers.map((w) => w.result))));
    } catch (error) {
      // One run failed: the others would only keep the process busy.
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw error;
    }
  }

  const start = Date.parse(SIM_START);
  const midnight = start - (start % DAY);
  let workingDays = 0;
  for (let day = 0; day < options.days; day++) if (isWorkingDay(midnight + day * DAY)) workingDays++;
  return {
    settings: {
      command: options.command,
      configPath: options.configPath,
      seed: options.seed,
      agents: options.agents,
      days: options.days,
      workingDays,
      actionsPerDay: options.actionsPerDay,
      fixedLevel: options.fixedLevel,
      start: SIM_START,
    },
    population: populationOf(agents),
    runs: results.map((r) => summarise(r, options.fixedLevel)),
  };
}

/** One run in a worker thread: its progress lines are passed on, its result resolves `result`. */
function inWorker(
  spec: Omit<RunSpec, 'onProgress'>,
  onProgress?: (line: string) => void,
): { worker: Worker; result: Promise<RunResult> } {
  const worker = new Worker(new URL('./run-worker.ts', import.meta.url), { workerData: spec });
  const result = new Promise<RunResult>((resolve, reject) => {
    let done: RunResult | null = null;
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'progress') onProgress?.(message.line);
      else done = message.result;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (done !== null) resolve(done);
      else reject(new Error(`the ${spec.variant} run stopped (exit code ${code}) without a result`));
    });
  });
  return { worker, result };
}
