/** GET /v1/agents — the registered agents and their owners. */

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
  handle: (airlock) => async () => {
    return { agents: await airlock.agents.list() };
  },
};
