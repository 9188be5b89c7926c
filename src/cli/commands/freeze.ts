/** `airlock freeze` / `unfreeze`: the kill switch. Halts autonomous execution at once; admins only; audited. */

import type { FreezeRecord } from '../../store/records.ts';
import { CliError, type Command, option, requiredOption } from '../command.ts';
import { AS_OPTION, actingPerson, withAirlock } from '../open-airlock.ts';
import { json, table } from '../output.ts';

function requireAdmin(person: { id: string; role: string }): void {
  if (person.role !== 'admin') {
    throw new CliError(`only admins may freeze or unfreeze; ${person.id} is ${person.role}`);
  }
}

function describe(agent: string | undefined): string {
  return agent === undefined ? 'every agent' : `agent ${agent}`;
}

export const freezeCommands: readonly Command[] = [
  {
    name: 'freeze',
    summary: 'Halt autonomous execution at once (every agent, or --agent); would-be executions go to people',
    usage: '[--agent <id>] --reason <why> --as <admin> | freeze --list',
    json: true,
    options: {
      agent: { type: 'string', description: 'Freeze one agent instead of every agent' },
      reason: {
        type: 'string',
        description: 'Why (required; recorded and shown in every decision it changes)',
      },
      list: { type: 'boolean', description: 'Show the freezes in force instead' },
      ...AS_OPTION,
    },
    async run(context) {
      if (context.values.list === true) {
        const { freezes, calendar } = await withAirlock(context, (airlock) => airlock.freezes.list());
        if (context.json) context.out(json({ freezes, calendar }));
        else if (freezes.length === 0 && calendar.length === 0) context.out('nothing is frozen');
        else {
          context.out(
            table(
              [
                ...freezes.map((f: FreezeRecord) => [
                  f.scope === '*' ? 'every agent' : f.scope,
                  f.frozenBy,
                  f.frozenAt,
                  f.reason,
                ]),
                ...calendar.map((c) => [
                  `calendar (${c.environments?.join(', ') ?? 'all environments'})`,
                  'config',
                  `${c.from} – ${c.to}`,
                  c.reason,
                ]),
              ],
              ['SCOPE', 'BY', 'SINCE', 'REASON'],
            ),
          );
        }
        return 0;
      }
      const reason = requiredOption(context, 'reason');
      const agent = option(context, 'agent');
      const record = await withAirlock(context, async (airlock) => {
        const person = actingPerson(context, airlock);
        requireAdmin(person);
        return airlock.freezes.freeze({ kind: 'person', id: person.id }, { agentId: agent, reason });
      });
      context.out(
        context.json
          ? json(record)
          : `frozen: ${describe(agent)}; autonomous execution now escalates to people`,
      );
      return 0;
    },
  },
  {
    name: 'unfreeze',
    summary: 'Resume autonomous execution (every agent, or --agent)',
    usage: '[--agent <id>] [--reason <why>] --as <admin>',
    json: true,
    options: {
      agent: { type: 'string', description: 'Lift the freeze of one agent' },
      reason: { type: 'string', description: 'Why (recorded)' },
      ...AS_OPTION,
    },
    async run(context) {
      const agent = option(context, 'agent');
      await withAirlock(context, async (airlock) => {
        const person = actingPerson(context, airlock);
        requireAdmin(person);
        await airlock.freezes.unfreeze(
          { kind: 'person', id: person.id },
          { agentId: agent, reason: option(context, 'reason') },
        );
      });
      context.out(context.json ? json({ unfrozen: agent ?? '*' }) : `unfrozen: ${describe(agent)}`);
      return 0;
    },
  },
];
