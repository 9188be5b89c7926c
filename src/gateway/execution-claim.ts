/**
 * Claiming a cleared action for execution: the one transaction after which it may run. Whatever
 * changed since the decision is checked again here (the agent suspended, a freeze), and the
 * permit of an agent-executed type is issued here.
 */

import { randomBytes } from 'node:crypto';
import type { CatalogEntry } from '../catalog/catalog.ts';
import type { JsonObject } from '../domain/json.ts';
import { signPermit } from '../execution/permit.ts';
import type { Project } from '../project/project-loader.ts';
import type { ActionRecord, AgentRecord, ExecutionRecord } from '../store/records.ts';
import type { Store, StoreTx } from '../store/store.ts';
import { resolveLevel } from '../trust/scope.ts';
import { ceilingFor } from '../trust/trust-settings.ts';
import { openingFor } from './approval-records.ts';
import type { PermitGrant } from './execution-service.ts';
import { stepEvents } from './execution-steps.ts';
import type { FreezeState } from './freeze-service.ts';
import { shadowUsageKeys } from './shadow-evaluation.ts';

const PERMIT_KEY = 'permit_key';

export interface ClaimInput {
  readonly actionId: string;
  readonly project: Project;
  /** The freeze in force for the action's agent and environment, checked just before. */
  readonly freeze: FreezeState | null;
  /** Signs the permit of an agent-executed type. */
  readonly key: Buffer;
  readonly now: Date;
  /** The replica claiming it, which runs it. */
  readonly replica: string;
}

export type Claim = (
  | { readonly kind: 'run'; readonly action: ActionRecord; readonly entry: CatalogEntry }
  | { readonly kind: 'permit'; readonly grant: PermitGrant }
  | { readonly kind: 'none' }
) & {
  /** The action's new status, announced once the transaction has committed. */
  readonly status?: ActionRecord['status'];
  readonly notify?: boolean;
};

/**
 * The claim, in one transaction: re-check the agent and the freeze, then insert the execution
 * row (the primary key refuses a second claim, here or on another replica).
 */
export async function claimExecution(tx: StoreTx, input: ClaimInput): Promise<Claim> {
  const { actionId, project, freeze, key, replica } = input;
  const at = input.now;
  const iso = at.toISOString();
  const action = await tx.getAction(actionId);
  if (action === null || action.status !== 'approved' || (await tx.getExecution(actionId)) !== null)
    return { kind: 'none' };
  const refuse = async (status: 'denied' | 'failed', reason: string): Promise<Claim> => {
    await tx.setActionStatus(actionId, status, iso);
    await tx.appendAudit(stepEvents(actionId, [{ kind: 'execution.refused', data: { reason } }], iso), iso);
    return { kind: 'none', status };
  };
  const agent = await tx.getAgent(action.agentId);
  if (agent === null || agent.status !== 'active')
    return refuse('denied', `agent ${action.agentId} is suspended: nothing it proposed runs`);
  if (freeze !== null)
    return hold(
      tx,
      action,
      agent,
      project,
      { freeze: freeze.source, reason: freeze.reason, by: freeze.by },
      at,
    );
  const demoted = await demotedSince(tx, action, project);
  if (demoted !== null) return hold(tx, action, agent, project, demoted, at);
  const entry = project.catalog.get(action.type);
  if (entry === undefined) return refuse('failed', `action type ${action.type} is no longer in the catalog`);

  // Counted under the shadow's limits too, so that those see the real history (see shadow-evaluation).
  const keys = new Set([...limitKeys(action), ...shadowUsageKeys(project, action)]);
  await tx.recordUsage([...keys].map((key) => ({ key, actionId, at: action.createdAt })));
  const mode = entry.execution?.mode ?? 'agent';
  if (mode === 'agent') {
    const ttl = entry.execution?.permitTtl ?? 600_000;
    const permit = {
      requestHash: action.requestHash,
      expiresAt: new Date(at.getTime() + ttl).toISOString(),
      nonce: randomBytes(12).toString('base64url'),
    };
    const execution = newExecution(
      actionId,
      'agent',
      'permitted',
      permit.expiresAt,
      { permit },
      iso,
      replica,
    );
    if (!(await tx.insertExecution(execution))) return { kind: 'none' };
    const token = signPermit({ action: actionId, ...permit }, key);
    await tx.appendAudit(
      stepEvents(
        actionId,
        [{ kind: 'permit.issued', data: { expiresAt: permit.expiresAt, nonce: permit.nonce } }],
        iso,
      ),
      iso,
    );
    return { kind: 'permit', grant: { token, expiresAt: permit.expiresAt }, status: 'approved' };
  }
  const execution = newExecution(actionId, 'gateway', 'executing', null, {}, iso, replica);
  if (!(await tx.insertExecution(execution))) return { kind: 'none' };
  await tx.setActionStatus(actionId, 'executing', iso);
  await tx.appendAudit(
    stepEvents(
      actionId,
      [
        {
          kind: 'execution.started',
          data: { executor: entry.execution?.executor?.kind ?? null, attempt: 1 },
        },
      ],
      iso,
    ),
    iso,
  );
  return { kind: 'run', action, entry, status: 'executing' };
}

