/**
 * The moves the demo's story is made of, each narrated: the agent proposes and follows its action
 * through the SDK; alice (an admin) sets levels and approves over the HTTP API.
 */

import type { Action, AirlockClient, Proposal, Reason } from 'airlock/sdk';
import type { Narrator } from './demo-narrator.ts';

export interface Story {
  readonly url: string;
  /** incident-bot's client. */
  readonly agent: AirlockClient;
  readonly agentId: string;
  /** alice's client (an admin): the same SDK, a person's token, routes it does not wrap via `request`. */
  readonly admin: AirlockClient;
  readonly n: Narrator;
  /** Seconds an approval waits for a person in the console before the script approves it. */
  readonly approveAfter: number;
  readonly signal: AbortSignal;
}

/** What the summary keeps of one action. */
export interface ActionReport {
  readonly id: string;
  readonly environment: string;
  readonly target: string;
  readonly effect: string;
  readonly trustLevel: number;
  readonly status: string;
  readonly approvedBy: readonly string[];
  readonly verification: Action['verification'];
  readonly rollback: Action['rollback'];
}

export function reportOf(action: Action): ActionReport {
  return {
    id: action.id,
    environment: action.environment,
    target: action.targets.map((t) => t.id).join(', '),
    effect: action.decision.effect,
    trustLevel: action.decision.trustLevel,
    status: action.status,
    approvedBy: (action.approval?.votes ?? []).filter((v) => v.verdict === 'approve').map((v) => v.person),
    verification: action.verification,
    rollback: action.rollback,
  };
}

const EFFECTS: Readonly<Record<string, string>> = {
  advise: 'ADVISE: recorded as a recommendation, never executed',
  execute: 'EXECUTE: cleared to run without a human',
  escalate: 'ESCALATE: a person must approve this exact request first',
  deny: 'DENY: it will not run',
};

/** Propose as the agent and narrate the proposal and Airlock's decision with its reasons. */
export async function propose(story: Story, proposal: Proposal): Promise<Action> {
  const { n } = story;
  const targets = (proposal.targets ?? []).map((t) => t.id).join(', ');
  const stated = [
    proposal.confidence === undefined ? null : `confidence ${proposal.confidence}`,
    proposal.anomalyScore === undefined ? null : `anomaly score ${proposal.anomalyScore}`,
  ].filter((s) => s !== null);
  n.agent(`proposes ${proposal.type} of ${targets} in ${proposal.environment} (${stated.join(', ')})`);
  if (proposal.reasoning !== undefined) n.detail(`“${proposal.reasoning}”`);
  const action = await story.agent.propose(proposal, { signal: story.signal });
  const { decision } = action;
  n.airlock(
    `${n.style('bold', EFFECTS[decision.effect] ?? decision.effect)} (level ${decision.trustLevel}) → ${action.status}`,
  );
  for (const line of reasonLines(decision.reasons)) n.detail(line);
  return action;
}

/** One line per reason that shaped the decision; the level's caps that passed share one. */
export function reasonLines(reasons: readonly Reason[]): string[] {
  const lines: string[] = [];
  const passed: string[] = [];
  for (const r of reasons) {
    switch (r.kind) {
      case 'rule':
      case 'rule_error':
        lines.push(`rule ${r.rule} (${r.effect}, ${r.file}): ${r.message}`);
        break;
      case 'default':
        lines.push(`no rule matched; the default is ${r.effect}: ${r.message}`);
        break;
      case 'cap':
        if (r.passed) passed.push(r.message);
        else lines.push(`✗ ${r.code}: ${r.message}`);
        break;
      case 'limit':
        if (!r.passed) lines.push(`✗ limit ${r.limit} (${r.effect}): ${r.message}`);
        break;
      case 'agent_suspended':
      case 'frozen':
      case 'revision':
        lines.push(`✗ ${r.kind}: ${r.message}`);
        break;
      default:
        r satisfies never;
    }
  }
  if (passed.length > 0) lines.push(`✓ ${passed.join(' · ')}`);
  return lines;
}

/** Follow an action until it settles, narrating each status it moves through, then how it ended. */
export async function follow(story: Story, initial: Action): Promise<Action> {
  const { n } = story;
  let action = initial;
  const settled = ['advised', 'denied', 'expired', 'succeeded', 'failed', 'rolled_back', 'unknown'];
  while (!settled.includes(action.status)) {
    const result = await story.agent.wait(action.id, {
      status: action.status,
      timeout: 30_000,
      signal: story.signal,
    });
    if (result.changed) n.airlock(`status → ${result.action.status}`);
    action = result.action;
  }
  action = await story.agent.get(action.id, { signal: story.signal });
  const v = action.verification;
  if (action.status === 'succeeded' && v !== null)
    n.airlock(`verified: ${v.samples} sample${v.samples === 1 ? '' : 's'}, every check passed`);
  if (v?.passed === false) n.airlock(`verification failed: ${v.failed.join('; ')}`);
  if (action.rollback !== null)
    n.airlock(`rollback ${action.rollback.outcome}: ${action.rollback.message} → ${action.status}`);
  const path = action.path ?? [];
  const first = path[0];
  const last = path.at(-1);
  if (first !== undefined && last !== undefined)
    n.detail(`audit chain #${first.seq}–#${last.seq}: ${compactKinds(path.map((p) => p.kind))}`);
  return action;
}

