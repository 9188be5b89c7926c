/** GET /v1/agents — the registered agents and their owners. */

import { requirePerson } from '../../gateway/auth.ts';
import type { Route } from '../route.ts';
import { agentsSchema, errorSchema } from '../schemas.ts';

export const listAgentsRoute: Route = {
  spec: {
    method: 'GET',
    url: '/v1/agents',
    operationId: 'listAgents',
    summary: 'Registered agents, their owners and status',
    tag: 'agents',
    auth: 'person',
    responses: {
      200: { description: 'All agents', schema: agentsSchema },
      403: { description: 'Agents cannot list agents', schema: errorSchema },
    },
  },
  register(app, airlock) {
    app.get('/v1/agents', async (request) => {
      requirePerson(await airlock.authenticate(request.headers.authorization));
      return { agents: await airlock.agents.list() };
    });
  },
};
