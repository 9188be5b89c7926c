/** GET /v1/me — who the token belongs to: the console signs in with it. */

import { meSchema } from '../console-schemas.ts';
import { principalOf, type Route } from '../route.ts';

export const meRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/me',
    operationId: 'getMe',
    summary: 'Who the token belongs to: a person (with their role) or an agent',
    tag: 'operations',
    auth: 'agent or person',
    responses: { 200: { description: 'The caller', schema: meSchema } },
  },
  handle: () => async (request) => {
    const principal = principalOf(request);
    if (principal.kind === 'agent') {
      return { kind: 'agent', id: principal.agent.id, name: null, role: null, admin: false };
    }
    const { person } = principal;
    return {
      kind: 'person',
      id: person.id,
      name: person.name,
      role: person.role,
      admin: person.role === 'admin',
    };
  },
};
