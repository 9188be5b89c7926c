/**
 * Why a guarded function did not run, or ran and its outcome could not be recorded: errors that
 * carry the action id and the decision's reasons, so an agent can say why it stopped.
 */

import { AirlockSdkError } from './errors.ts';
import type { Action, ActionStatus, Reason } from './types.ts';

/**
 * Airlock did not clear the action, so the guarded function was not run: it was only recorded as
 * advice (`advised`), denied by policy or by a person (`denied`), its approval timed out
 * (`expired`), or it ended some other way without a permit. `message` says why, from the decision's
 * reasons and the approval's votes.
 *
 * @example
 * ```ts
 * try {
 *   await flush({ cluster: 'redis-1' });
 * } catch (error) {
 *   if (error instanceof ActionNotClearedError && error.status === 'advised')
 *     console.log(`recorded as advice (${error.actionId}): ${error.message}`);
 * }
 * ```
 */
export class ActionNotClearedError extends AirlockSdkError {
  override readonly name = 'ActionNotClearedError';
  readonly actionId: string;
  /** The status the action ended in. */
  readonly status: ActionStatus;
  /** Every reason of the decision (rules, caps, limits, …), as Airlock recorded them. */
  readonly reasons: readonly Reason[];
  /** The action as last seen. */
  readonly action: Action;

  constructor(action: Action) {
    super(`${action.type} ${action.id} was not cleared to run: ${whyNotCleared(action)}`);
    this.actionId = action.id;
    this.status = action.status;
    this.reasons = action.decision.reasons;
    this.action = action;
  }
}

/**
 * The action type is executed by Airlock itself (execution mode `gateway`), so there is nothing
 * for the agent to run: propose it with `client.propose` instead. The guarded function was not
 * run; Airlock runs (or ran) the action.
 *
 * @example
 * ```ts
 * try {
 *   await restart({ service: 'api' });
 * } catch (error) {
 *   if (error instanceof GatewayExecutedError) console.log(`Airlock runs ${error.actionId} itself`);
 * }
 * ```
 */
export class GatewayExecutedError extends AirlockSdkError {
  override readonly name = 'GatewayExecutedError';
  readonly actionId: string;
  readonly action: Action;

  constructor(action: Action) {
    super(
      `${action.type} is executed by Airlock itself (mode gateway) and cannot be guarded; ` +
        `${action.id} is ${action.status} and Airlock carries it out`,
    );
    this.actionId = action.id;
    this.action = action;
  }
}

/**
 * The guarded function ran and returned, but reporting its outcome failed (the permit expired,
 * Airlock was unreachable): the action stays `approved` until its permit expires and then becomes
 * `unknown` for a human to look at. `result` is what the function returned; `cause` why the report failed.
 *
 * @example
 * ```ts
 * try {
 *   await flush({ cluster: 'redis-1' });
 * } catch (error) {
 *   if (error instanceof OutcomeNotRecordedError) console.warn(`ran, but ${error.actionId} is not recorded`, error.cause);
 * }
 * ```
 */
export class OutcomeNotRecordedError extends AirlockSdkError {
  override readonly name = 'OutcomeNotRecordedError';
  readonly actionId: string;
  /** What the guarded function returned. */
  readonly result: unknown;

  constructor(actionId: string, result: unknown, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`the function ran, but the outcome of ${actionId} could not be reported: ${why}`, { cause });
    this.actionId = actionId;
    this.result = result;
  }
}

/** One sentence on why an action that was not cleared was not. */
function whyNotCleared(action: Action): string {
  const reasons = decisive(action.decision.reasons);
  const because = reasons.length > 0 ? `: ${reasons.join('; ')}` : '';
  const approval = action.approval;
  switch (action.status) {
    case 'advised':
      return `advised only (trust level ${action.decision.trustLevel})${because}`;
    case 'denied': {
      if (approval?.status === 'revised')
        return `${approval.revisionAuthor ?? 'a person'} revised it: a new action with changed params takes its place`;
      const votes = approval?.votes.filter((v) => v.verdict === 'deny') ?? [];
      if (votes.length > 0)
        return `denied by ${votes.map((v) => `${v.person} (${v.comment ?? 'no comment'})`).join(', ')}`;
      if (approval?.status === 'denied')
        return `denied: nobody approved it on route ${approval.route.name} in time`;
      return `denied${because}`;
    }
    case 'expired':
      return `expired: nobody approved it on route ${approval?.route.name ?? '(none)'} before the deadline`;
    default:
      return `it is ${action.status}${because}`;
  }
}

/** The reasons that made the decision what it is: matching rules, failed caps and limits, freezes. */
function decisive(reasons: readonly Reason[]): string[] {
  return reasons.flatMap((r) => {
    switch (r.kind) {
      case 'rule':
      case 'rule_error':
        return r.effect === 'allow' ? [] : [`${r.rule}: ${r.message}`];
      case 'cap':
      case 'limit':
        return r.passed ? [] : [r.message];
      case 'default':
      case 'agent_suspended':
      case 'frozen':
      case 'revision':
        return [r.message];
      default:
        return [];
    }
  });
}
