/**
 * The shapes the SDK sends and receives, derived from the server's own zod schemas with
 * `import type` only: they cannot drift from the API, and the SDK loads neither zod nor server code.
 */

import type { z } from 'zod';
import type { actionSchema, catalogSchema, reasonSchema, waitSchema } from '../api/schemas.ts';
import type { ActionStatus as ServerActionStatus } from '../domain/action.ts';
import type { ErrorCode as ServerErrorCode, ErrorDetail as ServerErrorDetail } from '../domain/errors.ts';
import type { JsonObject as ServerJsonObject, JsonValue as ServerJsonValue } from '../domain/json.ts';
import type { proposalSchema } from '../domain/proposal-schema.ts';

/**
 * What an agent proposes (`POST /v1/actions`): `type`, `environment`, `targets`, `params`, and
 * optionally `confidence`, `anomalyScore`, `reasoning`, `context`, `incident`, `idempotencyKey`.
 *
 * @example
 * ```ts
 * const proposal: Proposal = {
 *   type: 'cache.flush',
 *   environment: 'staging',
 *   targets: [{ id: 'redis-1' }],
 *   params: { keyPattern: 'session:*' },
 *   confidence: 0.9,
 * };
 * ```
 */
export type Proposal = z.input<typeof proposalSchema>;

/**
 * One target of a proposal: an `id` and any attributes policies look at.
 *
 * @example
 * ```ts
 * const target: Target = { id: 'api-1', pci: false };
 * ```
 */
export type Target = NonNullable<Proposal['targets']>[number];

/**
 * An action as Airlock shows it: the request, its `status`, the `decision`, the approval, the
 * execution and, for the agent that proposed an agent-executed type once it is cleared, its `permit`.
 *
 * @example
 * ```ts
 * const action: Action = await client.get('act_123');
 * if (action.status === 'approved' && action.permit) console.log(action.permit.expiresAt);
 * ```
 */
export type Action = z.output<typeof actionSchema>;

/**
 * How Airlock decided: `effect` (advise, execute, escalate, deny), `reasons`, `trustLevel`, `policyVersion`.
 *
 * @example
 * ```ts
 * const { effect, reasons }: Decision = action.decision;
 * ```
 */
export type Decision = Action['decision'];

/**
 * One reason of a decision: a policy rule, a level cap, a limit, a freeze, ….
 *
 * @example
 * ```ts
 * const failed = action.decision.reasons.filter((r: Reason) => r.kind === 'cap' && !r.passed);
 * ```
 */
export type Reason = z.output<typeof reasonSchema>;

/**
 * The single-use permit under which an agent executes a cleared action of an agent-executed type.
 *
 * @example
 * ```ts
 * const permit: Permit | null = action.permit;
 * ```
 */
export type Permit = NonNullable<Action['permit']>;

/**
 * An action's status: `advised`, `pending_approval`, `denied`, `expired`, `approved`, `executing`,
 * `verifying`, `succeeded`, `failed`, `rolled_back` or `unknown`.
 *
 * @example
 * ```ts
 * const done: ActionStatus[] = ['succeeded', 'failed'];
 * ```
 */
export type ActionStatus = ServerActionStatus;

/**
 * What one long-poll answers: whether the status `changed` before the timeout, and the action.
 *
 * @example
 * ```ts
 * const { changed, action }: WaitResult = await client.wait('act_123', { timeout: 10_000 });
 * ```
 */
export type WaitResult = z.output<typeof waitSchema>;

/**
 * The catalog in force: every action type with its params schema, tier, domains and an example.
 *
 * @example
 * ```ts
 * const { types }: Catalog = await client.catalog();
 * ```
 */
export type Catalog = z.output<typeof catalogSchema>;

/**
 * One action type of the catalog.
 *
 * @example
 * ```ts
 * const flush: CatalogEntry | undefined = (await client.catalog()).types.find((t) => t.type === 'cache.flush');
 * ```
 */
export type CatalogEntry = Catalog['types'][number];

/**
 * What an agent reports after executing under a permit (`POST /v1/actions/:id/outcome`).
 * Kept in step with the server's `outcomeBodySchema` by a type test (test/sdk.errors.test.ts).
 *
 * @example
 * ```ts
 * const report: OutcomeReport = { permit: action.permit.token, outcome: 'succeeded', message: 'flushed 120 keys' };
 * ```
 */
export interface OutcomeReport {
  /** The permit the action was cleared with. */
  readonly permit: string;
  /** `unknown`: the agent cannot tell whether it took effect; the action goes to people. */
  readonly outcome: 'succeeded' | 'failed' | 'unknown';
  /** One line on what happened (at most 2000 characters). */
  readonly message?: string | undefined;
  /** Anything worth keeping in the audit chain (at most 16 KiB as JSON). */
  readonly detail?: JsonObject | undefined;
}

/**
 * The closed set of error codes Airlock answers with.
 *
 * @example
 * ```ts
 * const code: ErrorCode = 'not_found';
 * ```
 */
export type ErrorCode = ServerErrorCode;

/**
 * One problem with an input: a field path (or file:line) and what is wrong there.
 *
 * @example
 * ```ts
 * const lines = error.details.map((d: ErrorDetail) => `${d.path}: ${d.message}`);
 * ```
 */
export type ErrorDetail = ServerErrorDetail;

/**
 * Any JSON value.
 *
 * @example
 * ```ts
 * const value: JsonValue = { replicas: 4, tags: ['a'] };
 * ```
 */
export type JsonValue = ServerJsonValue;

/**
 * A JSON object.
 *
 * @example
 * ```ts
 * const params: JsonObject = { keyPattern: 'session:*' };
 * ```
 */
export type JsonObject = ServerJsonObject;
