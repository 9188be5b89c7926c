/**
 * The API's errors as classes: `AirlockApiError` carries the envelope
 * `{"error": {code, message, details, requestId}}` and the HTTP status, and each error code has its
 * own subclass, so callers branch with `instanceof` or on the typed `code`.
 */

import { AirlockSdkError } from './errors.ts';
import type { ErrorCode, ErrorDetail } from './types.ts';

/**
 * What an error answer carried, as `AirlockApiError` takes it.
 *
 * @example
 * ```ts
 * const init: ApiErrorInit = { status: 404, code: 'not_found', message: 'no action act_1', details: [], requestId: 'r-1' };
 * ```
 */
export interface ApiErrorInit {
  readonly status: number;
  /** One of `ErrorCode`, or a code a newer server knows and this SDK does not. */
  readonly code: string;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
  readonly requestId: string | null;
}

/**
 * An error Airlock answered with. Each code of the closed set has a subclass (`NotFoundError`,
 * `ValidationFailedError`, …) whose `code` is typed; a code this SDK does not know yet arrives
 * as a plain `AirlockApiError`.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose({ type: 'service.restart', environment: 'staging', targets: [] });
 * } catch (error) {
 *   if (error instanceof AirlockApiError && error.code === 'validation_failed')
 *     for (const d of error.details) console.error(`${d.path}: ${d.message}`);
 * }
 * ```
 */
export class AirlockApiError extends AirlockSdkError {
  override readonly name: string = 'AirlockApiError';
  /** The error code; a subclass narrows it to its own. */
  readonly code: ErrorCode | (string & {});
  /** The HTTP status. */
  readonly status: number;
  /** Field paths (or file:line) and what is wrong with each, for input errors. */
  readonly details: readonly ErrorDetail[];
  /** Matches the `x-request-id` header and the server's log line; null if the server sent none. */
  readonly requestId: string | null;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.details = init.details;
    this.requestId = init.requestId;
  }
}

