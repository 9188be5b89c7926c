/**
 * Running a replay over the store: recorded decisions page by page, newest first, each replayed
 * with the candidate and added to the report; the evidence a calibration refit needs is read once
 * per agent. The I/O around the pure replayDecision.
 */

import { glob } from '../policy/glob.ts';
import type { StoreReader } from '../store/store.ts';
import { fitScopeCurve } from '../trust/calibration.ts';
import type { EvidenceRecord } from '../trust/evidence.ts';
import { needsRefit, type Refit } from './candidate-trust.ts';
import { readFacts } from './recorded-facts.ts';
import { type Candidate, replayDecision } from './replay-decision.ts';
import { type ReplayReport, ReportBuilder, type ReportContext } from './replay-report.ts';

/** Which recorded decisions to replay; absent fields do not restrict. */
export interface ReplaySelection {
  /** ISO times: decided at or after `since`, before `until`. */
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly agentId?: string | undefined;
  /** An action type, or a glob over types such as `service.*`. */
  readonly type?: string | undefined;
  readonly environment?: string | undefined;
  /** At most this many, the newest. */
  readonly limit?: number | undefined;
}

export interface ReplayRun {
  readonly store: Pick<StoreReader, 'listActions' | 'listEvidence'>;
  readonly candidate: Candidate;
  readonly selection: ReplaySelection;
  readonly context: ReportContext;
  /** Decisions read per query (default 2,000). */
  readonly pageSize?: number;
  /** Told how many decisions were replayed so far, after each `progressEvery` and whenever a second has passed. */
  readonly onProgress?: (replayed: number) => void;
  /** Default 10,000. */
  readonly progressEvery?: number;
}

const PAGE_SIZE = 2_000;
const PROGRESS_MS = 1_000;
const PROGRESS_EVERY = 10_000;
/** An agent's evidence read for refits: the newest this many. */
const MAX_EVIDENCE = 1_000_000;

/**
 * Replay the selected decisions with the candidate and report what would change.
 *
 * @example
 * const report = await runReplay({ store, candidate, selection: { since }, context });
 * report.totals.stricter;
 */
export async function runReplay(run: ReplayRun): Promise<ReplayReport> {
  const { store, candidate, selection } = run;
  const pageSize = run.pageSize ?? PAGE_SIZE;
  const report = new ReportBuilder(run.context, candidate.trust === null);
  const evidence = new EvidenceAtHand(store, candidate.trust?.window ?? 0, selection.since);
  const typeGlob = selection.type?.includes('*') === true ? glob(selection.type) : null;
  const wanted = selection.limit ?? Number.POSITIVE_INFINITY;
  const every = run.progressEvery ?? PROGRESS_EVERY;
  let replayed = 0;
  let lastProgress = Date.now();
  let before: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.listActions({
      agentId: selection.agentId,
      type: typeGlob === null ? selection.type : undefined,
      environment: selection.environment,
      since: selection.since,
      until: selection.until,
      before,
      limit: typeGlob === null ? Math.min(pageSize, wanted - replayed) : pageSize,
    });
    const selected = typeGlob === null ? page : page.filter((a) => typeGlob.matches(a.type));
    const batch = selected.slice(0, wanted - replayed);
    if (candidate.trust !== null) await evidence.load(batch, candidate);
    for (const action of batch) report.add(replayDecision(action, candidate, evidence.refit));
    const step = Math.floor((replayed + batch.length) / every) > Math.floor(replayed / every);
    replayed += batch.length;
    if (run.onProgress !== undefined && (step || Date.now() - lastProgress >= PROGRESS_MS)) {
      lastProgress = Date.now();
      run.onProgress(replayed);
    }
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize || replayed >= wanted) break;
    before = { createdAt: last.createdAt, id: last.id };
  }
  return report.build();
}

/** Agents' evidence, read once per agent when some decision of theirs needs its calibration refitted. */
class EvidenceAtHand {
  readonly #store: Pick<StoreReader, 'listEvidence'>;
  readonly #since: string | undefined;
  readonly #agents = new Map<string, readonly EvidenceRecord[]>();

  constructor(store: Pick<StoreReader, 'listEvidence'>, window: number, since: string | undefined) {
    this.#store = store;
    this.#since = since === undefined ? undefined : new Date(Date.parse(since) - window).toISOString();
  }

  async load(
    actions: readonly { readonly agentId: string; readonly facts: unknown }[],
    candidate: Candidate,
  ) {
    for (const action of actions) {
      if (this.#agents.has(action.agentId)) continue;
      const facts = readFacts(action.facts);
      if (typeof facts === 'string' || !needsRefit(facts, candidate.trust)) continue;
      const rows = await this.#store.listEvidence({
        agentId: action.agentId,
        since: this.#since,
        limit: MAX_EVIDENCE,
      });
      this.#agents.set(action.agentId, rows);
    }
  }

  /**
   * The curve from the agent's evidence in the window before the decision, as the gateway saw it
   * then (evidence of the very same millisecond is taken as recorded after it).
   */
  readonly refit: Refit = (agentId, scope, at, minEvidence, window) => {
    const rows = this.#agents.get(agentId);
    if (rows === undefined) return null;
    const from = new Date(Date.parse(at) - window).toISOString();
    return fitScopeCurve(
      rows.filter((e) => e.at >= from && e.at < at),
      scope,
      minEvidence,
    );
  };
}
