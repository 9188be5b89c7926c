/** `airlock people list|token|revoke-token`: people are declared in the people file; tokens live hashed. */

import type { Command } from '../command.ts';
import { required } from '../command.ts';
import { AS_OPTION, operator, withAirlock } from '../open-airlock.ts';
import { json, table } from '../output.ts';

export const peopleCommands: readonly Command[] = [
  {
    name: 'people list',
    summary: 'List the people of the project, their roles and groups',
    usage: '',
    json: true,
    async run(context) {
      const people = await withAirlock(context, async (airlock) => airlock.people.list());
      if (context.json) context.out(json(people));
      else
        context.out(
          table(
            people.map((p) => [p.id, p.name, p.role, p.groups.join(',')]),
            ['PERSON', 'NAME', 'ROLE', 'GROUPS'],
          ),
        );
      return 0;
    },
  },
  {
    name: 'people token',
    summary: 'Issue a token for a person (shown once; only a hash is stored)',
    usage: '<id>',
    json: true,
    options: { ...AS_OPTION },
    async run(context) {
      const id = required(context, 0, 'id');
      const token = await withAirlock(context, (airlock) =>
        airlock.people.issueToken(id, operator(context, airlock)),
      );
      context.out(context.json ? json({ person: id, token }) : `token for ${id} (shown once):\n${token}`);
      return 0;
    },
  },
  {
    name: 'people revoke-token',
    summary: 'Revoke every token of a person',
    usage: '<id>',
    json: true,
    options: { ...AS_OPTION },
    async run(context) {
      const id = required(context, 0, 'id');
      const revoked = await withAirlock(context, (airlock) =>
        airlock.people.revokeTokens(id, operator(context, airlock)),
      );
      context.out(
        context.json
          ? json({ person: id, revoked })
          : `revoked ${revoked} token${revoked === 1 ? '' : 's'} of ${id}`,
      );
      return 0;
    },
  },
];
