/** `agents token|revoke-token` and `people token|revoke-token`: one shape for both kinds of principal. */

import type { Airlock } from '../../gateway/airlock.ts';
import type { Command } from '../command.ts';
import { required } from '../command.ts';
import { AS_OPTION, operator, withAirlock } from '../open-airlock.ts';
import { json } from '../output.ts';

interface Principals {
  readonly noun: 'agents' | 'people';
  /** The JSON key for the id: `agent` or `person`. */
  readonly key: 'agent' | 'person';
  readonly issueSummary: string;
  readonly revokeSummary: string;
  readonly service: (airlock: Airlock) => Airlock['agents'] | Airlock['people'];
}

export function tokenCommands(p: Principals): Command[] {
  return [
    {
      name: `${p.noun} token`,
      summary: p.issueSummary,
      usage: '<id>',
      json: true,
      options: { ...AS_OPTION },
      async run(context) {
        const id = required(context, 0, 'id');
        const token = await withAirlock(context, (airlock) =>
          p.service(airlock).issueToken(id, operator(context, airlock)),
        );
        context.out(context.json ? json({ [p.key]: id, token }) : `token for ${id} (shown once):\n${token}`);
        return 0;
      },
    },
    {
      name: `${p.noun} revoke-token`,
      summary: p.revokeSummary,
      usage: '<id>',
      json: true,
      options: { ...AS_OPTION },
      async run(context) {
        const id = required(context, 0, 'id');
        const revoked = await withAirlock(context, (airlock) =>
          p.service(airlock).revokeTokens(id, operator(context, airlock)),
        );
        context.out(
          context.json
            ? json({ [p.key]: id, revoked })
            : `revoked ${revoked} token${revoked === 1 ? '' : 's'} of ${id}`,
        );
        return 0;
      },
    },
  ];
}