/**
 * An action cleared without a human whose scope has lost its level since the decision: the
 * level now in force, or null when it still holds (or a person approved the action).
 */
async function demotedSince(tx: StoreTx, action: ActionRecord, project: Project): Promise<JsonObject | null> {
  if (action.decision.effect !== 'execute') return null;
  const resolved = resolveLevel(await tx.listGrants(action.agentId), action.type, action.environment);
  const now = Math.min(resolved.level, ceilingFor(project.config.trust, action.agentId));
  if (now >= action.decision.trustLevel) return null;
  return {
    reason: `demoted from level ${action.decision.trustLevel} to ${now} since the decision`,
    from: action.decision.trustLevel,
    to: now,
  };
}

/** Frozen or demoted since the decision: what would have run alone waits for a human instead. */
async function hold(
  tx: StoreTx,
  action: ActionRecord,
  agent: AgentRecord,
  project: Project,
  why: JsonObject,
  at: Date,
): Promise<Claim> {
  const iso = at.toISOString();
  const opening = openingFor(action, agent.owner, project.routing, at);
  await tx.insertApprovals([opening.approval]);
  await tx.enqueue(opening.outbox);
  await tx.setActionStatus(action.id, 'pending_approval', iso);
  await tx.appendAudit(
    [...stepEvents(action.id, [{ kind: 'execution.held', data: why }], iso), ...opening.events],
    iso,
  );
  return { kind: 'none', status: 'pending_approval', notify: opening.outbox.length > 0 };
}

/** The key that signs permits: made once, shared by every replica through the store. */
export async function permitKey(store: Store): Promise<Buffer> {
  let key = await store.getSetting(PERMIT_KEY);
  if (key === null) {
    await store.write((tx) => tx.putSettingIfAbsent(PERMIT_KEY, randomBytes(32).toString('base64')));
    key = await store.getSetting(PERMIT_KEY);
  }
  if (key === null) throw new Error('the permit key could not be stored');
  return Buffer.from(key, 'base64');
}

/** The limit counters a cleared action counts against (decided with it, in its facts). */
export function limitKeys(action: ActionRecord): string[] {
  const limits = (action.facts as { limits?: readonly { key?: string | null }[] }).limits ?? [];
  return limits.flatMap((l) => (typeof l.key === 'string' ? [l.key] : []));
}

function newExecution(
  actionId: string,
  mode: ExecutionRecord['mode'],
  phase: ExecutionRecord['phase'],
  deadline: string | null,
  state: JsonObject,
  at: string,
  owner: string,
): ExecutionRecord {
  return {
    actionId,
    mode,
    phase,
    deadline,
    attempts: 1,
    state,
    version: 1,
    createdAt: at,
    updatedAt: at,
    owner,
  };
}

/**
 * Take a permit for a caller that forwards the call itself (the MCP gateway), in one transaction:
 * the agent and the freeze are checked again, since a held call is picked up long after its
 * approval (invariant 1). The execution taken, 'refused' (the action is denied, nothing runs), or
 * null when another caller took it first.
 */
export async function takePermitOnce(
  tx: StoreTx,
  input: {
    readonly execution: ExecutionRecord;
    readonly action: ActionRecord;
    readonly taker: string;
    readonly freeze: FreezeState | null;
    readonly at: string;
  },
): Promise<ExecutionRecord | 'refused' | null> {
  const { execution, action, freeze, at } = input;
  const owner = await tx.getAgent(action.agentId);
  const refusal =
    owner === null || owner.status !== 'active'
      ? `agent ${action.agentId} is suspended: nothing it proposed runs`
      : freeze !== null
        ? `autonomous execution is frozen (${freeze.source}): ${freeze.reason}`
        : null;
  const permit = execution.state.permit as JsonObject;
  const next: ExecutionRecord = {
    ...execution,
    ...(refusal === null
      ? { state: { ...execution.state, permit: { ...permit, takenAt: at, takenBy: input.taker } } }
      : { phase: 'done', deadline: null, state: { ...execution.state, refused: refusal } }),
    version: execution.version + 1,
    updatedAt: at,
  };
  if (!(await tx.saveExecution(next, execution.version))) return null;
  if (refusal === null) return next;
  await tx.setActionStatus(action.id, 'denied', at);
  await tx.appendAudit(
    stepEvents(action.id, [{ kind: 'execution.refused', data: { reason: refusal } }], at),
    at,
  );
  return 'refused';
}
