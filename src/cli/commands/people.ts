/** `airlock people list|token|revoke-token`: people are declared in the people file; tokens live hashed. */

import type { Command } from '../command.ts';
import { withAirlock } from '../open-airlock.ts';
import { json, table } from '../output.ts';
import { tokenCommands } from './token-commands.ts';

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
  ...tokenCommands({
    noun: 'people',
    key: 'person',
    issueSummary: 'Issue a token for a person (shown once; only a hash is stored)',
    revokeSummary: 'Revoke every token of a person',
    service: (airlock) => airlock.people,
  }),
];
