/** `airlock approvals list|show|approve|deny|revise`: what waits for a human, and their verdicts. */

import type { Approval } from '../../approvals/approval.ts';
import type { JsonObject } from '../../domain/json.ts';
import { attentionView } from '../../gateway/action-view.ts';
import type { Airlock } from '../../gateway/airlock.ts';
import { approvalSummary, approvalView } from '../../gateway/approval-view.ts';
import type { Person } from '../../project/project-schema.ts';
import { CliError, type Command, type CommandContext, option, required, requiredOption } from '../command.ts';
import { AS_OPTION, actingPerson, withAirlock } from '../open-airlock.ts';
import { json, table } from '../output.ts';

async function views(airlock: Airlock, approvals: readonly Approval[], person: Person) {
  const actions = await Promise.all(approvals.map((a) => airlock.store.getAction(a.actionId)));
  return approvals.flatMap((approval, i) => {
    const action = actions[i];
    return action == null ? [] : [approvalView(approval, action, person)];
  });
}

/** "in 12m", "3m ago": how far a deadline is from now. */
function until(deadline: string, now: Date): string {
  const ms = Date.parse(deadline) - now.getTime();
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span = minutes >= 120 ? `${Math.round(minutes / 60)}h` : `${minutes}m`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

function verdictCommand(verdict: 'approve' | 'deny'): Command {
  const approve = verdict === 'approve';
  return {
    name: `approvals ${verdict}`,
    summary: approve
      ? 'Approve an action with its exact params (by approval or action id)'
      : 'Deny an action, with a reason (one deny ends the approval)',
    usage: approve
      ? '<approval> --as <person> [--comment <text>]'
      : '<approval> --reason <why> --as <person>',
    json: true,
    options: {
      ...(approve
        ? { comment: { type: 'string', description: 'A note recorded with the vote' } }
        : { reason: { type: 'string', description: 'Why (required; shown to the agent and recorded)' } }),
      'request-hash': {
        type: 'string',
        description: 'The request hash you reviewed; the vote is refused if the approval is for another',
      },
      ...AS_OPTION,
    },
    async run(context) {
      const id = required(context, 0, 'approval');
      const comment = approve ? (option(context, 'comment') ?? null) : requiredOption(context, 'reason');
      const approval = await withAirlock(context, (airlock) =>
        airlock.approvals.vote(id, actingPerson(context, airlock), {
          verdict,
          comment,
          requestHash: option(context, 'request-hash'),
        }),
      );
      context.out(
        context.json
          ? json(approvalSummary(approval))
          : `${approval.id} (${approval.actionId}): ${verdict === 'approve' ? 'approved' : 'denied'} by you; approval is ${approval.status}`,
      );
      return 0;
    },
  };
}

function parseParams(context: CommandContext): JsonObject {
  const text = requiredOption(context, 'params');
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {}
  throw new CliError('--params takes a JSON object, e.g. \'{"replicas": 3}\'', { exitCode: 2 });
}

export const approvalsCommands: readonly Command[] = [
  {
    name: 'approvals list',
    summary: 'Pending approvals you may vote on (--all: every pending one), oldest first',
    usage: '--as <person> [--all]',
    json: true,
    options: {
      all: { type: 'boolean', description: 'Every pending approval, not only those you may vote on' },
      ...AS_OPTION,
    },
    async run(context) {
      const { items, attention, now } = await withAirlock(context, async (airlock) => {
        const person = actingPerson(context, airlock);
        const approvals =
          context.values.all === true
            ? await airlock.approvals.list({ status: 'pending', limit: 500 })
            : await airlock.approvals.pendingFor(person, 500);
        return {
          items: await views(airlock, approvals, person),
          attention: (await airlock.actions.needingAttention(100)).map(attentionView),
          now: airlock.clock.now(),
        };
      });
      if (context.json) context.out(json({ approvals: items, attention }));
      else if (items.length === 0 && attention.length === 0) context.out('nothing waits for you');
      else {
        if (attention.length > 0) {
          context.out('needs attention (never re-run by itself):');
          context.out(
            table(
              attention.map((a) => [a.action, a.agent, `${a.type}@${a.environment}`, a.status, a.reason]),
              ['ACTION', 'AGENT', 'ACTION TYPE', 'STATUS', 'WHY'],
            ),
          );
        }
        if (items.length === 0) return 0;
        context.out(
          table(
            items.map((a) => [
              a.id,
              a.action,
              a.agent.id,
              `${a.type}@${a.environment}`,
              a.tier ?? '-',
              `${a.route.name} ${a.step}/${a.route.steps.length} ${a.group} ${a.approvals}/${a.quorum}`,
              until(a.deadline, now),
              a.you?.mayApprove === true ? (a.you.override ? 'yes (override)' : 'yes') : 'no',
            ]),
            [
              'APPROVAL',
              'ACTION',
              'AGENT',
              'ACTION TYPE',
              'TIER',
              'ROUTE STEP GROUP VOTES',
              'DEADLINE',
              'YOU MAY APPROVE',
            ],
          ),
        );
      }
      return 0;
    },
  },
  {
    name: 'approvals show',
    summary: 'Everything needed to judge one approval: request, reasoning, rules, route and votes',
    usage: '<approval> --as <person>',
    json: true,
    options: AS_OPTION,
    async run(context) {
      const id = required(context, 0, 'approval');
      const { view, now } = await withAirlock(context, async (airlock) => {
        const person = actingPerson(context, airlock);
        const [found] = await views(airlock, [await airlock.approvals.get(id)], person);
        if (found === undefined) throw new CliError(`the action of ${id} is missing`);
        return { view: found, now: airlock.clock.now() };
      });
      if (context.json) {
        context.out(json(view));
        return 0;
      }
      const targets = view.targets.map((t) => t.id).join(', ') || 'none';
      context.out(`${view.id}: ${view.status} · action ${view.action} (${view.actionStatus})`);
      context.out(
        `  ${view.agent.id} (owner ${view.agent.owner}, level ${view.trustLevel}) proposes ${view.type} in ${view.environment}`,
      );
      context.out(
        `  tier ${view.tier ?? '-'} · domains ${view.domains.join(', ') || '-'} · reversible ${view.reversible ?? '-'}`,
      );
      context.out(`  targets ${targets}`);
      context.out(`  params ${JSON.stringify(view.params)}`);
      context.out(`  confidence ${view.confidence ?? '–'} · anomaly score ${view.anomalyScore ?? '–'}`);
      if (view.reasoning !== null) context.out(`  reasoning: ${view.reasoning}`);
      context.out(`  request hash ${view.requestHash}`);
      if (view.revisionOf !== null) context.out(`  revision of ${view.revisionOf} by ${view.revisionAuthor}`);
      context.out('  why a human:');
      for (const r of view.decision.reasons) {
        if (r.kind === 'cap' && r.passed) continue;
        context.out(`    - ${'rule' in r ? `${r.rule}: ` : ''}${r.message}`);
      }
      context.out(
        `  route ${view.route.name}: step ${view.step} of ${view.route.steps.length}, group ${view.group}, ${view.approvals}/${view.quorum} approvals, deadline ${view.deadline} (${until(view.deadline, now)}), then ${view.step < view.route.steps.length ? 'next step' : view.route.fallback}`,
      );
      for (const v of view.votes) {
        context.out(
          `    ${v.verdict} by ${v.person} at step ${v.step}${v.override ? ' (admin override)' : ''}${v.comment === null ? '' : `: ${v.comment}`}`,
        );
      }
      if (view.you !== undefined) {
        context.out(
          view.you.mayApprove
            ? `  you may approve${view.you.override ? ' (as an admin override)' : ''}`
            : `  you may not approve: ${view.you.why}`,
        );
      }
      return 0;
    },
  },
  verdictCommand('approve'),
  verdictCommand('deny'),
  {
    name: 'approvals revise',
    summary:
      'Propose changed params instead of approving: a new revision is decided and needs its own approval',
    usage: "<approval> --params '<json>' --reason <why> --as <person>",
    json: true,
    options: {
      params: { type: 'string', description: 'The changed params, as a JSON object' },
      reason: { type: 'string', description: 'Why the params change (required)' },
      ...AS_OPTION,
    },
    async run(context) {
      const id = required(context, 0, 'approval');
      const params = parseParams(context);
      const reason = requiredOption(context, 'reason');
      const { approval, revision } = await withAirlock(context, (airlock) =>
        airlock.approvals.revise(id, actingPerson(context, airlock), { params, comment: reason }),
      );
      if (context.json) {
        context.out(
          json({
            approval: approvalSummary(approval),
            revision: { id: revision.id, status: revision.status, decision: revision.decision },
          }),
        );
      } else {
        context.out(
          `${approval.id}: revised; new action ${revision.id} is ${revision.status} (${revision.decision.effect})`,
        );
      }
      return 0;
    },
  },
];
