/**
 * The replay report, built one outcome at a time (nothing per decision is kept but a few ids):
 * how many decisions came out unchanged, stricter or looser, by transition, per rule and limit,
 * with examples, unrecorded counters and skipped decisions. Pure; rendered by report-markdown.ts.
 */

import type { Decision, DecisionEffect, Reason } from '../domain/decision.ts';
import { type Change, changeOf } from './compare.ts';
import { type ReplayOutcome, sameDecision } from './replay-decision.ts';

/** How many action ids a report keeps per rule, limit, reason or check. */
const IDS_KEPT = 5;

export interface ReportContext {
  /** The candidate: its bundle hash, and where it and the trust settings came from (null: the project's). */
  readonly candidate: {
    readonly bundle: string;
    readonly policies: string | null;
    readonly trust: string | null;
  };
  /** The selection replayed, as given (absent: not restricted). */
  readonly filter: Readonly<Record<string, string>>;
  /** Examples kept per kind of change. */
  readonly examples: number;
}

export interface Counted {
  readonly decisions: number;
  /** The newest few of them. */
  readonly actions: readonly string[];
}

export interface Example {
  readonly action: string;
  readonly agent: string;
  readonly type: string;
  readonly environment: string;
  readonly at: string;
  readonly before: DecisionEffect;
  readonly after: DecisionEffect;
  readonly level: { readonly before: number; readonly after: number };
  /** Rules (and `limit:` exceeded limits) the candidate newly matches / no longer matches. */
  readonly newlyMatched: readonly string[];
  readonly noLongerMatched: readonly string[];
  /**
   * Failed level caps, freezes, suspensions and revisions the new decision cites and the recorded
   * one did not / the other way round (a decision that stops early cites fewer).
   */
  readonly nowBlocking: readonly string[];
  readonly noLongerBlocking: readonly string[];
  readonly recordedBundle: string;
}

export interface ReplayReport {
  readonly candidate: ReportContext['candidate'];
  readonly filter: ReportContext['filter'];
  readonly totals: {
    readonly replayed: number;
    readonly unchanged: number;
    readonly stricter: number;
    readonly looser: number;
    /** Unchanged effect, but other rules or limits matched. */
    readonly sameEffectDifferentRules: number;
    readonly skipped: number;
  };
  /** The bundles the decisions were recorded under, most decisions first. */
  readonly recordedBundles: readonly { readonly bundle: string; readonly decisions: number }[];
  /**
   * Decisions recorded under the candidate bundle, replayed without candidate trust: each must come
   * out exactly as recorded. null when trust settings were given (then changes are expected).
   */
  readonly selfCheck: { readonly decisions: number; readonly differing: Counted } | null;
  readonly transitions: readonly {
    readonly from: DecisionEffect;
    readonly to: DecisionEffect;
    readonly change: Change;
    readonly decisions: number;
  }[];
  readonly rules: readonly {
    readonly name: string;
    readonly newlyMatched: Counted;
    readonly noLongerMatched: Counted;
  }[];
  /** Decisions touching a candidate limit whose counters were never recorded (counted as exceeded). */
  readonly unrecordedCounters: {
    readonly decisions: number;
    /** Of them, stricter only because such a limit counts as exceeded. */
    readonly stricterBecauseOfThem: number;
    readonly limits: readonly { readonly limit: string; readonly decisions: number }[];
    readonly actions: readonly string[];
  };
  readonly examples: {
    readonly stricter: readonly Example[];
    readonly looser: readonly Example[];
    readonly sameEffectDifferentRules: readonly Example[];
  };
  readonly skipped: readonly {
    readonly reason: string;
    readonly decisions: number;
    readonly actions: readonly string[];
  }[];
}

class Tally {
  decisions = 0;
  readonly actions: string[] = [];

  add(id: string): void {
    this.decisions += 1;
    if (this.actions.length < IDS_KEPT) this.actions.push(id);
  }

  get value(): Counted {
    return { decisions: this.decisions, actions: this.actions };
  }
}

/**
 * Collects replay outcomes into a report.
 *
 * @example
 * const report = new ReportBuilder(context);
 * for (const action of actions) report.add(replayDecision(action, candidate));
 * renderMarkdown(report.build());
 */
