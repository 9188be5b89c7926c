/** `airlock actions list` and `airlock explain <action>`. */

import { ACTION_STATUSES, type ActionStatus } from '../../domain/action.ts';
import { CliError, type Command, option, required } from '../command.ts';
import { explainText } from '../explain-format.ts';
import { withAirlock } from '../open-airlock.ts';
import { json, table } from '../output.ts';

function status(text: string | undefined): ActionStatus | undefined {
  if (text === undefined) return undefined;
  if (!(ACTION_STATUSES as readonly string[]).includes(text)) {
    throw new CliError(`--status is one of ${ACTION_STATUSES.join(', ')}`, { exitCode: 2 });
  }
  return text as ActionStatus;
}

function time(text: string | undefined, flag: string): string | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new CliError(`--${flag} takes a time such as 2026-11-24T09:00:00Z`, { exitCode: 2 });
  return at.toISOString();
}

export const actionsCommands: readonly Command[] = [
  {
    name: 'actions list',
    summary: 'List actions, newest first',
    usage: '',
    json: true,
    options: {
      agent: { type: 'string', description: 'Only this agent' },
      type: { type: 'string', description: 'Only this action type' },
      environment: { type: 'string', description: 'Only this environment' },
      status: { type: 'string', description: 'Only this status' },
      incident: { type: 'string', description: 'Only actions of this incident' },
      since: { type: 'string', description: 'Created at or after this time' },
      limit: { type: 'string', description: 'At most this many (default 50)' },
    },
    async run(context) {
      const limit = Number(option(context, 'limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliError('--limit takes a positive whole number', { exitCode: 2 });
      const { actions, views } = await withAirlock(context, async (airlock) => {
        const found = await airlock.actions.list({
          agentId: option(context, 'agent'),
          type: option(context, 'type'),
          environment: option(context, 'environment'),
          status: status(option(context, 'status')),
          incident: option(context, 'incident'),
          since: time(option(context, 'since'), 'since'),
          limit,
        });
        return { actions: found, views: await airlock.actions.views(found) };
      });
      if (context.json) context.out(json(views));
      else if (actions.length === 0) context.out('no actions');
      else {
        context.out(
          table(
            actions.map((a) => [
              a.id,
              a.createdAt,
              a.agentId,
              a.type,
              a.environment,
              a.decision.effect,
              a.status,
              String(a.decision.trustLevel),
            ]),
            ['ACTION', 'CREATED', 'AGENT', 'TYPE', 'ENV', 'DECISION', 'STATUS', 'LEVEL'],
          ),
        );
      }
      return 0;
    },
  },
  {
    name: 'explain',
    summary: 'How an action was decided: request, every rule and cap with its reason, and its audit path',
    usage: '<action>',
    json: true,
    async run(context) {
      const id = required(context, 0, 'action');
      const { action, path, approval, view } = await withAirlock(context, async (airlock) => {
        const found = await airlock.store.getAction(id);
        if (found === null) throw new CliError(`no action ${id}`);
        return {
          action: found,
          path: await airlock.actions.path(id),
          approval: await airlock.approvals.forAction(id),
          view: await airlock.actions.view(found, null),
        };
      });
      context.out(
        context.json ? json({ ...view, facts: action.facts }) : explainText(action, path, approval),
      );
      return 0;
    },
  },
];
