/** PUT /v1/agents/:id/trust — an admin sets the level of one scope, with a reason (audited). */

import { param, parseInput, personOf, type Route } from '../route.ts';
import { errorSchema, setTrustBodySchema, setTrustResultSchema } from '../schemas.ts';

export const setAgentTrustRoute: Route = {
  spec: {
    method: 'PUT',
    url: '/v1/agents/:id/trust',
    operationId: 'setAgentTrust',
    summary: 'Set the trust level of one scope (admins only; never above the ceiling; audited)',
    tag: 'agents',
    auth: 'admin',
    body: setTrustBodySchema,
    responses: {
      200: { description: 'The level before and after', schema: setTrustResultSchema },
      403: { description: 'Not an admin, or above the agent ceiling', schema: errorSchema },
      422: { description: 'Bad scope, level or reason', schema: errorSchema },
    },
  },
  handle: (airlock) => async (request) => {
    const person = personOf(request);
    const body = parseInput(setTrustBodySchema, request.body, 'body');
    return airlock.trust.setLevel({ agentId: param(request, 'id'), ...body }, person);
  },
};
