/**
 * A `tools/call` governed like any proposal: mapped to an action request by the catalog, decided,
 * recorded, and only then (maybe) forwarded upstream. `execute` forwards the call under the
 * action's single-use permit and reports the outcome (verification and rollback follow as the
 * type configures them); `advise` records a recommendation; `deny` answers a tool error with the
 * reasons; `escalate` holds the call while the approval runs, with progress notifications, and
 * answers "pending" with the approval id when the wait ends first. A call picked up again by that
 * id never runs twice: a permit is taken once (ExecutionService.takePermit).
 */

import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { ToolMapper } from '../catalog/tool-mapping.ts';
import type { ActionStatus } from '../domain/action.ts';
import { AirlockError } from '../domain/errors.ts';
import type { JsonObject } from '../domain/json.ts';
import type { Airlock } from '../gateway/airlock.ts';
import type { Principal } from '../gateway/auth.ts';
import type { PermitGrant } from '../gateway/execution-service.ts';
import type { PolicyBundle } from '../policy/policy-bundle.ts';
import type { ActionRecord, AgentRecord } from '../store/records.ts';
import type { UpstreamPool, UpstreamTool } from './upstream-pool.ts';

/** Airlock's own tool: pick up the outcome of a call that was held for approval. */
export const AWAIT_TOOL = 'airlock.await_approval';
/** `_meta` keys a caller may set on tools/call. */
export const META = {
  approvalId: 'airlock/approvalId',
  reasoning: 'airlock/reasoning',
  confidence: 'airlock/confidence',
  anomalyScore: 'airlock/anomalyScore',
  incident: 'airlock/incident',
} as const;

export const AWAIT_TOOL_SPEC: Tool = {
  name: AWAIT_TOOL,
  title: 'Wait for an approval',
  description:
    'Pick up the outcome of a tool call that Airlock held for human approval. Give the approval id from the earlier answer; the call runs at most once.',
  inputSchema: {
    type: 'object',
    properties: { approvalId: { type: 'string', description: 'The approval id, e.g. apr_…' } },
    required: ['approvalId'],
  },
};

export type GovernedDeps = Pick<
  Airlock,
  'proposals' | 'actions' | 'approvals' | 'executions' | 'project' | 'logger'
>;

export interface CallContext {
  readonly signal: AbortSignal;
  /** Sends `notifications/progress` when the caller gave a progress token; a no-op otherwise. */
  readonly progress: (message: string) => Promise<void>;
  readonly meta: Readonly<Record<string, unknown>>;
}

export interface GovernedOptions {
  readonly approvalWait: number;
  readonly progressInterval: number;
}

/** How long a cleared action's permit may take to appear. */
const PERMIT_WAIT_MS = 5_000;

const SETTLED: ReadonlySet<ActionStatus> = new Set([
  'advised',
  'denied',
  'expired',
  'succeeded',
  'failed',
  'rolled_back',
  'unknown',
]);

export class GovernedCalls {
  readonly #deps: GovernedDeps;
  readonly #pool: UpstreamPool;
  readonly #options: () => GovernedOptions;

  constructor(deps: GovernedDeps, pool: UpstreamPool, options: () => GovernedOptions) {
    this.#deps = deps;
    this.#pool = pool;
    this.#options = options;
  }

  /**
   * The tools an agent sees: every upstream tool it could ever use, and Airlock's own. A tool whose
   * action type the live policy denies unconditionally in every environment it can act in is hidden.
   */
  async list(agent: AgentRecord): Promise<Tool[]> {
    const project = this.#deps.project();
    const tools = await this.#pool.tools();
    const visible = tools.filter((t) =>
      visibleTo(agent, t.name, project.catalog.tools, project.bundle, [...project.environments.keys()]),
    );
    return [...visible.map((t) => t.tool), AWAIT_TOOL_SPEC];
  }

