/** The policy bundle in force, the shadow bundle's report and the latest replay, as the API sends them. */

import type { DecisionEffect, Effect, Reason } from './types.ts';

export interface PolicyMatch {
  readonly types?: readonly string[];
  readonly environments?: readonly string[];
}

export interface PolicyRule {
  readonly name: string;
  readonly file: string;
  readonly line: number | null;
  readonly description: string | null;
  readonly match: PolicyMatch;
  readonly reason: string;
  readonly effect: Effect;
  readonly when: string | null;
  readonly route: string | null;
}

export type LimitCheck =
  | {
      readonly kind: 'rate';
      readonly count: number;
      readonly windowMs: number;
      readonly by: readonly string[];
    }
  | { readonly kind: 'in_flight'; readonly max: number; readonly by: readonly string[] }
  | { readonly kind: 'targets'; readonly max: number }
  | { readonly kind: 'fraction'; readonly max: number };

export interface PolicyLimit {
  readonly name: string;
  readonly file: string;
  readonly line: number | null;
  readonly description: string | null;
  readonly match: PolicyMatch;
  readonly reason: string;
  readonly effect: 'escalate' | 'deny';
  readonly check: LimitCheck;
}

export interface Policy {
  readonly hash: string;
  readonly defaultEffect: Effect;
  readonly loadedAt: string | null;
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  /** The shadow bundle loaded beside it, if any. */
  readonly shadow: string | null;
  readonly rules: readonly PolicyRule[];
  readonly limits: readonly PolicyLimit[];
}

export interface ShadowBundle {
  readonly hash: string;
  readonly contentHash: string;
  readonly rules: number;
  readonly limits: number;
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

export interface ShadowDecision {
  readonly actionId: string;
  readonly agentId: string;
  readonly type: string;
  readonly environment: string;
  readonly liveBundle: string;
  readonly shadowBundle: string;
  readonly liveEffect: DecisionEffect;
  readonly shadowEffect: DecisionEffect;
  readonly change: 'stricter' | 'looser';
  readonly reasons: readonly Reason[];
  readonly rules: {
    readonly newlyMatched: readonly string[];
    readonly noLongerMatched: readonly string[];
    readonly effectChanged: readonly {
      readonly rule: string;
      readonly live: Effect;
      readonly shadow: Effect;
    }[];
  };
  readonly createdAt: string;
}

export interface ShadowReport {
  readonly live: ShadowBundle;
  readonly shadow: (ShadowBundle & { readonly sameAsLive: boolean }) | null;
  readonly filter: { readonly shadowBundle: string | null; readonly since: string | null };
  readonly disagreements: number;
  readonly transitions: readonly {
    readonly live: DecisionEffect;
    readonly shadow: DecisionEffect;
    readonly change: 'stricter' | 'looser';
    readonly count: number;
  }[];
  readonly rules: readonly {
    readonly rule: string;
    readonly newlyMatched: number;
    readonly noLongerMatched: number;
    readonly effectChanged: number;
  }[];
  readonly latest: readonly ShadowDecision[];
}

export interface Counted {
  readonly decisions: number;
  readonly actions: readonly string[];
}

export interface ReplayExample {
  readonly action: string;
  readonly agent: string;
  readonly type: string;
  readonly environment: string;
  readonly at: string;
  readonly before: DecisionEffect;
  readonly after: DecisionEffect;
  readonly level: { readonly before: number; readonly after: number };
  readonly newlyMatched: readonly string[];
  readonly noLongerMatched: readonly string[];
  readonly nowBlocking: readonly string[];
  readonly noLongerBlocking: readonly string[];
  readonly recordedBundle: string;
}

export interface ReplayReport {
  readonly candidate: {
    readonly bundle: string;
    readonly policies: string | null;
    readonly trust: string | null;
  };
  readonly filter: Readonly<Record<string, string>>;
  readonly totals: {
    readonly replayed: number;
    readonly unchanged: number;
    readonly stricter: number;
    readonly looser: number;
    readonly sameEffectDifferentRules: number;
    readonly skipped: number;
  };
  readonly recordedBundles: readonly { readonly bundle: string; readonly decisions: number }[];
  readonly selfCheck: { readonly decisions: number; readonly differing: Counted } | null;
  readonly transitions: readonly {
    readonly from: DecisionEffect;
    readonly to: DecisionEffect;
    readonly change: 'stricter' | 'looser' | 'unchanged';
    readonly decisions: number;
  }[];
  readonly rules: readonly {
    readonly name: string;
    readonly newlyMatched: Counted;
    readonly noLongerMatched: Counted;
  }[];
  readonly examples: {
    readonly stricter: readonly ReplayExample[];
    readonly looser: readonly ReplayExample[];
    readonly sameEffectDifferentRules: readonly ReplayExample[];
  };
  readonly unrecordedCounters: {
    readonly decisions: number;
    readonly stricterBecauseOfThem: number;
    readonly limits: readonly { readonly limit: string; readonly decisions: number }[];
    readonly actions: readonly string[];
  };
  readonly skipped: readonly {
    readonly reason: string;
    readonly decisions: number;
    readonly actions: readonly string[];
  }[];
}

/** The last replay run against this store. */
export interface LatestReplay {
  readonly at: string;
  /** The candidate in words. */
  readonly description: string;
  readonly report: ReplayReport;
}
