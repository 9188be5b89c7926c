/** A compiled policy bundle: rules ready to evaluate and limits ready to count, identified by the hash of their files. */

import type { Effect, LimitEffect } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import type { TrustLevel } from '../domain/levels.ts';
import type { Glob } from './glob.ts';
import type { LimitDimension } from './limit-schema.ts';
import type { MatchSpec } from './policy-schema.ts';

/** What a rule's CEL condition sees. */
export interface PolicyInput {
  readonly request: JsonObject;
  readonly action: JsonObject;
  readonly agent: JsonObject;
  readonly environment: JsonObject;
  readonly level: TrustLevel;
  readonly now: Date;
}

/**
 * A compiled condition. `evaluate` takes the activation built once per decision from a
 * PolicyInput (see `celActivation`), and throws when the expression cannot be evaluated on it.
 */
export interface Condition {
  evaluate(activation: Readonly<Record<string, unknown>>): unknown;
}

export interface CompiledRule {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly effect: Effect;
  readonly reason: string;
  readonly description: string | null;
  /** The match as declared in the file (`types` and `environments` below are compiled from it). */
  readonly match: MatchSpec;
  /** The approval route an escalate rule names, or null for the owner's default. */
  readonly route: string | null;
  /** null: every action type. */
  readonly types: readonly Glob[] | null;
  /** null: every environment. */
  readonly environments: ReadonlySet<string> | null;
  readonly when: string | null;
  readonly condition: Condition | null;
}

/** What a limit bounds, with its numbers in the units the checks use (windows in ms, shares 0..1). */
export type LimitCheck =
  | {
      readonly kind: 'rate';
      readonly count: number;
      readonly window: number;
      readonly by: readonly LimitDimension[];
    }
  | { readonly kind: 'in_flight'; readonly max: number; readonly by: readonly LimitDimension[] }
  | { readonly kind: 'targets'; readonly max: number }
  | { readonly kind: 'fraction'; readonly max: number };

export interface CompiledLimit {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly effect: LimitEffect;
  readonly reason: string;
  readonly description: string | null;
  /** The match as declared in the file (`types` and `environments` below are compiled from it). */
  readonly match: MatchSpec;
  /** null: every action type. */
  readonly types: readonly Glob[] | null;
  /** null: every environment. */
  readonly environments: ReadonlySet<string> | null;
  readonly check: LimitCheck;
}

export interface PolicyFile {
  /** Path relative to the project directory. */
  readonly path: string;
  readonly sha256: string;
}

export interface PolicyBundle {
  /** `sha256:` + hex digest over the files and the default effect. */
  readonly hash: string;
  readonly defaultEffect: Effect;
  readonly rules: readonly CompiledRule[];
  readonly limits: readonly CompiledLimit[];
  readonly files: readonly PolicyFile[];
}