  async call(
    agent: AgentRecord,
    name: string,
    args: JsonObject,
    context: CallContext,
  ): Promise<CallToolResult> {
    const pickup = name === AWAIT_TOOL ? args.approvalId : context.meta[META.approvalId];
    if (pickup !== undefined) {
      if (typeof pickup !== 'string' || pickup === '')
        return toolError('give the approval id as a string: {"approvalId": "apr_…"}');
      return this.#pickUp(agent, pickup, context);
    }
    const tool = await this.#pool.findTool(name);
    if (tool === null) return toolError(`Unknown tool: ${name}`, { unknownTool: true });
    const mapped = this.#deps.project().catalog.tools.map({
      tool: name,
      server: tool.server,
      name: tool.upstreamName,
      args,
    });
    if (!mapped.ok) return toolError(`Airlock cannot govern this call: ${mapped.message}`);
    const { type, environment, targets, params } = mapped.call;
    const proposal: Record<string, unknown> = {
      type,
      environment,
      targets,
      params,
      context: { mcp: { tool: name, arguments: args } },
    };
    const optional = {
      reasoning: context.meta[META.reasoning],
      confidence: context.meta[META.confidence],
      anomalyScore: context.meta[META.anomalyScore],
      incident: context.meta[META.incident],
    };
    for (const [key, value] of Object.entries(optional)) if (value !== undefined) proposal[key] = value;

    let action: ActionRecord;
    try {
      action = (await this.#deps.proposals.propose(agent, proposal)).action;
    } catch (error) {
      if (error instanceof AirlockError) return rejected(error);
      throw error;
    }
    return this.#follow(agent, action, tool, context);
  }

  /** Answer for an action as it stands: wait out an approval, execute a cleared call, or report. */
  async #follow(
    agent: AgentRecord,
    action: ActionRecord,
    tool: UpstreamTool | null,
    context: CallContext,
  ): Promise<CallToolResult> {
    switch (action.status) {
      case 'advised':
        return {
          content: [
            {
              type: 'text',
              text: `Not executed: Airlock recorded this call as a recommendation (action ${action.id}, trust level ${action.decision.trustLevel}). ${reasonsOf(action)}`,
            },
          ],
          _meta: meta(action),
        };
      case 'denied':
        return toolError(`Denied by Airlock (action ${action.id}): ${reasonsOf(action)}`, meta(action));
      case 'expired':
        return toolError(
          `Not executed: the approval of action ${action.id} timed out. ${reasonsOf(action)}`,
          meta(action),
        );
      case 'pending_approval':
        return this.#hold(agent, action, tool, context);
      case 'approved':
        return this.#execute(agent, action, tool, context);
      default:
        return this.#settled(agent, action, context);
    }
  }

  async #hold(
    agent: AgentRecord,
    action: ActionRecord,
    tool: UpstreamTool | null,
    context: CallContext,
  ): Promise<CallToolResult> {
    const approval = await this.#deps.approvals.forAction(action.id);
    const approvalId = approval?.id ?? action.id;
    const { approvalWait, progressInterval } = this.#options();
    const principal: Principal = { kind: 'agent', agent };
    const started = Date.now();
    const tick = setInterval(() => {
      const waited = Math.round((Date.now() - started) / 1000);
      void context.progress(`waiting for approval ${approvalId} (${waited}s)`).catch(() => undefined);
    }, progressInterval);
    try {
      await context.progress(`waiting for approval ${approvalId}`).catch(() => undefined);
      const { action: next, changed } = await this.#deps.actions.wait(action.id, principal, {
        timeoutMs: approvalWait,
        from: 'pending_approval',
        signal: context.signal,
      });
      if (changed) return this.#follow(agent, next, tool, context);
    } finally {
      clearInterval(tick);
    }
    return toolError(
      `Pending: action ${action.id} waits for human approval ${approvalId}. Nothing was executed. Call ${AWAIT_TOOL} with {"approvalId": "${approvalId}"} (or this tool again with _meta "${META.approvalId}") to pick up the outcome; the call runs at most once.`,
      { ...meta(action), 'airlock/approvalId': approvalId, 'airlock/pending': true },
    );
  }

  async #execute(
    agent: AgentRecord,
    action: ActionRecord,
    tool: UpstreamTool | null,
    context: CallContext,
  ): Promise<CallToolResult> {
    const grant = await this.#permit(agent, action.id, context.signal);
    if (grant === null) {
      // Another call took the permit (or Airlock executes this type itself): wait for its outcome.
      return this.#settled(agent, action, context);
    }
    const report = (outcome: 'succeeded' | 'failed' | 'unknown', message: string, detail?: JsonObject) =>
      this.#deps.executions.reportOutcome(agent, action.id, {
        permit: grant.token,
        outcome,
        message,
        detail,
      });

    const call = recordedCall(action);
    const upstream = call === null ? null : (tool ?? (await this.#pool.findTool(call.tool)));
    const why =
      call === null
        ? `${action.id} was not proposed through MCP`
        : upstream === null
          ? `no upstream has the tool ${call.tool} any more`
          : sameRequest(this.#deps.project().catalog.tools, action, upstream, call.arguments);
    if (why !== null || call === null || upstream === null) {
      await report('failed', `not forwarded: ${why}`);
      return toolError(`Not executed: ${why}`, meta(action));
    }

    let result: CallToolResult;
    try {
      result = await this.#pool.callTool(upstream, call.arguments, {
        signal: context.signal,
        // The upstream's own progress reaches the caller too.
        onprogress: (p) =>
          void context
            .progress(p.message ?? `${p.progress}${p.total === undefined ? '' : `/${p.total}`}`)
            .catch(() => undefined),
      });
    } catch (error) {
      // The call may or may not have taken effect upstream: people look at it, nobody retries it.
      const message = (error as Error).message;
      await report('unknown', `the upstream call ended without an answer: ${message}`).catch(() => undefined);
      throw error;
    }
    const failed = result.isError === true;
    let after = action;
    try {
      await report(
        failed ? 'failed' : 'succeeded',
        failed ? 'the tool answered with an error' : 'the tool answered',
        {
          result: summarize(result),
        },
      );
      after = await this.#deps.actions.get(action.id, { kind: 'agent', agent });
    } catch (error) {
      this.#deps.logger.error(
        { event: 'mcp.report_failed', action: action.id, err: error },
        'could not record the outcome',
      );
    }
    return { ...result, _meta: { ...result._meta, ...meta(after) } };
  }

  /**
   * Take the permit of a cleared action. An approval clears the action a moment before its permit
   * is issued, so a missing execution is waited for (briefly); a permit taken by another call, or
   * an action Airlock executes itself, gives null.
   */
  async #permit(agent: AgentRecord, actionId: string, signal: AbortSignal): Promise<PermitGrant | null> {
    const deadline = Date.now() + PERMIT_WAIT_MS;
    for (;;) {
      const grant = await this.#deps.executions.takePermit(agent, actionId);
      if (grant !== null) return grant;
      const execution = await this.#deps.executions.get(actionId);
      if (execution !== null || Date.now() >= deadline || signal.aborted) return null;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** An action that was executed (or is being executed) by another call: its recorded outcome. */
  async #settled(agent: AgentRecord, action: ActionRecord, context: CallContext): Promise<CallToolResult> {
    let current = action;
    const principal: Principal = { kind: 'agent', agent };
    const deadline = Date.now() + this.#options().approvalWait;
    while (
      !SETTLED.has(current.status) &&
      current.status !== 'verifying' &&
      Date.now() < deadline &&
      !context.signal.aborted
    ) {
      current = (
        await this.#deps.actions.wait(current.id, principal, {
          timeoutMs: deadline - Date.now(),
          from: current.status,
          signal: context.signal,
        })
      ).action;
    }
    const execution = await this.#deps.executions.get(current.id);
    const reported = execution?.state.outcome as { message?: string } | undefined;
    const refused = execution?.state.refused as string | undefined;
    const text =
      refused === undefined
        ? `Action ${current.id} is ${current.status}${reported?.message ? `: ${reported.message}` : ''}. It ran at most once; this call did not run it again.`
        : `Action ${current.id} is ${current.status}: ${refused}. Nothing was executed.`;
    const failed = ['failed', 'rolled_back', 'unknown', 'denied', 'expired'].includes(current.status);
    return failed
      ? toolError(text, meta(current))
      : { content: [{ type: 'text', text }], _meta: meta(current) };
  }

  async #pickUp(agent: AgentRecord, approvalId: string, context: CallContext): Promise<CallToolResult> {
    let actionId: string;
    try {
      actionId = (await this.#deps.approvals.get(approvalId)).actionId;
    } catch (error) {
      if (error instanceof AirlockError && error.code === 'not_found')
        return toolError(`No approval ${approvalId}`);
      throw error;
    }
    const action = await this.#deps.actions.get(actionId, { kind: 'agent', agent }).catch(() => null);
    if (action === null) return toolError(`No approval ${approvalId}`);
    return this.#follow(agent, action, null, context);
  }
}

