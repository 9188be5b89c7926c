/** `airlock agents add|list|token|revoke-token|suspend|resume`. */

import { type Command, option, required, requiredOption } from '../command.ts';
import { AS_OPTION, operator, withAirlock } from '../open-airlock.ts';
import { json, table } from '../output.ts';
import { tokenCommands } from './token-commands.ts';

export const agentsCommands: readonly Command[] = [
  {
    name: 'agents add',
    summary: 'Register an agent and print its token (shown once; only a hash is stored)',
    usage: '<id> --owner <group>',
    json: true,
    options: {
      owner: { type: 'string', description: 'The accountable team (a group)' },
      description: { type: 'string', description: 'What the agent does' },
      ...AS_OPTION,
    },
    async run(context) {
      const id = required(context, 0, 'id');
      const owner = requiredOption(context, 'owner');
      const description = option(context, 'description');
      const { agent, token } = await withAirlock(context, (airlock) =>
        airlock.agents.add(
          { id, owner, ...(description === undefined ? {} : { description }) },
          operator(context, airlock),
        ),
      );
      if (context.json) context.out(json({ agent, token }));
      else {
        context.out(`agent ${agent.id} (owner ${agent.owner}) registered at level 0 (advisory) everywhere.`);
        context.out(`token (shown once, store it now):\n${token}`);
      }
      return 0;
    },
  },
  {
    name: 'agents list',
    summary: 'List agents, their owners and status',
    usage: '',
    json: true,
    async run(context) {
      const agents = await withAirlock(context, (airlock) => airlock.agents.list());
      if (context.json) context.out(json(agents));
      else if (agents.length === 0) context.out('no agents yet: airlock agents add <id> --owner <group>');
      else
        context.out(
          table(
            agents.map((a) => [a.id, a.owner, a.status, a.createdAt]),
            ['AGENT', 'OWNER', 'STATUS', 'CREATED'],
          ),
        );
      return 0;
    },
  },
  ...tokenCommands({
    noun: 'agents',
    key: 'agent',
    issueSummary: 'Issue an additional token for an agent (for rotation)',
    revokeSummary: 'Revoke every token of an agent at once (it can no longer call Airlock)',
    service: (airlock) => airlock.agents,
  }),
  ...(['suspend', 'resume'] as const).map(
    (verb): Command => ({
      name: `agents ${verb}`,
      summary:
        verb === 'suspend'
          ? 'Suspend an agent: all its proposals are denied (and audited) until resumed'
          : 'Resume a suspended agent',
      usage: '<id>',
      json: true,
      options: { reason: { type: 'string', description: 'Why (recorded in the audit chain)' }, ...AS_OPTION },
      async run(context) {
        const id = required(context, 0, 'id');
        const agent = await withAirlock(context, (airlock) =>
          airlock.agents.setStatus(
            id,
            verb === 'suspend' ? 'suspended' : 'active',
            operator(context, airlock),
            option(context, 'reason') ?? null,
          ),
        );
        context.out(context.json ? json(agent) : `agent ${agent.id} is ${agent.status}`);
        return 0;
      },
    }),
  ),
];