export class ReportBuilder {
  readonly #context: ReportContext;
  readonly #selfChecking: boolean;
  readonly #totals = {
    replayed: 0,
    unchanged: 0,
    stricter: 0,
    looser: 0,
    sameEffectDifferentRules: 0,
    skipped: 0,
  };
  readonly #bundles = new Map<string, number>();
  readonly #self = { decisions: 0, differing: new Tally() };
  readonly #transitions = new Map<string, number>();
  readonly #rules = new Map<string, { newly: Tally; stops: Tally }>();
  readonly #unrecorded = {
    decisions: 0,
    stricter: 0,
    actions: [] as string[],
    limits: new Map<string, number>(),
  };
  readonly #examples = {
    stricter: [] as Example[],
    looser: [] as Example[],
    sameEffectDifferentRules: [] as Example[],
  };
  readonly #skipped = new Map<string, Tally>();

  /** `selfChecking`: no candidate trust, so decisions under the candidate bundle must not change. */
  constructor(context: ReportContext, selfChecking: boolean) {
    this.#context = context;
    this.#selfChecking = selfChecking;
  }

  add(outcome: ReplayOutcome): void {
    const { recorded } = outcome;
    if (outcome.kind === 'skipped') {
      this.#totals.skipped += 1;
      const tally = this.#skipped.get(outcome.reason) ?? new Tally();
      this.#skipped.set(outcome.reason, tally);
      tally.add(recorded.id);
      return;
    }
    const { before, after, diff } = outcome;
    this.#totals.replayed += 1;
    this.#totals[diff.change] += 1;
    this.#bundles.set(before.policyVersion, (this.#bundles.get(before.policyVersion) ?? 0) + 1);
    if (this.#selfChecking && before.policyVersion === this.#context.candidate.bundle) {
      this.#self.decisions += 1;
      if (!sameDecision(before, after)) this.#self.differing.add(recorded.id);
    }
    const rulesDiffer = diff.newlyMatched.length > 0 || diff.noLongerMatched.length > 0;
    if (diff.change !== 'unchanged') {
      const key = `${diff.before}\u0000${diff.after}`;
      this.#transitions.set(key, (this.#transitions.get(key) ?? 0) + 1);
    } else if (rulesDiffer) this.#totals.sameEffectDifferentRules += 1;
    for (const name of diff.newlyMatched) this.#rule(name).newly.add(recorded.id);
    for (const name of diff.noLongerMatched) this.#rule(name).stops.add(recorded.id);
    if (outcome.unrecorded.length > 0) {
      const u = this.#unrecorded;
      u.decisions += 1;
      if (outcome.restsOnUnrecorded) u.stricter += 1;
      if (u.actions.length < IDS_KEPT) u.actions.push(recorded.id);
      for (const limit of outcome.unrecorded) u.limits.set(limit, (u.limits.get(limit) ?? 0) + 1);
    }
    const examples =
      diff.change === 'stricter'
        ? this.#examples.stricter
        : diff.change === 'looser'
          ? this.#examples.looser
          : rulesDiffer
            ? this.#examples.sameEffectDifferentRules
            : null;
    if (examples !== null && examples.length < this.#context.examples) examples.push(example(outcome));
  }

  #rule(name: string): { newly: Tally; stops: Tally } {
    const entry = this.#rules.get(name) ?? { newly: new Tally(), stops: new Tally() };
    this.#rules.set(name, entry);
    return entry;
  }

  build(): ReplayReport {
    const { candidate, filter } = this.#context;
    return {
      candidate,
      filter,
      totals: { ...this.#totals },
      recordedBundles: [...this.#bundles]
        .map(([bundle, decisions]) => ({ bundle, decisions }))
        .sort((a, b) => b.decisions - a.decisions || a.bundle.localeCompare(b.bundle)),
      selfCheck: this.#selfChecking
        ? { decisions: this.#self.decisions, differing: this.#self.differing.value }
        : null,
      transitions: [...this.#transitions]
        .map(([key, decisions]) => {
          const [from, to] = key.split('\u0000') as [DecisionEffect, DecisionEffect];
          return { from, to, change: changeOf(from, to), decisions };
        })
        .sort((a, b) => b.decisions - a.decisions || `${a.from}${a.to}`.localeCompare(`${b.from}${b.to}`)),
      rules: [...this.#rules]
        .map(([name, { newly, stops }]) => ({
          name,
          newlyMatched: newly.value,
          noLongerMatched: stops.value,
        }))
        .sort(
          (a, b) =>
            b.newlyMatched.decisions +
              b.noLongerMatched.decisions -
              (a.newlyMatched.decisions + a.noLongerMatched.decisions) || a.name.localeCompare(b.name),
        ),
      unrecordedCounters: {
        decisions: this.#unrecorded.decisions,
        stricterBecauseOfThem: this.#unrecorded.stricter,
        limits: [...this.#unrecorded.limits]
          .map(([limit, decisions]) => ({ limit, decisions }))
          .sort((a, b) => b.decisions - a.decisions || a.limit.localeCompare(b.limit)),
        actions: this.#unrecorded.actions,
      },
      examples: this.#examples,
      skipped: [...this.#skipped]
        .map(([reason, tally]) => ({ reason, ...tally.value }))
        .sort((a, b) => b.decisions - a.decisions || a.reason.localeCompare(b.reason)),
    };
  }
}

function example(outcome: Extract<ReplayOutcome, { kind: 'replayed' }>): Example {
  const { recorded, before, after, diff } = outcome;
  const was = blocking(before);
  const now = blocking(after);
  return {
    action: recorded.id,
    agent: recorded.agentId,
    type: recorded.type,
    environment: recorded.environment,
    at: recorded.createdAt,
    before: before.effect,
    after: after.effect,
    level: { before: before.trustLevel, after: after.trustLevel },
    newlyMatched: diff.newlyMatched,
    noLongerMatched: diff.noLongerMatched,
    nowBlocking: [...now].filter(([key]) => !was.has(key)).map(([, message]) => message),
    noLongerBlocking: [...was].filter(([key]) => !now.has(key)).map(([, message]) => message),
    recordedBundle: before.policyVersion,
  };
}

/** What held a decision back besides rules and limits (failed caps, a freeze, …), by kind and code. */
function blocking(decision: Decision): Map<string, string> {
  const found = new Map<string, string>();
  for (const reason of decision.reasons as readonly Reason[]) {
    if (reason.kind === 'cap' && !reason.passed) found.set(`cap:${reason.code}`, reason.message);
    else if (reason.kind === 'frozen' || reason.kind === 'agent_suspended' || reason.kind === 'revision')
      found.set(reason.kind, reason.message);
  }
  return found;
}