/** `a, b, c ×3, d`. */
function compactKinds(kinds: readonly string[]): string {
  const runs: [string, number][] = [];
  for (const kind of kinds) {
    const last = runs.at(-1);
    if (last?.[0] === kind) last[1] += 1;
    else runs.push([kind, 1]);
  }
  return runs.map(([kind, count]) => (count > 1 ? `${kind} ×${count}` : kind)).join(', ');
}

/**
 * A pending approval: wait `approveAfter` seconds for someone to decide in the console, then
 * approve it as alice (the exact request, by its hash). Answers the action after the verdict.
 */
export async function approve(story: Story, pending: Action): Promise<Action> {
  const { n } = story;
  const approval = pending.approval;
  if (approval === null) throw new Error(`${pending.id} is ${pending.status} without an approval`);
  n.airlock(
    `approval ${approval.id} opened on route ${approval.route.name}: group ${approval.group}, quorum ${approval.quorum}`,
  );
  let action = pending;
  if (story.approveAfter === 0)
    n.say('The script approves it as alice at once (--fast, or --approve-after 0).');
  else {
    n.callout(
      `approve it in the console at ${story.url}/inbox — or wait ${story.approveAfter} s and the script approves it as alice`,
    );
    const deadline = Date.now() + story.approveAfter * 1000;
    while (action.status === 'pending_approval' && Date.now() < deadline) {
      const timeout = Math.min(deadline - Date.now(), 60_000);
      action = (
        await story.agent.wait(action.id, { status: 'pending_approval', timeout, signal: story.signal })
      ).action;
    }
  }
  if (action.status === 'pending_approval') {
    try {
      await story.admin.request('POST', `/v1/approvals/${approval.id}/decisions`, {
        body: {
          verdict: 'approve',
          comment: 'approved by the demo script',
          requestHash: approval.requestHash,
        },
        signal: story.signal,
      });
    } catch (error) {
      // Someone decided in the console at the same moment: their verdict stands.
      action = await story.agent.get(action.id, { signal: story.signal });
      if (action.status === 'pending_approval') throw error;
    }
    action = await story.agent.get(action.id, { signal: story.signal });
  }
  for (const vote of action.approval?.votes ?? []) {
    const comment = vote.comment === null ? '' : `: “${vote.comment}”`;
    n.person(`${vote.person} votes ${vote.verdict} on request ${vote.requestHash.slice(0, 12)}…${comment}`);
  }
  return action;
}

/** Trust of one scope, as `GET /v1/agents/:id/trust` shows it. */
export interface ScopeTrust {
  readonly scope: string;
  readonly level: number;
  readonly grantedBy: string | null;
  readonly reason: string | null;
}

export async function scopes(story: Story): Promise<ScopeTrust[]> {
  const trust = await story.admin.request<{ scopes: ScopeTrust[] }>(
    'GET',
    `/v1/agents/${encodeURIComponent(story.agentId)}/trust`,
    { signal: story.signal },
  );
  return trust.scopes.map(({ scope, level, grantedBy, reason }) => ({ scope, level, grantedBy, reason }));
}

interface SetTrustResult {
  readonly from: number;
  readonly to: number;
  readonly promotion?: {
    readonly override: boolean;
    readonly checks: readonly { readonly criteria: readonly { criterion: string; passed: boolean }[] }[];
  };
}

/** alice raises a scope for the demo: an override of the promotion criteria, recorded as such. */
export async function promote(story: Story, scope: string, level: number, reason: string): Promise<void> {
  const result = await story.admin.request<SetTrustResult>(
    'PUT',
    `/v1/agents/${encodeURIComponent(story.agentId)}/trust`,
    { body: { scope, level, reason, override: true }, signal: story.signal },
  );
  story.n.person(
    `alice (admin) sets ${scope} from level ${result.from} to ${result.to} — promoted by an admin for the demo`,
  );
  const unmet = (result.promotion?.checks ?? []).flatMap((c) =>
    c.criteria.filter((k) => !k.passed).map((k) => k.criterion),
  );
  if (unmet.length > 0)
    story.n.detail(
      `an override, audited as one: the evidence does not meet the criteria yet (${[...new Set(unmet)].join(', ')})`,
    );
}