/**
 * 400 `bad_request`: The request is not one Airlock can read (bad headers, a bad content length).
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof BadRequestError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class BadRequestError extends AirlockApiError {
  override readonly name = 'BadRequestError';
  override readonly code = 'bad_request';
}

/**
 * 400 `malformed_json`: The body is not valid JSON.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof MalformedJsonError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class MalformedJsonError extends AirlockApiError {
  override readonly name = 'MalformedJsonError';
  override readonly code = 'malformed_json';
}

/**
 * 401 `unauthorized`: No token, or a token Airlock does not know (revoked, mistyped).
 *
 * @example
 * ```ts
 * try {
 *   await client.catalog();
 * } catch (error) {
 *   if (error instanceof UnauthorizedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class UnauthorizedError extends AirlockApiError {
  override readonly name = 'UnauthorizedError';
  override readonly code = 'unauthorized';
}

/**
 * 403 `forbidden`: The caller may not do this: an agent on a route for people, a person proposing, ….
 *
 * @example
 * ```ts
 * try {
 *   await client.request('GET', '/v1/approvals');
 * } catch (error) {
 *   if (error instanceof ForbiddenError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class ForbiddenError extends AirlockApiError {
  override readonly name = 'ForbiddenError';
  override readonly code = 'forbidden';
}

/**
 * 403 `not_eligible`: A person who may not vote on this approval (not in the step's group, the agent's owner, …).
 *
 * @example
 * ```ts
 * try {
 *   await client.request('POST', `/v1/approvals/${id}/decisions`, { body: { verdict: 'approve' } });
 * } catch (error) {
 *   if (error instanceof NotEligibleError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class NotEligibleError extends AirlockApiError {
  override readonly name = 'NotEligibleError';
  override readonly code = 'not_eligible';
}

/**
 * 404 `not_found`: No such action visible to the caller (another agent's action is not found too), or no such route.
 *
 * @example
 * ```ts
 * try {
 *   await client.get('act_unknown');
 * } catch (error) {
 *   if (error instanceof NotFoundError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class NotFoundError extends AirlockApiError {
  override readonly name = 'NotFoundError';
  override readonly code = 'not_found';
}

/**
 * 405 `method_not_allowed`: The route does not take this method.
 *
 * @example
 * ```ts
 * try {
 *   await client.request('DELETE', '/v1/actions');
 * } catch (error) {
 *   if (error instanceof MethodNotAllowedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class MethodNotAllowedError extends AirlockApiError {
  override readonly name = 'MethodNotAllowedError';
  override readonly code = 'method_not_allowed';
}

/**
 * 409 `idempotency_conflict`: The `idempotencyKey` was used before with a different request.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose({ ...proposal, idempotencyKey: 'flush-1' });
 * } catch (error) {
 *   if (error instanceof IdempotencyConflictError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class IdempotencyConflictError extends AirlockApiError {
  override readonly name = 'IdempotencyConflictError';
  override readonly code = 'idempotency_conflict';
}

/**
 * 409 `conflict`: The change conflicts with the state it was made against; read again and retry.
 *
 * @example
 * ```ts
 * try {
 *   await client.request('POST', `/v1/actions/${id}/review`, { body: { verdict: 'agree' } });
 * } catch (error) {
 *   if (error instanceof ConflictError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class ConflictError extends AirlockApiError {
  override readonly name = 'ConflictError';
  override readonly code = 'conflict';
}

/**
 * 409 `approval_closed`: The approval was already resolved (approved, denied, expired or revised).
 *
 * @example
 * ```ts
 * try {
 *   await client.request('POST', `/v1/approvals/${id}/decisions`, { body: { verdict: 'approve' } });
 * } catch (error) {
 *   if (error instanceof ApprovalClosedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class ApprovalClosedError extends AirlockApiError {
  override readonly name = 'ApprovalClosedError';
  override readonly code = 'approval_closed';
}

/**
 * 409 `already_voted`: The person voted on this approval step already.
 *
 * @example
 * ```ts
 * try {
 *   await client.request('POST', `/v1/approvals/${id}/decisions`, { body: { verdict: 'approve' } });
 * } catch (error) {
 *   if (error instanceof AlreadyVotedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class AlreadyVotedError extends AirlockApiError {
  override readonly name = 'AlreadyVotedError';
  override readonly code = 'already_voted';
}

/**
 * 409 `request_changed`: A vote for a request hash that is not the action's: the approver saw something else.
 *
 * @example
 * ```ts
 * try {
 *   await client.request('POST', `/v1/approvals/${id}/decisions`, { body: { verdict: 'approve', requestHash } });
 * } catch (error) {
 *   if (error instanceof RequestChangedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class RequestChangedError extends AirlockApiError {
  override readonly name = 'RequestChangedError';
  override readonly code = 'request_changed';
}

/**
 * 403 `permit_invalid`: A permit that is not valid for this action (bad signature, another action, other params).
 *
 * @example
 * ```ts
 * try {
 *   await client.reportOutcome(id, { permit, outcome: 'succeeded' });
 * } catch (error) {
 *   if (error instanceof PermitInvalidError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class PermitInvalidError extends AirlockApiError {
  override readonly name = 'PermitInvalidError';
  override readonly code = 'permit_invalid';
}

/**
 * 409 `permit_used`: The permit's outcome was reported already: a permit is good for one report.
 *
 * @example
 * ```ts
 * try {
 *   await client.reportOutcome(id, { permit, outcome: 'succeeded' });
 * } catch (error) {
 *   if (error instanceof PermitUsedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class PermitUsedError extends AirlockApiError {
  override readonly name = 'PermitUsedError';
  override readonly code = 'permit_used';
}

/**
 * 409 `permit_expired`: The permit expired before the outcome was reported; the action is `unknown`.
 *
 * @example
 * ```ts
 * try {
 *   await client.reportOutcome(id, { permit, outcome: 'succeeded' });
 * } catch (error) {
 *   if (error instanceof PermitExpiredError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class PermitExpiredError extends AirlockApiError {
  override readonly name = 'PermitExpiredError';
  override readonly code = 'permit_expired';
}

/**
 * 409 `invalid_state`: The action is not in a state that allows this (e.g. an outcome for an action Airlock executes).
 *
 * @example
 * ```ts
 * try {
 *   await client.reportOutcome(id, { permit, outcome: 'succeeded' });
 * } catch (error) {
 *   if (error instanceof InvalidStateError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class InvalidStateError extends AirlockApiError {
  override readonly name = 'InvalidStateError';
  override readonly code = 'invalid_state';
}

/**
 * 409 `criteria_not_met`: A promotion whose criteria the evidence does not meet (an admin may override, recorded).
 *
 * @example
 * ```ts
 * try {
 *   await client.request('POST', `/v1/agents/${agent}/trust`, { body });
 * } catch (error) {
 *   if (error instanceof CriteriaNotMetError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class CriteriaNotMetError extends AirlockApiError {
  override readonly name = 'CriteriaNotMetError';
  override readonly code = 'criteria_not_met';
}

/**
 * 413 `payload_too_large`: The body is larger than the server's `bodyLimit`.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof PayloadTooLargeError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class PayloadTooLargeError extends AirlockApiError {
  override readonly name = 'PayloadTooLargeError';
  override readonly code = 'payload_too_large';
}

/**
 * 415 `unsupported_media_type`: The body is not `application/json`.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof UnsupportedMediaTypeError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class UnsupportedMediaTypeError extends AirlockApiError {
  override readonly name = 'UnsupportedMediaTypeError';
  override readonly code = 'unsupported_media_type';
}

/**
 * 422 `validation_failed`: The body or query does not fit: `details` names each field path and what is wrong.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof ValidationFailedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class ValidationFailedError extends AirlockApiError {
  override readonly name = 'ValidationFailedError';
  override readonly code = 'validation_failed';
}

/**
 * 422 `unknown_action_type`: The action type is not in the catalog in force.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose({ ...proposal, type: 'service.reboot' });
 * } catch (error) {
 *   if (error instanceof UnknownActionTypeError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class UnknownActionTypeError extends AirlockApiError {
  override readonly name = 'UnknownActionTypeError';
  override readonly code = 'unknown_action_type';
}

/**
 * 429 `rate_limited`: Too many requests; slow down and retry.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof RateLimitedError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class RateLimitedError extends AirlockApiError {
  override readonly name = 'RateLimitedError';
  override readonly code = 'rate_limited';
}

/**
 * 500 `internal`: Airlock failed; the request id finds it in the server log.
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof InternalError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class InternalError extends AirlockApiError {
  override readonly name = 'InternalError';
  override readonly code = 'internal';
}

/**
 * 503 `unavailable`: Airlock could not confirm the write or is shutting down; retry (with the same `idempotencyKey` for a proposal).
 *
 * @example
 * ```ts
 * try {
 *   await client.propose(proposal);
 * } catch (error) {
 *   if (error instanceof UnavailableError) console.error(error.message, error.requestId);
 * }
 * ```
 */
