/**
 * Incident replay protocol v1: what Airlock sends a candidate agent at each step of a recorded
 * incident (the context the original agent received, and the candidate's own history), and the
 * answer it expects back (zero or more proposals, as agents send them to `POST /v1/actions`).
 */

import { z } from 'zod';
import type { Target } from '../domain/action.ts';
import type { DecisionEffect } from '../domain/decision.ts';
import type { JsonObject } from '../domain/json.ts';
import { mainReasons, type StepAnswer } from './incident-report.ts';

export const INCIDENT_REPLAY_PROTOCOL = 'airlock.incident-replay/v1';

/** The most proposals one answer may carry; more is a bad answer. */
export const MAX_PROPOSALS_PER_STEP = 50;

/** One step's request body, POSTed to the candidate's URL. */
export interface StepRequest {
  readonly protocol: typeof INCIDENT_REPLAY_PROTOCOL;
  readonly incident: string;
  /** 1-based, in the order the original actions were created. */
  readonly step: number;
  readonly steps: number;
  /** The environment the original agent acted in at this step. */
  readonly environment: string;
  /** The context (alerts, metrics, links) the original agent sent with its proposal; null if none. */
  readonly context: JsonObject | null;
  /** What the candidate proposed at every earlier step and how Airlock decided each. */
  readonly history: readonly HistoryEntry[];
}

/** An earlier step as the candidate sees it: its own proposals and their decisions, or the error. */
export type HistoryEntry =
  | { readonly step: number; readonly actions: readonly HistoryAction[] }
  | { readonly step: number; readonly error: string };

export type HistoryAction =
  | {
      readonly type: string;
      readonly environment: string;
      readonly targets: readonly Target[];
      readonly params: JsonObject;
      readonly decision: { readonly effect: DecisionEffect; readonly reasons: readonly string[] };
    }
  | {
      readonly type: string | null;
      readonly environment: string | null;
      readonly rejected: {
        readonly code: string;
        readonly message: string;
        readonly details: readonly string[];
      };
    };

/**
 * The answer: `{"actions": [ …proposal bodies… ]}`. Each proposal is checked on its own later
 * (like `POST /v1/actions` would); other top-level fields are ignored, for later versions.
 */
export const stepAnswerSchema = z.looseObject({
  actions: z.array(z.unknown()).max(MAX_PROPOSALS_PER_STEP),
});

/** The history entry of one answered (or failed) step. */
export function historyEntry(step: number, answer: StepAnswer): HistoryEntry {
  if (answer.kind === 'error') return { step, error: answer.error };
  const actions = answer.proposals.map((outcome): HistoryAction => {
    if (outcome.kind === 'rejected') {
      return {
        type: outcome.type,
        environment: outcome.environment,
        rejected: { code: outcome.code, message: outcome.message, details: outcome.details },
      };
    }
    const { request, decision } = outcome;
    return {
      type: request.type,
      environment: request.environment,
      targets: request.targets,
      params: request.params,
      decision: { effect: decision.effect, reasons: mainReasons(decision) },
    };
  });
  return { step, actions };
}
