/** `airlock trust show|set|promote|demote|revoke`: levels per scope, changed only by a named admin. */

import { levelLabel, type TrustLevel } from '../../domain/levels.ts';
import { CliError, type Command, type CommandContext, required, requiredOption } from '../command.ts';
import { AS_OPTION, actingPerson, withAirlock } from '../open-airlock.ts';
import { json, table } from '../output.ts';

const SCOPE_HELP = 'scope is <type pattern>@<environment>, e.g. service.restart@staging, service.*@*';

function level(context: CommandContext, name: string): number {
  const text = requiredOption(context, name);
  if (!/^[0-3]$/.test(text)) throw new CliError(`--${name} takes a level 0-3`, { exitCode: 2 });
  return Number(text);
}

const changeOptions = {
  reason: { type: 'string', description: 'Why (required; recorded with who and when)' },
  ...AS_OPTION,
} as const;

function setVerb(name: 'set' | 'promote' | 'demote', summary: string, flag: 'level' | 'to'): Command {
  return {
    name: `trust ${name}`,
    summary,
    usage: `<agent> <scope> --${flag} <0-3> --reason <why> --as <admin>`,
    json: true,
    options: { [flag]: { type: 'string', description: 'The new level, 0-3' }, ...changeOptions },
    async run(context) {
      const agentId = required(context, 0, 'agent');
      const scope = context.positionals[1];
      if (scope === undefined) throw new CliError(`missing <scope>: ${SCOPE_HELP}`, { exitCode: 2 });
      const to = level(context, flag);
      const reason = requiredOption(context, 'reason');
      const change = await withAirlock(context, (airlock) =>
        airlock.trust.setLevel(
          {
            agentId,
            scope,
            level: to,
            reason,
            ...(name === 'promote'
              ? { direction: 'raise' as const }
              : name === 'demote'
                ? { direction: 'lower' as const }
                : {}),
          },
          actingPerson(context, airlock, ['admin']),
        ),
      );
      context.out(
        context.json
          ? json({ agent: agentId, ...change })
          : `${agentId} ${change.scope}: level ${levelLabel(change.from)} → ${levelLabel(change.to)}`,
      );
      return 0;
    },
  };
}

export const trustCommands: readonly Command[] = [
  {
    name: 'trust show',
    summary: "An agent's level per scope, who set it and why, and its ceiling",
    usage: '<agent>',
    json: true,
    async run(context) {
      const agentId = required(context, 0, 'agent');
      const view = await withAirlock(context, (airlock) => airlock.trust.show(agentId));
      if (context.json) {
        context.out(json(view));
        return 0;
      }
      context.out(
        `${view.agent}: ceiling ${levelLabel(view.ceiling)}; unlisted scopes are level 0 (advisory)`,
      );
      if (view.scopes.length > 0) {
        context.out(
          table(
            view.scopes.map((s) => [
              s.scope,
              levelLabel(s.effective as TrustLevel) + (s.effective < s.level ? ` (granted ${s.level})` : ''),
              s.grantedBy,
              s.grantedAt,
              s.reason,
            ]),
            ['SCOPE', 'LEVEL', 'BY', 'AT', 'REASON'],
          ),
        );
      }
      return 0;
    },
  },
  setVerb('set', 'Set the level of a scope', 'level'),
  setVerb('promote', 'Raise the level of a scope', 'to'),
  setVerb('demote', 'Lower the level of a scope', 'to'),
  {
    name: 'trust revoke',
    summary: 'Revoke trust at once: every scope of the agent back to level 0',
    usage: '<agent> --reason <why> --as <admin>',
    json: true,
    options: changeOptions,
    async run(context) {
      const agentId = required(context, 0, 'agent');
      const reason = requiredOption(context, 'reason');
      const changes = await withAirlock(context, (airlock) =>
        airlock.trust.revokeAll(agentId, reason, actingPerson(context, airlock, ['admin'])),
      );
      if (context.json) context.out(json({ agent: agentId, changes }));
      else if (changes.length === 0) context.out(`${agentId} held no level above 0`);
      else for (const c of changes) context.out(`${agentId} ${c.scope}: level ${c.from} → 0`);
      return 0;
    },
  },
];
