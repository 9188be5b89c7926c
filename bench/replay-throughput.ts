/**
 * Measures `airlock replay`'s throughput: recorded decisions in a real SQLite store, re-read page
 * by page and decided again with a candidate bundle that changes some of them.
 */

import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPolicyBundle, loadProject } from '../src/project/project-loader.ts';
import { runReplay } from '../src/replay/replay-runner.ts';
import { openStore } from '../src/store/open-store.ts';
import { HISTORY_LIMITS, writeHistory } from './recorded-history.ts';
import { tempProject } from './temp-project.ts';

export interface ReplayOptions {
  readonly decisions: number;
}

export const REPLAY_DEFAULTS: ReplayOptions = { decisions: 100_000 };

export interface ReplayResult {
  readonly decisions: number;
  /** Writing the history (not part of the measure). */
  readonly writeSeconds: number;
  /** Replaying every decision with the candidate, reading included. */
  readonly replaySeconds: number;
  readonly decisionsPerSec: number;
  /** Of that, reading the pages from the store alone (a second pass, no deciding). */
  readonly readSeconds: number;
  readonly totals: {
    readonly unchanged: number;
    readonly stricter: number;
    readonly looser: number;
    readonly skipped: number;
  };
  readonly unrecorded: number;
}

/** The candidate: restarts' rate lowered from 5 to 3, the many-targets rule dropped, flag changes in production denied, a new limit. */
const CANDIDATE_RULES = `rules:
  - name: no-production-flags
    match: { types: [feature_flag.set], environments: [production] }
    effect: deny
    reason: flags in production change through the release train
`;
const NEW_LIMIT = `  - name: scale-changes-in-flight
    match: { types: [deployment.scale] }
    inFlight: { max: 2, by: [environment] }
    effect: escalate
    reason: at most two scale changes at once per environment
`;

export async function runReplayThroughput(
  progress: (line: string) => void = () => {},
  options: ReplayOptions = REPLAY_DEFAULTS,
): Promise<ReplayResult> {
  const project = await tempProject({ 'policies/limits.yaml': HISTORY_LIMITS });
  try {
    const loaded = await loadProject(project.configPath);
    if (!loaded.ok) throw new Error(`the bench project does not load: ${JSON.stringify(loaded.problems[0])}`);
    const recorded = loaded.value;
    const candidateDir = path.join(project.dir, 'policies-next');
    await cp(path.join(project.dir, 'policies'), candidateDir, { recursive: true });
    const guardrails = path.join(candidateDir, 'guardrails.yaml');
    const text = await readFile(guardrails, 'utf8');
    const start = text.indexOf('  - name: no-restarts-of-many-production-targets');
    const end = text.indexOf('  - name: migrations-in-change-window');
    await writeFile(guardrails, text.slice(0, start) + text.slice(end));
    await writeFile(path.join(candidateDir, 'flags.yaml'), CANDIDATE_RULES);
    await writeFile(
      path.join(candidateDir, 'limits.yaml'),
      HISTORY_LIMITS.replace('count: 5', 'count: 3') + NEW_LIMIT,
    );
    const candidate = await loadPolicyBundle(recorded, [candidateDir]);
    if (!candidate.ok)
      throw new Error(`the candidate does not load: ${JSON.stringify(candidate.problems[0])}`);

    await mkdir(path.dirname(project.dbPath), { recursive: true });
    const store = await openStore(recorded.storageUrl);
    try {
      progress(`replay: writing ${options.decisions.toLocaleString('en-US')} recorded decisions…`);
      let started = performance.now();
      await writeHistory(store, recorded, options.decisions, progress);
      const writeSeconds = (performance.now() - started) / 1e3;

      progress('replay: replaying with the candidate…');
      started = performance.now();
      const report = await runReplay({
        store,
        candidate: { bundle: candidate.value, trust: null, inventory: recorded.inventory },
        selection: {},
        context: {
          candidate: { bundle: candidate.value.hash, policies: candidateDir, trust: null },
          filter: {},
          examples: 3,
        },
        onProgress: (n) => progress(`replay: replayed ${n.toLocaleString('en-US')} decisions…`),
      });
      const replaySeconds = (performance.now() - started) / 1e3;
      if (report.totals.replayed !== options.decisions)
        throw new Error(`replayed ${report.totals.replayed} of ${options.decisions} decisions`);

      started = performance.now();
      let before: { createdAt: string; id: string } | undefined;
      for (;;) {
        const page = await store.listActions({ before, limit: 2_000 });
        const last = page.at(-1);
        if (last === undefined || page.length < 2_000) break;
        before = { createdAt: last.createdAt, id: last.id };
      }
      const readSeconds = (performance.now() - started) / 1e3;
      const { unchanged, stricter, looser, skipped } = report.totals;
      return {
        decisions: options.decisions,
        writeSeconds,
        replaySeconds,
        decisionsPerSec: options.decisions / replaySeconds,
        readSeconds,
        totals: { unchanged, stricter, looser, skipped },
        unrecorded: report.unrecordedCounters.decisions,
      };
    } finally {
      await store.close();
    }
  } finally {
    await project.remove();
  }
}