export class UnavailableError extends AirlockApiError {
  override readonly name = 'UnavailableError';
  override readonly code = 'unavailable';
}

/**
 * The class of each error code. Typed so that a code missing here, or a class whose `code` is
 * another one, does not compile.
 *
 * @example
 * ```ts
 * const Class = API_ERRORS.not_found; // NotFoundError
 * ```
 */
export const API_ERRORS: {
  readonly [C in ErrorCode]: new (
    init: ApiErrorInit,
  ) => AirlockApiError & { readonly code: C };
} = {
  bad_request: BadRequestError,
  malformed_json: MalformedJsonError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  not_eligible: NotEligibleError,
  not_found: NotFoundError,
  method_not_allowed: MethodNotAllowedError,
  idempotency_conflict: IdempotencyConflictError,
  conflict: ConflictError,
  approval_closed: ApprovalClosedError,
  already_voted: AlreadyVotedError,
  request_changed: RequestChangedError,
  permit_invalid: PermitInvalidError,
  permit_used: PermitUsedError,
  permit_expired: PermitExpiredError,
  invalid_state: InvalidStateError,
  criteria_not_met: CriteriaNotMetError,
  payload_too_large: PayloadTooLargeError,
  unsupported_media_type: UnsupportedMediaTypeError,
  validation_failed: ValidationFailedError,
  unknown_action_type: UnknownActionTypeError,
  rate_limited: RateLimitedError,
  internal: InternalError,
  unavailable: UnavailableError,
};

/**
 * The error for an error envelope: the code's class, or a plain `AirlockApiError` for a code this
 * SDK does not know. Null when `body` is not an envelope.
 *
 * @example
 * ```ts
 * const error = apiErrorFrom(404, { error: { code: 'not_found', message: 'no action act_1', details: [], requestId: 'r' } });
 * error instanceof NotFoundError; // true
 * ```
 */
export function apiErrorFrom(status: number, body: unknown): AirlockApiError | null {
  const error = (body as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null || typeof error.code !== 'string') return null;
  const init: ApiErrorInit = {
    status,
    code: error.code,
    message: typeof error.message === 'string' ? error.message : `Airlock answered ${error.code}`,
    details: Array.isArray(error.details) ? (error.details as ErrorDetail[]) : [],
    requestId: typeof error.requestId === 'string' ? error.requestId : null,
  };
  const Class = Object.hasOwn(API_ERRORS, error.code) ? API_ERRORS[error.code as ErrorCode] : AirlockApiError;
  return new Class(init);
}
