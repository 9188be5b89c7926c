/** Agents, their trust per scope (evidence, calibration, next promotion) and freezes, as the API sends them. */

import type { Level } from './types.ts';

export interface Agent {
  readonly id: string;
  readonly owner: string;
  readonly status: 'active' | 'suspended';
  readonly description: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Rate {
  readonly successes: number;
  readonly trials: number;
  readonly rate: number | null;
  readonly lower: number | null;
}

export interface CalibrationBin {
  readonly bin: number;
  readonly from: number;
  readonly to: number;
  readonly meanConfidence: number | null;
  readonly observedRate: number | null;
  readonly count: number;
}

export interface Metrics {
  readonly since: string;
  readonly until: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly atLevel: {
    readonly level: Level;
    readonly evidence: number;
    readonly approved: number;
    readonly succeeded: number;
  };
  readonly success: Rate;
  readonly agreement: Rate;
  readonly rollbacks: number;
  readonly lastRollbackAt: string | null;
  readonly lastIncidentAt: string | null;
  readonly calibration: {
    readonly n: number;
    readonly brier: number | null;
    readonly ece: number | null;
    readonly table: readonly CalibrationBin[];
  };
}

export interface PromotionCheck {
  readonly from: Level;
  readonly to: Level;
  readonly qualifies: boolean;
  readonly criteria: readonly {
    readonly criterion: string;
    readonly passed: boolean;
    readonly observed: number | null;
    readonly required: number;
    readonly message: string;
  }[];
}

export interface ScopeTrust {
  readonly scope: string;
  readonly typePattern: string;
  readonly environment: string;
  readonly level: Level;
  readonly effective: Level;
  readonly grantedBy: string | null;
  readonly reason: string | null;
  readonly grantedAt: string | null;
  readonly levelSince: string | null;
  readonly capped: boolean;
  readonly metrics: Metrics;
  readonly next: PromotionCheck | null;
}

export interface Trust {
  readonly agent: string;
  readonly ceiling: Level;
  readonly scopes: readonly ScopeTrust[];
}

export interface SetTrustResult {
  readonly scope: string;
  readonly from: Level;
  readonly to: Level;
  readonly promotion?: { readonly override: boolean; readonly checks: readonly PromotionCheck[] };
}

export interface Freeze {
  readonly scope: string;
  readonly reason: string;
  readonly frozenBy: string;
  readonly frozenAt: string;
}

export interface FreezeList {
  readonly freezes: readonly Freeze[];
  readonly calendar: readonly {
    readonly from: string;
    readonly to: string;
    readonly environments?: readonly string[];
    readonly reason: string;
  }[];
}
