/** The closed set of error codes Airlock answers with, and the error class that carries one. */

export const ERROR_CODES = {
  bad_request: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  /** A person who may not vote on this approval (not in the step's group, the agent's owner, …). */
  not_eligible: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_conflict: 409,
  conflict: 409,
  /** The approval was already resolved (approved, denied, expired or revised). */
  approval_closed: 409,
  already_voted: 409,
  /** A vote for a request hash that is not the action's: the approver saw something else. */
  request_changed: 409,
  /** A permit that is not valid for this action (bad signature, another action, other params). */
  permit_invalid: 403,
  /** The permit's outcome was reported already: a permit is good for one report. */
  permit_used: 409,
  /** The permit expired before the outcome was reported; the action is `unknown`. */
  permit_expired: 409,
  /** The action is not in a state that allows this (e.g. an outcome for an action Airlock executes). */
  invalid_state: 409,
  /** A promotion whose criteria the evidence does not meet (an admin may override, recorded). */
  criteria_not_met: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  unknown_action_type: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem with an input: where (a field path, or file:line) and what. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export class AirlockError extends Error {
  override readonly name = 'AirlockError';
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(
    code: ErrorCode,
    message: string,
    details: readonly ErrorDetail[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}
