/** `airlock trust show|recommend|set|promote|demote|revoke`: levels per scope, on evidence, changed only by a named admin. */

import { levelLabel, type TrustLevel } from '../../domain/levels.ts';
import { CliError, type Command, type CommandContext, option, required, requiredOption } from '../command.ts';
import { AS_OPTION, actingPerson, withAirlock } from '../open-airlock.ts';
import { json } from '../output.ts';
import { nextLines, scopeLines } from '../trust-format.ts';

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
  const raises = name !== 'demote';
  return {
    name: `trust ${name}`,
    summary,
    usage: `<agent> <scope> --${flag} <0-3> --reason <why> --as <admin>${raises ? ' [--override]' : ''}`,
    json: true,
    options: {
      [flag]: { type: 'string', description: 'The new level, 0-3' },
      ...changeOptions,
      ...(raises
        ? {
            override: {
              type: 'boolean',
              description: 'Raise although the promotion criteria are not met (recorded as an override)',
            },
          }
        : {}),
    },
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
            override: context.values.override === true,
            ...(name === 'promote'
              ? { direction: 'raise' as const }
              : name === 'demote'
                ? { direction: 'lower' as const }
                : {}),
          },
          actingPerson(context, airlock, ['admin']),
        ),
      );
      if (context.json) {
        context.out(json({ agent: agentId, ...change }));
        return 0;
      }
      context.out(`${agentId} ${change.scope}: level ${levelLabel(change.from)} → ${levelLabel(change.to)}`);
      if (change.promotion?.override === true) {
        const unmet = change.promotion.checks.flatMap((c) => c.criteria.filter((r) => !r.passed));
        context.out(
          `override recorded: ${unmet.length === 0 ? 'no criterion was unmet' : `${unmet.length} criteria unmet`}`,
        );
        for (const r of unmet) context.out(`  ✗ ${r.message}`);
      }
      return 0;
    },
  };
}

export const trustCommands: readonly Command[] = [
  {
    name: 'trust show',
    summary: "An agent's level per scope, its evidence and calibration, and what blocks the next promotion",
    usage: '<agent>',
    json: true,
    async run(context) {
      const agentId = required(context, 0, 'agent');
      const report = await withAirlock(context, (airlock) => airlock.trust.show(agentId));
      if (context.json) {
        context.out(json(report));
        return 0;
      }
      context.out(
        `${report.agent}: ceiling ${levelLabel(report.ceiling as TrustLevel)}; scopes not listed are level 0 (advisory)`,
      );
      for (const scope of report.scopes) {
        context.out('');
        for (const line of scopeLines(scope)) context.out(line);
      }
      return 0;
    },
  },
  {
    name: 'trust recommend',
    summary: 'Scopes whose evidence meets the criteria for their next level (an admin still signs off)',
    usage: '[--agent <id>]',
    json: true,
    options: { agent: { type: 'string', description: 'Only this agent' } },
    async run(context) {
      const found = await withAirlock(context, (airlock) =>
        airlock.trust.recommend(option(context, 'agent')),
      );
      if (context.json) context.out(json({ recommendations: found }));
      else if (found.length === 0) context.out('no scope meets the criteria for its next level');
      else {
        for (const r of found) {
          context.out(`${r.agent} ${r.scope}: level ${r.from} → ${r.to}`);
          for (const line of nextLines(r.check, false).slice(1)) context.out(line);
          context.out(
            `  promote: airlock trust promote ${r.agent} '${r.scope}' --to ${r.to} --reason … --as <admin>`,
          );
        }
      }
      return 0;
    },
  },
  setVerb('set', 'Set the level of a scope (a raise must meet the promotion criteria)', 'level'),
  setVerb('promote', 'Raise the level of a scope, checked against the promotion criteria', 'to'),
  setVerb('demote', 'Lower the level of a scope', 'to'),
  {
    name: 'trust revoke',
    summary: 'Revoke trust at once: every scope of the agent to level 0, and the agent frozen',
    usage: '<agent> --reason <why> --as <admin>',
    json: true,
    options: changeOptions,
    async run(context) {
      const agentId = required(context, 0, 'agent');
      const reason = requiredOption(context, 'reason');
      const changes = await withAirlock(context, (airlock) =>
        airlock.trust.revokeAll(agentId, reason, actingPerson(context, airlock, ['admin'])),
      );
      if (context.json) context.out(json({ agent: agentId, changes, frozen: true }));
      else {
        for (const c of changes) context.out(`${agentId} ${c.scope}: level ${c.from} → 0`);
        if (changes.length === 0) context.out(`${agentId} held no level above 0`);
        context.out(`${agentId} frozen: nothing it proposes runs without a human until unfrozen`);
      }
      return 0;
    },
  },
];