/** Whether an agent could ever use a tool: not when its type is denied outright wherever it may act. */
export function visibleTo(
  _agent: AgentRecord,
  tool: string,
  mapper: ToolMapper,
  bundle: PolicyBundle,
  environments: readonly string[],
): boolean {
  const { type, environment } = mapper.typeOf(tool);
  const where = environment === null ? environments : [environment];
  return where.some(
    (env) =>
      !bundle.rules.some(
        (rule) =>
          rule.effect === 'deny' &&
          rule.condition === null &&
          (rule.types === null || rule.types.some((g) => g.matches(type))) &&
          (rule.environments === null || rule.environments.has(env)),
      ),
  );
}

/** The MCP call an action was proposed from (its context), or null. */
function recordedCall(action: ActionRecord): { tool: string; arguments: JsonObject } | null {
  const mcp = action.request.context?.mcp;
  if (typeof mcp !== 'object' || mcp === null || Array.isArray(mcp)) return null;
  const { tool, arguments: args } = mcp as JsonObject;
  if (typeof tool !== 'string' || typeof args !== 'object' || args === null || Array.isArray(args))
    return null;
  return { tool, arguments: args as JsonObject };
}

/** null when the recorded call maps to exactly the request that was decided; else why not. */
function sameRequest(
  mapper: ToolMapper,
  action: ActionRecord,
  tool: UpstreamTool,
  args: JsonObject,
): string | null {
  const mapped = mapper.map({ tool: tool.name, server: tool.server, name: tool.upstreamName, args });
  if (!mapped.ok) return mapped.message;
  const { type, environment, targets, params } = mapped.call;
  const decided = action.request;
  const same =
    type === decided.type &&
    environment === decided.environment &&
    canonicalJson(targets) === canonicalJson(decided.targets) &&
    canonicalJson(params) === canonicalJson(decided.params);
  return same ? null : 'the call no longer maps to the request that was decided (the catalog changed)';
}

function reasonsOf(action: ActionRecord): string {
  const reasons = action.decision.reasons
    .filter((r) => r.kind !== 'limit' || !r.passed)
    .map((r) => r.message)
    .filter((m) => m !== '');
  return reasons.length === 0 ? '' : `Reasons: ${reasons.join('; ')}`;
}

function meta(action: ActionRecord): Record<string, unknown> {
  return { 'airlock/actionId': action.id, 'airlock/status': action.status };
}

function toolError(text: string, extra: Record<string, unknown> = {}): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }], _meta: extra };
}

function rejected(error: AirlockError): CallToolResult {
  const details = error.details.map((d) => `${d.path}: ${d.message}`);
  return toolError(
    `Airlock refused the call (${error.code}): ${error.message}${details.length > 0 ? `\n${details.join('\n')}` : ''}`,
    { 'airlock/error': error.code },
  );
}

/** What of a result is kept with the outcome: its text, cut to fit the audit record. */
function summarize(result: CallToolResult): string {
  const text = result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}
