/** An action: one proposal by one agent, and the statuses it moves through. */

import type { JsonObject, JsonValue } from './json.ts';

export interface Target {
  readonly id: string;
  readonly [attribute: string]: JsonValue;
}

/** A proposal after validation: absent optional fields are `null`, never missing. */
export interface ActionRequest {
  readonly type: string;
  readonly environment: string;
  readonly targets: readonly Target[];
  readonly params: JsonObject;
  readonly confidence: number | null;
  readonly anomalyScore: number | null;
  readonly reasoning: string | null;
  readonly context: JsonObject | null;
  readonly incident: string | null;
}

export const ACTION_STATUSES = [
  'advised',
  'pending_approval',
  'denied',
  'expired',
  'approved',
  'executing',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
